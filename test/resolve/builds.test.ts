import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { actionNaming, type RawInputs } from '../../src/config/inputs.js';
import { executePlan } from '../../src/exec/executor.js';
import { undiciFetcher } from '../../src/exec/fetch.js';
import { buildPlan } from '../../src/plan/build.js';
import { checkLocalSources } from '../../src/plan/local-sources.js';
import { renderRunbook } from '../../src/plan/runbook.js';
import { isFetch, type FetchCommand, type Plan, type PlanStep } from '../../src/plan/types.js';
import { resolveCell } from '../../src/resolve/cell.js';
import { installTool } from '../../src/tools/install.js';
import { deps as execDeps, FakeRunner, memoryLog } from '../exec/fakes.js';
import { startDownloadServer } from '../fakes/servers.js';
import { upstream, upstreamAvailable } from '../support/upstream.js';

const HAVE_UPSTREAM = upstreamAvailable();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function planFor(raw: RawInputs) {
  const cell = resolveCell(parseCellConfig(raw, actionNaming));
  return { cell, ...buildPlan(cell) };
}

const fetches = (plan: Plan): FetchCommand['fetch'][] =>
  plan.steps.flatMap((s) => s.commands.filter(isFetch).map((c) => c.fetch));
const argvs = (plan: Plan) =>
  plan.steps.flatMap((s) => s.commands.flatMap((c) => (isFetch(c) ? [] : [c.exec])));
const manifest = (files: ReadonlyMap<string, string>, path: string) =>
  (load as (t: string) => any)(files.get(path)!);

/** Runs only the plan's Calico downloads (nothing reaches the internet), with the real fetcher, into planDir. */
async function runFetches(plan: Plan, planDir: string, only = /projectcalico|^file:/) {
  const fetched: { url: string; sha256: string }[] = [];
  const steps: PlanStep[] = plan.steps
    .map((s) => ({
      ...s,
      commands: s.commands.filter((c) => isFetch(c) && only.test(c.fetch.url)),
      dependsOn: [],
      retry: undefined,
    }))
    .filter((s) => s.commands.length > 0);
  const { log, text } = memoryLog();
  const results = await executePlan(
    steps,
    {
      planDir,
      env: {},
      tools: {},
      signal: AbortSignal.timeout(60_000),
      onFetched: (f) => fetched.push({ url: f.url, sha256: f.sha256 }),
    },
    execDeps(new FakeRunner(() => ({})), log, undiciFetcher({ retries: 0 })),
  );
  return { results, fetched, log: text() };
}

describe('a newer patch of a known minor', () => {
  it('fetches its files at that tag without a pin, with the minor’s facts and window, and says so', () => {
    const { cell, plan } = planFor({ 'calico-version': 'v3.32.2', 'istio-version': '1.28.11' });
    const urls = fetches(plan).filter((f) => f.url.includes('projectcalico'));
    expect(urls.map((f) => f.url)).toEqual([
      'https://raw.githubusercontent.com/projectcalico/calico/v3.32.2/manifests/v1_crd_projectcalico_org.yaml',
      'https://raw.githubusercontent.com/projectcalico/calico/v3.32.2/manifests/tigera-operator.yaml',
      'https://raw.githubusercontent.com/projectcalico/calico/v3.32.2/manifests/custom-resources.yaml',
      'https://raw.githubusercontent.com/projectcalico/calico/v3.32.2/manifests/alp/istio-app-layer-policy-envoy-v3.yaml',
    ]);
    expect(urls.every((f) => f.sha256 === undefined)).toBe(true);
    expect(plan.support[0]).toMatchObject({ version: 'v3.32.2', status: 'supported', pinned: false });
    expect(plan.support[0]!.detail).toContain("newer than the catalog's v3.32.1");
    expect(plan.support[1]).toMatchObject({ version: '1.28.11', status: 'supported', pinned: false });
    expect(plan.provenance?.calico).toMatchObject({
      standing: 'newer-patch',
      factsFrom: '3.32',
      pinned: false,
    });
    expect(plan.facts.notes.join('\n')).toMatch(/Calico v3\.32\.2 .*NOT PINNED/);
    expect(cell.calico.dikastesImage).toBe('quay.io/calico/dikastes:v3.32.2');
    expect(plan.tools.find((t) => t.name === 'istioctl')?.downloads.amd64.url).toContain('/1.28.11/');
  });

  it('the catalog’s own patch stays pinned', () => {
    const { plan } = planFor({});
    const calico = fetches(plan).filter((f) => f.url.includes('projectcalico'));
    expect(calico.every((f) => /^[0-9a-f]{64}$/.test(f.sha256 ?? ''))).toBe(true);
    expect(plan.provenance?.calico).toMatchObject({ standing: 'catalog', pinned: true });
    expect(plan.support.every((s) => s.status === 'supported' && s.pinned === undefined)).toBe(true);
  });
});

