import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { cliNaming } from '../../src/config/inputs.js';
import { resolveCell } from '../../src/resolve/cell.js';
import { CellResultSchema } from '../../src/result/schema.js';
import { startGateway } from '../fakes/gateway.js';
import { startDownloadServer } from '../fakes/servers.js';
import { upstreamAvailable } from '../support/upstream.js';
import { istioCrdValidator } from '../support/istio-crds.js';
import { buildBundles, CALICO_PRESENT, start, WITHOUT_CALICO, World, type Bundles } from './harness.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
type Doc = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } } & Record<
  string,
  any
>;
const docs = (text: string) => (loadAll(text) as Doc[]).filter((d) => d && typeof d === 'object' && d.kind);

const CELLS = {
  default: { flags: ['--install', WITHOUT_CALICO], versions: undefined },
  legacy: {
    flags: ['--istio', '1.15', '--calico', 'v3.29.7', '--kubernetes', '1.32', '--install', WITHOUT_CALICO],
    versions: { kind: 'v0.31.0', kubectl: 'v1.32.11', istioctl: '1.15.7' },
  },
} as const;

/** API versions the cell's Kubernetes no longer serves (policy/v1beta1 since 1.25, autoscaling/v2beta2 since 1.26). */
const REMOVED = ['policy/v1beta1', 'autoscaling/v2beta1', 'autoscaling/v2beta2'];

/**
 * `plan --bundle` as a user runs it: the CLI fetches through the mirrors (a local server with the
 * verbatim upstream bytes) and runs the verified istioctl and kubectl it downloaded; the bundle's
 * runbook then runs with the fake tools and no server at all.
 */
