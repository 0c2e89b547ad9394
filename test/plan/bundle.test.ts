import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { cliNaming, type RawInputs } from '../../src/config/inputs.js';
import { buildPlan } from '../../src/plan/build.js';
import { bundleIstioOperator, bundleSpec, stageKustomization } from '../../src/plan/bundle.js';
import { renderBundleRunbook } from '../../src/plan/bundle-runbook.js';
import { renderIstioOperator } from '../../src/render/istio-operator.js';
import { resolveCell } from '../../src/resolve/cell.js';

const cellOf = (inputs: RawInputs) => resolveCell(parseCellConfig(inputs, cliNaming));
const specOf = (inputs: RawInputs) => {
  const cell = cellOf(inputs);
  return bundleSpec(cell, buildPlan(cell));
};
const TOOLS = [
  { name: 'kind', version: 'v0.32.0', sha256: 'a'.repeat(64) },
  { name: 'kubectl', version: 'v1.34.8', sha256: 'b'.repeat(64) },
  { name: 'istioctl', version: '1.28.1', sha256: 'c'.repeat(64) },
];

describe('bundleSpec: the stages a GitOps tool applies, in order', () => {
  it('default cell: Calico, Istio, ALP and the workload, each stage its wave and apply mode', () => {
    const spec = specOf({});
    expect(spec.stages.map((s) => [s.dir, s.wave, s.apply])).toEqual([
      ['10-calico-operator', 1, 'server-side'],
      ['20-calico-install', 2, 'server-side'],
      ['30-calico-felix', 3, 'client-side'],
      ['40-istio', 4, 'server-side'],
      ['50-alp', 5, 'server-side'],
      ['60-workload-namespace', 6, 'server-side'],
      ['70-workload', 7, 'server-side'],
    ]);
    // Calico's operator manifests, in the catalog's order, verbatim from their pinned URLs.
    const cell = cellOf({});
    expect(spec.stages[0]!.resources).toEqual(cell.calico.operatorManifests.map((f) => f.file));
    for (const f of cell.calico.operatorManifests) {
      const file = spec.files.find((x) => x.path === `stages/10-calico-operator/${f.file}`);
      expect(file?.source).toEqual({ kind: 'upstream', url: f.url, fetchUrl: f.url, sha256: f.sha256 });
    }
    // Each stage waits for what the plan's own steps wait for before the next.
    expect(spec.stages[0]!.waits.map((w) => w.exec.slice(1, 3))).toEqual([
      ['wait', '--for=condition=Established'],
      ['rollout', 'status'],
    ]);
    expect(spec.stages[1]!.waits.map((w) => w.exec[3])).toEqual([
      'tigerastatus/calico',
      'nodes',
      'tigerastatus/apiserver',
      'apiservice/v3.projectcalico.org',
      'daemonset/csi-node-driver',
    ]);
    expect(spec.cluster?.name).toBe(buildPlan(cell).plan.cell.clusterName);
  });

  it('the verdict is `run` against the cluster the stages set up, with the same cell', () => {
    const spec = specOf({ 'strict-mtls': 'false', 'fail-on-known-defect': 'true' });
    const v = spec.verdict;
    const arg = (f: string) => v[v.indexOf(f) + 1];
    expect(v[0]).toBe('run');
    expect([arg('--cluster'), arg('--install'), arg('--tools-from-path')]).toEqual([
      'existing',
      'none',
      'true',
    ]);
    expect([arg('--kubernetes'), arg('--calico'), arg('--istio')]).toEqual(['1.34.8', 'v3.32.1', '1.28.1']);
    expect([arg('--strict-mtls'), arg('--fail-on-known-defect')]).toEqual(['false', 'true']);
    expect(arg('--ingress-url')).toBe('http://127.0.0.1:30080');
    expect(spec.stages.find((s) => s.dir === '60-workload-namespace')!.resources).toEqual(['namespace.yaml']);
  });

  it('Istio is rendered from the plan’s IstioOperator; 1.15 adds only what a render without a cluster needs', () => {
    const modern = cellOf({});
    expect(bundleIstioOperator(modern)).toEqual(renderIstioOperator(modern));
    const legacy = cellOf({
      'istio-version': '1.15',
      'calico-version': 'v3.29.7',
      'kubernetes-version': '1.32',
    });
    const iop = bundleIstioOperator(legacy);
    const plain = renderIstioOperator(legacy);
    expect({ ...iop, spec: { ...iop.spec, values: {} } }).toEqual({
      ...plain,
      spec: { ...plain.spec, values: {} },
    });
    expect(iop.spec.values).toMatchObject({
      global: { defaultPodDisruptionBudget: { enabled: false } },
      pilot: { autoscaleEnabled: false },
    });
  });

  it("legacy cell: Calico's injector file is kept verbatim and applied as a kustomize ConfigMap patch", () => {
    const spec = specOf({
      'istio-version': '1.10',
      'calico-version': 'v3.29.7',
      'kubernetes-version': '1.32',
    });
    const istio = spec.stages.find((s) => s.dir === '40-istio')!;
    expect(istio.resources).toEqual(['istio-namespace.yaml', 'istio.yaml']);
    expect(stageKustomization(istio).patches).toEqual([{ path: 'sidecar-injector-patch.yaml' }]);
    expect(istio.kept).toEqual(['upstream-istio-inject-configmap-1.10.yaml']);
    expect(
      spec.files.find((f) => f.path.endsWith('upstream-istio-inject-configmap-1.10.yaml'))?.source,
    ).toMatchObject({
      kind: 'upstream',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('mirrors redirect where the files are fetched from, the index keeps the upstream URL', () => {
    const spec = specOf({ mirrors: 'https://raw.githubusercontent.com=https://mirror.example/raw' });
    const alp = spec.files.find((f) => f.path === 'stages/50-alp/istio-app-layer-policy-envoy-v3.yaml')!;
    expect(alp.source).toMatchObject({
      url: expect.stringMatching(
        /^https:\/\/raw\.githubusercontent\.com\/projectcalico\/calico\/v3\.32\.1\//,
      ),
      fetchUrl: expect.stringMatching(/^https:\/\/mirror\.example\/raw\/projectcalico\//),
    });
  });
});

describe('the bundle runbook', () => {
  const runbook = (inputs: RawInputs = {}) => renderBundleRunbook(specOf(inputs), TOOLS, '0.1.0');

  it('names no URL but the gateway it probes, and downloads nothing', () => {
    const text = runbook();
    expect(text.match(/https?:\/\/[^\s'"]+/g)).toEqual(['http://127.0.0.1:30080']);
    expect(text).not.toMatch(/\b(curl|wget|install_tool)\b/);
    expect(text).toContain('sha256sum --quiet --strict -c SHA256SUMS');
  });

  it('creates the kind cluster only when it is absent, and applies each stage idempotently', () => {
    const text = runbook();
    const name = specOf({}).cluster!.name;
    expect(text).toContain(`if kind get clusters 2>/dev/null | grep -qxF ${name}; then`);
    expect(text.indexOf('kind get clusters')).toBeLessThan(text.indexOf('kind create cluster'));
    expect(text).not.toMatch(/kubectl (create|patch)\b/);
    expect(text).toContain(
      'kubectl apply --server-side --force-conflicts --field-manager=calico-istio-conformance -k stages/10-calico-operator',
    );
    expect(text).toMatch(/retry 30 10 kubectl apply -k stages\/30-calico-felix\n/);
    expect(text.trimEnd().split('\n').at(-1)).toMatch(
      /^"\$\{cic\[@\]\}" run --cluster existing --install none .* "\$@"$/,
    );
  });

  it('cluster existing: the stages go to the current context; no kind, no kubeconfig of its own', () => {
    const inputs = {
      cluster: 'existing',
      install: 'istio,alp,workload',
      'ingress-url': 'https://gw.example',
    };
    const spec = specOf(inputs);
    expect(spec.cluster).toBeUndefined();
    expect(spec.tools.map((t) => t.name)).toEqual(['kubectl', 'istioctl']);
    const text = renderBundleRunbook(spec, TOOLS.slice(1), '0.1.0');
    expect(text).not.toMatch(/\bkind\b|KUBECONFIG/);
    expect(text).toContain('--ingress-url https://gw.example');
  });

  it('every tool must be the verified binary (istioctl only if present: it renders nothing here)', () => {
    const text = runbook();
    expect(text).toContain(`use_tool kind v0.32.0 ${'a'.repeat(64)}\n`);
    expect(text).toContain(`use_tool kubectl v1.34.8 ${'b'.repeat(64)}\n`);
    expect(text).toContain(`use_tool istioctl 1.28.1 ${'c'.repeat(64)} optional\n`);
  });
});

describe('plan --bundle refuses what it cannot honour, before anything happens (exit 2)', () => {
  const made: string[] = [];
  afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const cli = async (args: string[]) => {
    let err = '';
    const code = await runCli(args, { out: () => {}, err: (t) => (err += t) });
    return { code, err };
  };
  const emptyParent = () => {
    const d = mkdtempSync(join(tmpdir(), 'cic-bundle-refuse-'));
    made.push(d);
    return d;
  };

  it.each([
    [['--cluster', 'existing', '--ingress-url', 'http://127.0.0.1:8080'], /nothing to bundle/],
    [['--install', 'none'], /nothing to bundle/],
    [['--cluster', 'existing', '--install', 'workload'], /needs --ingress-url/],
    [['--suite', 'e2e-manifests/suites/boutique/suite.yaml'], /pass it to the bundle's runbook instead/],
  ])('%j', async (flags, message) => {
    const out = join(emptyParent(), 'bundle');
    const r = await cli(['plan', '--bundle', '--out', out, ...flags]);
    expect(r.err).toMatch(message);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('a plan directory (not a bundle) is not replaced by a bundle', async () => {
    const dir = emptyParent();
    writeFileSync(join(dir, 'plan.json'), '{}\n');
    const r = await cli(['plan', '--bundle', '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('holds no bundle.json (not a bundle)');
    expect(readdirSync(dir)).toEqual(['plan.json']);
  });
});