describe('a newer minor with inherit', () => {
  it('applies the named minor’s facts, support unknown (never supported), and says which facts', () => {
    const { cell, plan, files } = planFor({
      'calico-version': 'v3.33.0',
      'calico-inherit': '3.32',
      'istio-version': '1.30.0',
      'istio-inherit': '1.28',
    });
    expect(plan.support.map((s) => [s.component, s.status, s.inheritedFrom])).toEqual([
      ['calico', 'unknown', '3.32'],
      ['istio', 'unknown', '1.28'],
    ]);
    expect(plan.support[0]!.detail).toContain('facts inherited from 3.32');
    expect(cell.id).toBe('k8s-1.34.8_calico-v3.33.0_istio-1.30.0');
    // 3.32's file names, at the new tag.
    expect(fetches(plan)[0]!.url).toBe(
      'https://raw.githubusercontent.com/projectcalico/calico/v3.33.0/manifests/v1_crd_projectcalico_org.yaml',
    );
    expect(plan.facts.istioFlavour).toBe('templates');
    expect(
      manifest(files, 'manifests/istio-operator.yaml').spec.values.sidecarInjectorWebhook.templates,
    ).toHaveProperty('dikastes');
    expect(plan.provenance).toMatchObject({
      calico: { standing: 'inherited', factsFrom: '3.32' },
      istio: { standing: 'inherited', factsFrom: '1.28' },
    });
    expect(plan.facts.notes.join('\n')).toContain('facts INHERITED from Calico 3.32');
    expect(plan.facts.notes.join('\n')).toContain(
      'facts INHERITED from Istio 1.28 (install flavour and injection templates',
    );
    expect(plan.provenance?.istio.inheritedFacts).toContain('gRPC probe rewriting');
    expect(plan.tools.find((t) => t.name === 'istioctl')?.downloads.amd64.url).toBe(
      'https://github.com/istio/istio/releases/download/1.30.0/istioctl-1.30.0-linux-amd64.tar.gz',
    );
  });

  it('a build label fetches at that ref, matches no catalogued defect, and takes version facts from the minor’s newest patch', () => {
    const { cell, plan } = planFor({ 'calico-version': 'master', 'calico-inherit': '3.31' });
    expect(fetches(plan)[0]!.url).toContain('/projectcalico/calico/master/manifests/operator-crds.yaml');
    expect(cell.calico.defect).toBeUndefined();
    expect(cell.calico.httpPaths).toBe('normalised');
    expect(plan.provenance?.calico).toMatchObject({
      standing: 'label',
      manifests: {
        source: 'git-ref',
        location: 'https://raw.githubusercontent.com/projectcalico/calico/master/manifests',
      },
    });
    expect(plan.provenance?.calico.inheritedFacts).toContain('HTTP path matching');
    expect(cell.calico.dikastesImage).toBe('quay.io/calico/dikastes:master');
  });
});

