import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { shellJoin } from '../../src/util/shell.js';
import type { Plan } from '../../src/plan/types.js';
import { commandArgv } from '../../src/plan/validate.js';

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function planInto(...flags: string[]) {
  const dir = tempDir('cic-plan-');
  const r = await cli('plan', '--out', dir, ...flags);
  expect(r.code, r.err).toBe(0);
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan;
  const runbook = readFileSync(join(dir, 'runbook.sh'), 'utf8');
  return { dir, plan, runbook, out: r.out };
}

const allArgv = (plan: Plan) => plan.steps.flatMap((s) => s.commands.map(commandArgv));

describe('plan --out into a directory that is not empty', () => {
  it('replaces the plan it wrote before (no stale manifest survives) and refuses unrelated files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cic-plan-again-'));
    try {
      expect((await cli('plan', '--out', dir, '--istio', '1.28')).code).toBe(0);
      expect(existsSync(join(dir, 'manifests/gateway-canary.yaml'))).toBe(true);
      writeFileSync(join(dir, 'kubeconfig'), 'from a hand run');
      // Re-planned as a legacy cell: the canary manifest of the earlier plan must not be left behind.
      const again = await cli(
        'plan',
        '--out',
        dir,
        '--istio',
        '1.15',
        '--kubernetes',
        '1.32',
        '--calico',
        'v3.29.7',
      );
      expect(again.code, again.err).toBe(0);
      expect(existsSync(join(dir, 'manifests/gateway-canary.yaml'))).toBe(false);
      expect(existsSync(join(dir, 'kubeconfig'))).toBe(false);
      expect((JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan).cell.istio).toBe('1.15.7');

      writeFileSync(join(dir, 'notes.txt'), 'mine');
      const refused = await cli('plan', '--out', dir);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain('holds files a plan did not write (notes.txt)');
      // refused before any change
      expect((JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan).cell.istio).toBe('1.15.7');
      expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('plan writes plan.json, manifests/ and runbook.sh', () => {
  it('for the default cell', async () => {
    const { dir, plan, runbook, out } = await planInto(
      '--kubernetes',
      '1.34',
      '--calico',
      'v3.32.1',
      '--istio',
      '1.28.1',
    );
    expect(out).toContain('Planned cell k8s-1.34.8_calico-v3.32.1_istio-1.28.1');
    expect(plan.schemaVersion).toBe(1);
    expect(plan.cell).toMatchObject({
      kubernetes: '1.34.8',
      kind: 'v0.32.0',
      calico: 'v3.32.1',
      istio: '1.28.1',
      istioFlavour: 'templates',
      dikastesImage: 'quay.io/calico/dikastes:v3.32.1',
    });
    expect(plan.support.map((s) => s.status)).toEqual(['supported', 'supported']);
    expect(plan.steps.map((s) => s.id)).toEqual([
      'cluster-create',
      ...Array.from({ length: 22 }, (_, i) => `preload-${String(i + 1).padStart(2, '0')}`),
      'calico-operator',
      'calico-install',
      'calico-ready',
      'calico-apiserver',
      'felix-policy-sync',
      'istio-install',
      'alp-envoy',
      'workload-namespace',
      'boutique',
      'frontend-gateway',
      'gateway-canary',
      'rollout',
    ]);
    for (const s of plan.steps) {
      expect(Object.keys(s)).toEqual(expect.arrayContaining(['id', 'title', 'commands', 'manifests']));
      for (const m of s.manifests) {
        expect(m.startsWith('manifests/'), m).toBe(true);
        expect(existsSync(join(dir, m)), m).toBe(true);
      }
    }
    expect(statSync(join(dir, 'runbook.sh')).mode & 0o111).not.toBe(0);
    expect(runbook.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(runbook).toContain('set -euo pipefail');
  });

  it('for a legacy cell (Istio 1.15, ConfigMap patch, no templates annotation)', async () => {
    const { plan, dir } = await planInto('--istio', '1.15', '--calico', 'v3.29.7', '--kubernetes', '1.32');
    expect(plan.cell).toMatchObject({ istio: '1.15.7', istioFlavour: 'legacy-1.15', kubernetes: '1.32.11' });
    expect(plan.support.map((s) => s.status)).toEqual(['supported', 'outside-window']);
    const ids = plan.steps.map((s) => s.id);
    expect(ids).toContain('istio-legacy-injector');
    expect(ids).not.toContain('gateway-canary');
    expect(ids.indexOf('istio-legacy-injector')).toBe(ids.indexOf('istio-install') + 1);
    expect(readFileSync(join(dir, 'manifests/boutique/kustomization.yaml'), 'utf8')).not.toContain(
      'inject.istio.io',
    );
    expect(readFileSync(join(dir, 'manifests/istio-operator.yaml'), 'utf8')).not.toContain('dikastes');
  });

  it('orders the guide’s steps: Calico, Felix, Istio, ALP, namespace, Boutique', async () => {
    const { plan } = await planInto();
    const at = (id: string) => plan.steps.findIndex((s) => s.id === id);
    const order = [
      'cluster-create',
      'calico-ready',
      'felix-policy-sync',
      'istio-install',
      'alp-envoy',
      'workload-namespace',
      'boutique',
      'rollout',
    ];
    for (let i = 1; i < order.length; i++) expect(at(order[i - 1]!)).toBeLessThan(at(order[i]!));
    const create = commandArgv(plan.steps[0]!.commands[0]!);
    expect(create).toContain('--wait');
    expect(create[create.indexOf('--wait') + 1]).toBe('0s');
    expect(create[create.indexOf('--image') + 1]).toMatch(/^kindest\/node:v1\.34\.8@sha256:[a-f0-9]{64}$/);
  });

  it('uses `kubectl create` for the operator manifests, in the per-version order', async () => {
    const manifestsOf = async (calico: string) => {
      const { plan } = await planInto(
        '--calico',
        calico,
        '--kubernetes',
        calico === 'v3.27.5' ? '1.29' : '1.34',
      );
      return plan.steps
        .find((s) => s.id === 'calico-operator')!
        .commands.map(commandArgv)
        .filter((c) => c[0] === 'kubectl' && c[1] === 'create')
        .map((c) => c[3]!.split('/').at(-1));
    };
    expect(await manifestsOf('v3.27.5')).toEqual(['tigera-operator.yaml']);
    expect(await manifestsOf('v3.31.7')).toEqual(['operator-crds.yaml', 'tigera-operator.yaml']);
    expect(await manifestsOf('v3.32.1')).toEqual(['v1_crd_projectcalico_org.yaml', 'tigera-operator.yaml']);
  });

  it('pins every URL and image to an exact version or digest', async () => {
    const { plan } = await planInto('--calico', '3.31', '--istio', '1.10', '--kubernetes', '1.33');
    const urls = allArgv(plan)
      .filter((c) => c[0] === 'fetch')
      .map((c) => c.at(-2)!);
    expect(urls.length).toBeGreaterThan(4);
    for (const u of urls) {
      expect(u, u).toMatch(/\/(v\d+\.\d+\.\d+)\//);
      expect(u).not.toMatch(/\/(main|master|latest)\//);
    }
    const images = allArgv(plan)
      .filter((c) => c[0] === 'docker')
      .map((c) => c.at(-1)!);
    expect(images.length).toBeGreaterThan(15);
    for (const i of images) expect(i, i).toMatch(/(:v?\d+\.\d+\.\d+|@sha256:[a-f0-9]{64})$/);
  });

  it('redirects every upstream URL through --mirror', async () => {
    const { plan, runbook } = await planInto(
      '--mirror',
      'https://raw.githubusercontent.com=http://127.0.0.1:9/raw',
      '--allow-insecure-mirrors',
      'true',
    );
    const urls = allArgv(plan)
      .filter((c) => c[0] === 'fetch')
      .map((c) => c.at(-2)!);
    for (const u of urls) expect(u.startsWith('http://127.0.0.1:9/raw/')).toBe(true);
    expect(runbook).not.toContain('raw.githubusercontent.com');
  });

  it('is deterministic', async () => {
    const a = await planInto();
    const b = await planInto();
    expect(JSON.stringify(a.plan)).toBe(JSON.stringify(b.plan));
    expect(a.runbook).toBe(b.runbook);
  });

  it('cluster existing: no kind steps, no cleanup, no KUBECONFIG override, installs only what was asked', async () => {
    const { plan } = await planInto('--cluster', 'existing', '--install', 'workload');
    expect(plan.steps.map((s) => s.phase)).toEqual(
      expect.not.arrayContaining(['cluster', 'calico', 'istio']),
    );
    expect(plan.steps[0]!.id).toBe('workload-namespace');
    expect(plan.cleanup).toEqual([]);
    expect(plan.env).toEqual({});
    expect(allArgv(plan).some((c) => c[0] === 'kind')).toBe(false);
  });
});

describe('runbook.sh', () => {
  it('is valid bash and holds every command of the plan, quoted', async () => {
    const { dir, plan, runbook } = await planInto(
      '--istio',
      '1.15',
      '--kubernetes',
      '1.32',
      '--calico',
      'v3.29.7',
    );
    execFileSync('bash', ['-n', join(dir, 'runbook.sh')]);
    for (const argv of allArgv(plan)) expect(runbook).toContain(shellJoin(argv));
    expect(runbook).toContain('export KUBECONFIG="$PWD/"kubeconfig');
    expect(runbook).toContain('# kind delete cluster --name');
  });

  it('quotes words a shell would split', () => {
    expect(shellJoin(['kubectl', 'label', 'a b', "it's", '$HOME'])).toBe(
      `kubectl label 'a b' 'it'\\''s' '$HOME'`,
    );
  });
});

describe('CLI exit codes and messages', () => {
  it('bad input exits 2 before writing anything, naming the flag', async () => {
    const dir = join(tempDir('cic-bad-'), 'out');
    const r = await cli('plan', '--out', dir, '--kubernetes', '1.28', '--istio', '2.0');
    expect(r.code).toBe(2);
    expect(r.err).toContain('Invalid --kubernetes: "1.28"');
    expect(r.err).toContain('Invalid --istio: "2.0"');
    expect(existsSync(dir)).toBe(false);
  });

  it('unknown flags and commands exit 2', async () => {
    expect((await cli('plan', '--kubernetes-version', '1.34')).code).toBe(2);
    expect((await cli('deploy')).code).toBe(2);
  });

  it('versions prints the catalog, as a table and as JSON', async () => {
    const table = await cli('versions');
    expect(table.code).toBe(0);
    expect(table.out).toContain('quay.io/calico/dikastes:v3.32.1');
    expect(table.out).toMatch(/3\.31\s+v3\.31\.7.*calico-11857/);
    const json = JSON.parse((await cli('versions', '--json')).out);
    expect(json.defaults).toEqual({ kubernetes: '1.34', calico: 'v3.32.1', istio: '1.28.1' });
    expect(json.istio.find((r: { minor: string }) => r.minor === '1.28')).toMatchObject({
      latest: '1.28.10',
      recommended: '1.28.1',
    });
  });
});