describe.runIf(upstreamAvailable())('plan --bundle', () => {
  let bundles: Bundles;
  const worlds: World[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    bundles = await buildBundles();
  }, 120_000);
  afterAll(async () => {
    for (const w of worlds) await w.remove();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    if (bundles) await rm(bundles.root, { recursive: true, force: true });
  });

  async function world(scenario: Record<string, unknown> = {}) {
    const w = await World.create({ ...CALICO_PRESENT, ...scenario });
    worlds.push(w);
    return w;
  }

  /** Plans a bundle with a download server that exists only while the plan runs. */
  async function plan(w: World, flags: readonly string[]) {
    const out = join(await mkdtemp(join(tmpdir(), 'cic-gitops-')), 'bundle');
    dirs.push(dirname(out));
    const downloads = await startDownloadServer({ workDir: w.dir });
    try {
      const exit = await start(
        bundles.cli,
        [
          'plan',
          '--bundle',
          '--out',
          out,
          ...downloads.mirrors.flatMap((m) => ['--mirror', m]),
          '--allow-insecure-mirrors',
          'true',
          ...flags,
        ],
        w.env(),
        w.dir,
      ).done;
      return { out, exit, requests: [...downloads.requests] };
    } finally {
      await downloads.close();
    }
  }

  const index = (out: string) => JSON.parse(readFileSync(join(out, 'bundle.json'), 'utf8'));

  describe.each(Object.entries(CELLS))('%s cell', (name, c) => {
    let out: string;
    let w: World;
    beforeAll(async () => {
      w = await world(c.versions ? { versions: c.versions } : {});
      const r = await plan(w, c.flags);
      expect(r.exit.code, r.exit.stderr.slice(-3000)).toBe(0);
      out = r.out;
    }, 120_000);

    it('holds every manifest, each verified against the index and the catalog pins', () => {
      const idx = index(out);
      const cell = resolveCell(parseCellConfig({ ...flagsToInputs(c.flags) }, cliNaming));
      const pins = new Map(
        [
          cell.calico.alpEnvoy,
          cell.boutique.manifest,
          ...(cell.istio.legacyInjectorPatch ? [cell.istio.legacyInjectorPatch] : []),
        ].map((f) => [f.url, f.sha256]),
      );
      const listed = new Set<string>();
      for (const f of idx.files) {
        const bytes = readFileSync(join(out, f.path));
        expect(sha256(bytes), f.path).toBe(f.sha256);
        listed.add(f.path);
        if (f.upstream) {
          expect(pins.get(f.upstream), `${f.path} from ${f.upstream}`).toBe(f.sha256);
          expect(f.pinned).toMatch(/^sha256 pinned/);
        }
      }
      // Every upstream file the cell applies is there, by its upstream URL.
      expect([...pins.keys()].sort()).toEqual(
        idx.files
          .filter((f: any) => f.upstream)
          .map((f: any) => f.upstream)
          .sort(),
      );
      // Nothing in the bundle escapes the index (bin/ and .gitignore aside), and SHA256SUMS agrees.
      const all = walk(out).filter((p) => !p.startsWith('bin/') && p !== '.gitignore');
      expect(all.filter((p) => !listed.has(p)).sort()).toEqual(['SHA256SUMS', 'bundle.json', 'runbook.sh']);
      const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8').trim().split('\n');
      expect(sums.map((l) => l.slice(66)).sort()).toEqual(all.filter((p) => p !== 'SHA256SUMS').sort());
      for (const l of sums) expect(sha256(readFileSync(join(out, l.slice(66)))), l).toBe(l.slice(0, 64));
      // The tools are the verified downloads, not the fakes on PATH.
      expect(idx.tools.map((t: any) => t.name)).toEqual(['kind', 'kubectl', 'istioctl']);
      for (const t of idx.tools) {
        expect(t.source).toMatch(/^sha256-verified against http:\/\/127\.0\.0\.1:\d+\//);
        expect(sha256(readFileSync(join(out, 'bin', t.name)))).toBe(t.sha256);
      }
    });

    it('orders the stages for Argo CD (sync waves) and Flux (a kustomization per stage)', () => {
      const root = docs(readFileSync(join(out, 'kustomization.yaml'), 'utf8'))[0]!;
      const stages = readdirSync(join(out, 'stages')).sort();
      expect(root.resources).toEqual(stages.map((s) => `stages/${s}`));
      expect(stages).toEqual(['40-istio', '50-alp', '60-workload-namespace', '70-workload']);
      stages.forEach((s, i) => {
        const k = docs(readFileSync(join(out, 'stages', s, 'kustomization.yaml'), 'utf8'))[0]!;
        expect(k.commonAnnotations['argocd.argoproj.io/sync-wave']).toBe(String(i + 1));
        for (const r of [...k.resources, ...(k.patches ?? []).map((p: any) => p.path)])
          expect(existsSync(join(out, 'stages', s, r)), `${s}/${r}`).toBe(true);
      });
    });

    it("renders Istio with istioctl from the plan's IstioOperator, for the cell's Kubernetes", () => {
      const cell = resolveCell(parseCellConfig({ ...flagsToInputs(c.flags) }, cliNaming));
      const istio = docs(readFileSync(join(out, 'stages/40-istio/istio.yaml'), 'utf8'));
      const istiod = istio.find((d) => d.kind === 'Deployment' && d.metadata?.name === 'istiod')!;
      expect(istiod.spec.template.spec.containers[0].image).toBe(
        `docker.io/istio/pilot:${cell.istio.version}`,
      );
      const svc = istio.find((d) => d.kind === 'Service' && d.metadata?.name === 'istio-ingressgateway')!;
      expect(svc.spec.type).toBe('NodePort');
      const injector = istio.find(
        (d) => d.metadata?.name === 'istio-sidecar-injector' && d.kind === 'ConfigMap',
      )!;
      const templates = Object.keys((loadAll(injector.data.config)[0] as any).templates);
      if (name === 'default')
        expect(templates).toEqual(expect.arrayContaining(['dikastes', 'dikastes-gateway']));
      else {
        // The legacy patch: Calico's file verbatim (its digest), applied as a ConfigMap patch by kustomize.
        const k = docs(readFileSync(join(out, 'stages/40-istio/kustomization.yaml'), 'utf8'))[0]!;
        expect(k.patches).toEqual([{ path: 'sidecar-injector-patch.yaml' }]);
        const patch = docs(
          readFileSync(join(out, 'stages/40-istio/sidecar-injector-patch.yaml'), 'utf8'),
        )[0]!;
        const calico = loadAll(
          readFileSync(join(out, 'stages/40-istio/upstream-istio-inject-configmap-1.15.yaml'), 'utf8'),
        )[0] as any;
        expect(patch.data).toEqual(calico.data);
        expect(patch.metadata).toEqual({ name: 'istio-sidecar-injector', namespace: 'istio-system' });
      }
      // Nothing the cell's Kubernetes no longer serves (istioctl renders without a cluster).
      for (const f of walk(join(out, 'stages')).filter((p) => p.endsWith('.yaml')))
        for (const d of docs(readFileSync(join(out, 'stages', f), 'utf8')))
          expect(REMOVED, `${f}: ${d.kind} ${d.metadata?.name}`).not.toContain(d.apiVersion);
    });

    it('carries Online Boutique after kustomize, in the workload namespace, without what the cell drops', () => {
      const boutique = docs(readFileSync(join(out, 'stages/70-workload/boutique.yaml'), 'utf8'));
      expect(boutique.some((d) => d.metadata?.name === 'frontend' && d.kind === 'Deployment')).toBe(true);
      expect(boutique.some((d) => d.metadata?.name === 'loadgenerator')).toBe(false);
      expect(boutique.some((d) => d.metadata?.name === 'frontend-external')).toBe(false);
      for (const d of boutique) expect(d.metadata?.namespace).toBe('boutique');
    });

    it("validates Istio's objects against Istio's own CRDs", (ctx) => {
      const cell = resolveCell(parseCellConfig({ ...flagsToInputs(c.flags) }, cliNaming));
      const v = istioCrdValidator(cell.istio.version);
      if (!v.ok) {
        console.warn(`skipping Istio CRD validation: ${v.why}`);
        return ctx.skip();
      }
      let checked = 0;
      for (const f of walk(join(out, 'stages')).filter(
        (p) => p.endsWith('.yaml') && !p.endsWith('kustomization.yaml'),
      ))
        for (const d of docs(readFileSync(join(out, 'stages', f), 'utf8'))) {
          if (!/\.istio\.io\//.test(d.apiVersion ?? '')) continue;
          expect(v.validate(d), `${f}: ${d.kind} ${d.metadata?.name}`).toEqual([]);
          checked++;
        }
      expect(checked).toBeGreaterThan(5);
      // The validator rejects what the apiserver would (a field the CRD does not name, a wrong version).
      const rule = { apiVersion: 'networking.istio.io/v1beta1', kind: 'DestinationRule' };
      expect(v.validate({ ...rule, spec: { host: 'x', trafficPolicy: { bogus: 1 } } })).not.toEqual([]);
      expect(v.validate({ ...rule, apiVersion: 'networking.istio.io/v9', spec: { host: 'x' } })).not.toEqual(
        [],
      );
    });
  });

  // The fake cluster of the legacy cell runs what that cell's plan names (Kubernetes 1.32, Calico
  // v3.29.7, Dikastes in the sidecar template only, pods naming no Dikastes template).
  const RUNBOOK_WORLDS = {
    default: {},
    legacy: {
      versions: CELLS.legacy.versions,
      serverVersion: 'v1.32.11',
      calicoRunning: 'v3.29.7',
      dikastesImage: 'calico/dikastes:v3.29.7',
      podTemplates: '',
    },
  };

  it.each(['default', 'legacy'] as const)(
    '%s cell: the runbook downloads nothing, sets the cell up, gives the verdict, and runs again unchanged',
    async (name) => {
      const w = await world(RUNBOOK_WORLDS[name]);
      const gw = await startGateway(w.scenarioFile);
      try {
        const { out, exit } = await plan(w, [...CELLS[name].flags, '--ingress-url', gw.url]);
        expect(exit.code, exit.stderr.slice(-3000)).toBe(0);
        const runbook = readFileSync(join(out, 'runbook.sh'), 'utf8');
        // The only URL is the gateway the verdict probes; nothing fetches.
        expect(runbook.match(/https?:\/\/[^\s'"]+/g)).toEqual([gw.url]);
        expect(runbook).not.toMatch(/\b(curl|wget)\b/);
        const suite = await w.fastSuite();
        const env = w.env({
          CALICO_ISTIO_CONFORMANCE: bundles.cli,
          PATH: `${dirname(process.execPath)}:${w.env().PATH}`,
          // Any download would go to a dead proxy (and the mirrors' server is closed).
          HTTPS_PROXY: 'http://127.0.0.1:9',
          HTTP_PROXY: 'http://127.0.0.1:9',
          NO_PROXY: '127.0.0.1,localhost',
        });
        const run = () => start(join(out, 'runbook.sh'), ['--suite', suite], env, w.dir, 'bash').done;
        const planned = w.transcript().length;
        const first = await run();
        expect(first.code, first.stderr.slice(-3000)).toBe(0);
        const result = CellResultSchema.parse(
          JSON.parse(readFileSync(join(out, 'results/results.json'), 'utf8')),
        );
        expect(result.verdict).toBe('pass');
        expect(result.cell.cluster).toBe('existing');
        expect(result.cell.id).toBe(index(out).cell.id);
        // Istio came from the bundle's manifests; legacy: Calico's patch reached the injector through kustomize.
        expect(w.state().istio).toMatchObject({
          version: index(out).cell.istio,
          templates: name === 'default' ? ['dikastes', 'dikastes-gateway'] : [],
        });
        expect(w.state().legacyPatch).toBe(name === 'legacy');
        const afterFirst = w.state();
        const calls1 = w.transcript().length;

        const second = await run();
        expect(second.code, second.stderr.slice(-3000)).toBe(0);
        expect(second.stdout).toContain('exists: reusing it');
        expect(
          CellResultSchema.parse(JSON.parse(readFileSync(join(out, 'results/results.json'), 'utf8'))).verdict,
        ).toBe('pass');
        // The same cluster, the same objects: only reads, server-side applies of what is there, the suite.
        expect(w.state()).toEqual(afterFirst);
        const again = w.transcript().slice(calls1);
        expect(again.filter((c) => c.tool === 'kind').map((c) => c.argv.slice(0, 2).join(' '))).toEqual([
          'get clusters',
          'export kubeconfig',
        ]);
        const applies = again.filter(
          (c) => c.tool === 'kubectl' && c.argv[0] === 'apply' && c.argv.includes('-k'),
        );
        expect(applies.length).toBe(4);
        for (const a of applies) expect(a.argv).toContain('--server-side');
        // Every tool the runbook ran is the one verified into bin/.
        for (const c of w.transcript().slice(planned))
          expect(c.bin, `${c.tool} ${c.argv.join(' ')}`).toBe(join(out, 'bin', c.tool));
      } finally {
        await gw.close();
      }
    },
    180_000,
  );

  it('refuses a bundle whose download is not what the catalog pins, and writes nothing', async () => {
    // The stand-in Tigera operator manifests the server offers cannot match the catalog's digests.
    const w = await world();
    const parent = await mkdtemp(join(tmpdir(), 'cic-gitops-'));
    dirs.push(parent);
    const out = join(parent, 'bundle');
    await mkdir(out);
    const downloads = await startDownloadServer({ workDir: w.dir });
    try {
      const exit = await start(
        bundles.cli,
        [
          'plan',
          '--bundle',
          '--out',
          out,
          ...downloads.mirrors.flatMap((m) => ['--mirror', m]),
          '--allow-insecure-mirrors',
          'true',
        ],
        w.env(),
        w.dir,
      ).done;
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(/tigera-operator\.yaml|v1_crd_projectcalico_org\.yaml/);
      expect(exit.stderr).toContain('is not the file the catalog pins');
      expect(readdirSync(parent)).toEqual(['bundle']);
      expect(readdirSync(out)).toEqual([]);
    } finally {
      await downloads.close();
    }
  }, 120_000);

  it('refuses a directory holding files no bundle wrote, before fetching anything (exit 2)', async () => {
    const w = await world();
    const parent = await mkdtemp(join(tmpdir(), 'cic-gitops-'));
    dirs.push(parent);
    await writeFile(join(parent, 'README.md'), 'mine\n');
    const exit = await start(
      bundles.cli,
      ['plan', '--bundle', '--out', parent, '--mirror', 'https://dl.k8s.io=https://127.0.0.1:9/x'],
      w.env(),
      w.dir,
    ).done;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('holds files a bundle did not write (README.md)');
    expect(readdirSync(parent)).toEqual(['README.md']);
  });
});

function flagsToInputs(flags: readonly string[]) {
  const names: Record<string, string> = {
    '--istio': 'istio-version',
    '--calico': 'calico-version',
    '--kubernetes': 'kubernetes-version',
    '--install': 'install',
  };
  const out: Record<string, string> = {};
  for (let i = 0; i < flags.length; i += 2) out[names[flags[i]!]!] = flags[i + 1]!;
  return out;
}

function walk(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? walk(dir, p) : [p];
  });
}