describe('Calico manifests from a directory', () => {
  it.skipIf(!HAVE_UPSTREAM)(
    'copies every file from it, records each sha256, and refuses a missing one by name',
    async () => {
      const dir = tempDir('cic-manifests-');
      mkdirSync(join(dir, 'alp'));
      for (const f of ['custom-resources.yaml', 'alp/istio-app-layer-policy-envoy-v3.yaml'])
        copyFileSync(upstream('calico/v3.32.1', f), join(dir, f));
      writeFileSync(join(dir, 'tigera-operator.yaml'), 'kind: List\n');
      const raw = { 'calico-version': 'v3.33.0-0.dev', 'calico-inherit': '3.32', 'calico-manifests': dir };
      const { plan } = planFor(raw);
      const local = fetches(plan).filter((f) => f.url.startsWith('file:'));
      expect(local.map((f) => fileURLToPath(f.url))).toEqual([
        join(dir, 'v1_crd_projectcalico_org.yaml'),
        join(dir, 'tigera-operator.yaml'),
        join(dir, 'custom-resources.yaml'),
        join(dir, 'alp/istio-app-layer-policy-envoy-v3.yaml'),
      ]);
      expect(local.every((f) => f.sha256 === undefined)).toBe(true);
      expect(plan.provenance?.calico.manifests).toEqual({ source: 'directory', location: dir });

      const err = await checkLocalSources(plan, actionNaming).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toBe(
        `Invalid input "calico-manifests": ${JSON.stringify(dir)} is missing v1_crd_projectcalico_org.yaml. Accepted: a directory laid out like Calico's manifests/, holding the files this cell applies: v1_crd_projectcalico_org.yaml, tigera-operator.yaml, custom-resources.yaml, alp/istio-app-layer-policy-envoy-v3.yaml.`,
      );

      writeFileSync(join(dir, 'v1_crd_projectcalico_org.yaml'), 'kind: List\n');
      await checkLocalSources(plan, actionNaming);
      const planDir = tempDir('cic-plandir-');
      const { results, fetched } = await runFetches(plan, planDir);
      expect(results.map((r) => r.status)).toEqual(['passed', 'passed', 'passed']);
      const cr = readFileSync(upstream('calico/v3.32.1/custom-resources.yaml'));
      expect(fetched.find((f) => f.url.endsWith('/custom-resources.yaml'))?.sha256).toBe(sha256(cr));
      expect(readFileSync(join(planDir, 'downloads/custom-resources.yaml'))).toEqual(cr);
    },
  );

  it('the CLI refuses a directory missing a file before writing anything (exit 2)', async () => {
    const dir = tempDir('cic-empty-manifests-');
    const out = join(tempDir('cic-plan-out-'), 'plan');
    let err = '';
    const code = await runCli(['plan', '--out', out, '--calico', 'v3.32.2', '--calico-manifests', dir], {
      out: () => undefined,
      err: (t) => (err += t),
    });
    expect(code).toBe(2);
    expect(err).toContain(
      `Invalid --calico-manifests: ${JSON.stringify(dir)} is missing v1_crd_projectcalico_org.yaml, tigera-operator.yaml, custom-resources.yaml, alp/istio-app-layer-policy-envoy-v3.yaml`,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('Calico manifests from a git ref, served by a local HTTP server', () => {
  it.skipIf(!HAVE_UPSTREAM)(
    'maps the ref to raw URLs through the mirrors and records the bytes it got',
    async () => {
      const work = tempDir('cic-server-');
      const server = await startDownloadServer({ workDir: work });
      try {
        // The server stands in for raw.githubusercontent.com; the ref is one whose bytes the workplace has.
        const { plan } = planFor({
          'calico-version': 'v3.33.0-0.dev',
          'calico-inherit': '3.32',
          'calico-manifests': 'git:v3.32.1',
          mirrors: `https://raw.githubusercontent.com=${server.url}/raw`,
          'allow-insecure-mirrors': 'true',
        });
        const calico = fetches(plan).filter((f) => f.url.includes('projectcalico'));
        expect(calico.map((f) => f.url)).toContain(
          `${server.url}/raw/projectcalico/calico/v3.32.1/manifests/alp/istio-app-layer-policy-envoy-v3.yaml`,
        );
        expect(plan.provenance?.calico.manifests).toEqual({
          source: 'git-ref',
          location: 'https://raw.githubusercontent.com/projectcalico/calico/v3.32.1/manifests',
        });
        const planDir = tempDir('cic-plandir-');
        const { results, fetched } = await runFetches(plan, planDir);
        expect(results.every((r) => r.status === 'passed')).toBe(true);
        for (const f of ['custom-resources.yaml', 'alp/istio-app-layer-policy-envoy-v3.yaml']) {
          const want = sha256(readFileSync(upstream('calico/v3.32.1', f)));
          expect(fetched.find((x) => x.url.endsWith(`/manifests/${f}`))?.sha256).toBe(want);
        }
        expect(server.requests).toContain('/raw/projectcalico/calico/v3.32.1/manifests/tigera-operator.yaml');
      } finally {
        await server.close();
      }
    },
  );
});

describe('a custom Dikastes image', () => {
  const image = 'registry.example:5000/calico/dikastes:pr-1234';

  it('is the image of both injection templates', () => {
    const { files, plan } = planFor({ 'dikastes-image': image });
    const templates = manifest(files, 'manifests/istio-operator.yaml').spec.values.sidecarInjectorWebhook
      .templates;
    for (const name of ['dikastes', 'dikastes-gateway'])
      expect((load as (t: string) => any)(templates[name]).spec.containers[0].image).toBe(image);
    expect(plan.cell.dikastesImage).toBe(image);
    expect(plan.provenance?.calico.images).toMatchObject({ dikastes: image, dikastesSource: 'user' });
  });

  it.skipIf(!HAVE_UPSTREAM)(
    'replaces the legacy patch’s image lines after its pin is checked (executor and runbook alike)',
    async () => {
      const work = tempDir('cic-server-');
      const server = await startDownloadServer({ workDir: work });
      try {
        const { plan } = planFor({
          'kubernetes-version': '1.32',
          'calico-version': 'v3.29.7',
          'istio-version': '1.15',
          'dikastes-image': image,
          mirrors: `https://raw.githubusercontent.com=${server.url}/raw`,
          'allow-insecure-mirrors': 'true',
        });
        const patch = fetches(plan).find((f) => f.url.endsWith('istio-inject-configmap-1.15.yaml'))!;
        expect(patch.setImage).toEqual({ name: 'dikastes', image });
        expect(patch.sha256).toMatch(/^[0-9a-f]{64}$/);
        const original = readFileSync(
          upstream('calico/v3.29.7/alp/istio-inject-configmap-1.15.yaml'),
          'utf8',
        );
        expect(original.match(/image: calico\/dikastes:v3\.29\.7/g)).toHaveLength(2);

        const planDir = tempDir('cic-plandir-');
        // Only the patch: the workplace holds no v3.29.7 operator manifest to serve.
        const { results, fetched } = await runFetches(plan, planDir, /istio-inject-configmap/);
        expect(results.map((r) => [r.id, r.status])).toEqual([['istio-legacy-injector', 'passed']]);
        // The recorded digest is the upstream file's (the pin held), the file on disk carries the image.
        expect(fetched.find((f) => f.url.endsWith('1.15.yaml'))?.sha256).toBe(sha256(original));
        const edited = readFileSync(join(planDir, 'downloads/istio-inject-configmap-1.15.yaml'), 'utf8');
        expect(edited.match(new RegExp(`image: ${image.replace(/[.]/g, '\\.')}$`, 'gm'))).toHaveLength(2);
        expect(edited).not.toContain('calico/dikastes:v3.29.7');
        expect(edited.replaceAll(image, 'calico/dikastes:v3.29.7')).toBe(original);

        // The runbook's set_image does the same edit.
        const runbook = renderRunbook(plan);
        const fn = runbook.slice(
          runbook.indexOf('set_image() {'),
          runbook.indexOf('\n}\n', runbook.indexOf('set_image() {')) + 3,
        );
        const copy = join(work, 'patch.yaml');
        writeFileSync(copy, original);
        execFileSync('bash', ['-c', `${fn}\nset_image "$1" dikastes "$2"`, 'bash', copy, image]);
        expect(readFileSync(copy, 'utf8')).toBe(edited);
        writeFileSync(copy, 'data: {}\n');
        expect(() =>
          execFileSync('bash', ['-c', `${fn}\nset_image "$1" dikastes "$2"`, 'bash', copy, image], {
            stdio: 'pipe',
          }),
        ).toThrow(/names no dikastes image/);
      } finally {
        await server.close();
      }
    },
  );

  it('is not applied to the legacy patch when not given (the upstream file stays as pinned)', () => {
    const { plan } = planFor({
      'kubernetes-version': '1.32',
      'calico-version': 'v3.29.7',
      'istio-version': '1.15',
    });
    const patch = fetches(plan).find((f) => f.url.endsWith('istio-inject-configmap-1.15.yaml'))!;
    expect(patch.setImage).toBeUndefined();
  });
});

describe('Calico images: Installation fields and the operator', () => {
  it('sets registry/imagePath/imagePrefix through a kustomization over custom-resources.yaml, and the operator image', () => {
    const operator = 'registry.example:5000/tigera/operator:pr-99';
    const { plan, files, cell } = planFor({
      'calico-registry': 'registry.example:5000',
      'calico-image-path': 'calico-ci',
      'calico-image-prefix': 'pr-',
      'calico-operator-image': operator,
    });
    const k = manifest(files, 'manifests/calico/kustomization.yaml');
    expect(k.resources).toEqual(['custom-resources.yaml']);
    expect(k.patches[0].target).toEqual({
      group: 'operator.tigera.io',
      kind: 'Installation',
      name: 'default',
    });
    expect(JSON.parse(k.patches[0].patch)).toEqual([
      { op: 'add', path: '/spec/registry', value: 'registry.example:5000/' },
      { op: 'add', path: '/spec/imagePath', value: 'calico-ci' },
      { op: 'add', path: '/spec/imagePrefix', value: 'pr-' },
    ]);
    expect(fetches(plan).find((f) => f.url.endsWith('custom-resources.yaml'))?.dest).toBe(
      'manifests/calico/custom-resources.yaml',
    );
    const all = argvs(plan).map((a) => a.join(' '));
    expect(all).toContain('kubectl create -k manifests/calico');
    const setImage = all.indexOf(
      `kubectl set image deployment/tigera-operator -n tigera-operator tigera-operator=${operator}`,
    );
    expect(setImage).toBeGreaterThan(all.indexOf('kubectl create -f downloads/tigera-operator.yaml'));
    expect(setImage).toBeLessThan(all.indexOf('kubectl create -k manifests/calico'));
    // Component tags are the user's operator's: only the operator itself is preloaded.
    expect(cell.calico.images).toEqual([operator]);
  });

  it('without an operator, preloads the component images where the Installation fields put them', () => {
    const { cell } = planFor({ 'calico-registry': 'registry.example:5000/', 'calico-image-prefix': 'pr-' });
    expect(cell.calico.images).toContain('registry.example:5000/calico/pr-node:v3.32.1');
  });
});

describe('Istio: hub/tag and istioctl from a path', () => {
  it('puts hub and tag on the IstioOperator and preloads those images', () => {
    const { files, cell } = planFor({ 'istio-hub': 'gcr.io/istio-testing', 'istio-tag': '1.30-dev' });
    const spec = manifest(files, 'manifests/istio-operator.yaml').spec;
    expect([spec.hub, spec.tag]).toEqual(['gcr.io/istio-testing', '1.30-dev']);
    expect(cell.istio.images).toEqual([
      'gcr.io/istio-testing/pilot:1.30-dev',
      'gcr.io/istio-testing/proxyv2:1.30-dev',
    ]);
    expect(planFor({}).files.get('manifests/istio-operator.yaml')).not.toMatch(/^ {2}(hub|tag):/m);
  });

  it('installs a given istioctl from its path (sha256 recorded, checked when given) and the runbook uses it', async () => {
    const dir = tempDir('cic-istioctl-');
    const bin = join(dir, 'istioctl');
    writeFileSync(bin, '#!/bin/sh\necho istioctl\n');
    chmodSync(bin, 0o755);
    const digest = sha256(readFileSync(bin));
    const { plan } = planFor({ 'istio-version': 'master', 'istio-inherit': '1.28', istioctl: bin });
    const tool = plan.tools.find((t) => t.name === 'istioctl')!;
    expect(tool.given).toEqual({ path: bin });
    expect(plan.provenance?.istio).toMatchObject({
      standing: 'label',
      istioctl: { source: 'path', location: bin },
    });
    expect(renderRunbook(plan)).toContain(`install_given_tool istioctl ${bin} ''`);

    const { log } = memoryLog();
    const opts = {
      arch: 'amd64' as const,
      mirrors: [],
      cache: { find: async () => undefined, store: async () => '/never' },
      fromPath: true,
      fetcher: undiciFetcher({ retries: 0 }),
      runner: new FakeRunner(() => ({})),
      log,
      signal: AbortSignal.timeout(10_000),
      sourceOf: () => {
        throw new Error('a given tool is never looked up');
      },
    };
    const got = await installTool('istioctl', 'master', { ...opts, givenOf: () => tool.given });
    expect(got).toEqual({
      path: bin,
      result: {
        name: 'istioctl',
        version: 'master',
        source: 'given',
        from: bin,
        sha256: digest,
        checksumSource: 'none',
      },
    });
    await expect(
      installTool('istioctl', 'master', { ...opts, givenOf: () => ({ path: bin, sha256: 'f'.repeat(64) }) }),
    ).rejects.toThrow(`has sha256 ${digest}, not ${'f'.repeat(64)}`);

    const missing = join(dir, 'nope');
    const { plan: bad } = planFor({ 'istio-version': '1.30.0', 'istio-inherit': '1.28', istioctl: missing });
    await expect(checkLocalSources(bad, actionNaming)).rejects.toThrow(
      `Invalid input "istioctl": ${JSON.stringify(missing)} is not an executable file.`,
    );
  });

  it('a URL is downloaded through the mirrors with the given sha256, unpacked when a .tar.gz', () => {
    const url = 'https://example.com/builds/istioctl-1.30.0-linux-amd64.tar.gz';
    const { plan } = planFor({
      istioctl: url,
      'istioctl-sha256': 'a'.repeat(64),
      mirrors: 'https://example.com=https://mirror.example/ex',
    });
    expect(plan.tools.find((t) => t.name === 'istioctl')?.given).toEqual({
      url: 'https://mirror.example/ex/builds/istioctl-1.30.0-linux-amd64.tar.gz',
      sha256: 'a'.repeat(64),
      archivePath: 'istioctl',
    });
  });
});

describe('provenance reaches the plan file', () => {
  it('plan.json carries where Calico and Istio came from', async () => {
    const out = join(tempDir('cic-plan-out-'), 'plan');
    const code = await runCli(
      [
        'plan',
        '--out',
        out,
        '--calico',
        'v3.33.0',
        '--calico-inherit',
        '3.32',
        '--dikastes-image',
        'quay.io/me/dikastes:dev',
      ],
      { out: () => undefined, err: () => undefined },
    );
    expect(code).toBe(0);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as Plan;
    expect(plan.provenance?.calico).toMatchObject({
      version: 'v3.33.0',
      standing: 'inherited',
      factsFrom: '3.32',
    });
    expect(readFileSync(join(out, 'runbook.sh'), 'utf8')).toContain('# Support: calico v3.33.0: unknown');
    expect(dirname(out)).toBeTruthy();
  });
});

describe('plan --bundle and the user’s images', () => {
  it('refuses what a bundle would silently drop, before anything is written (exit 2)', async () => {
    const out = join(tempDir('cic-bundle-out-'), 'bundle');
    let err = '';
    const code = await runCli(
      ['plan', '--bundle', '--out', out, '--calico-operator-image', 'registry.example/tigera/operator:dev'],
      { out: () => undefined, err: (t) => (err += t) },
    );
    expect(code).toBe(2);
    expect(err).toContain('--bundle does not apply --calico-operator-image yet');
    expect(existsSync(out)).toBe(false);
  });
});
