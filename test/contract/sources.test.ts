import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROBE_CLIENT } from '../../src/catalog/index.js';
import { execaRunner } from '../../src/exec/process.js';
import { Kubectl } from '../../src/kube/kubectl.js';
import type { ProbeClientFacts } from '../../src/plan/types.js';
import { SuiteResultSchema, type SuiteResult } from '../../src/result/schema.js';
import { createSuiteRunner, kubectlPolicyApplier, kubectlSources } from '../../src/suite/index.js';
import { FAKES_DIR } from '../fakes/servers.js';
import { ROOT, waitForCall, World, type Scenario } from './harness.js';

/** A cluster with Calico, Istio (templates, injection on in boutique) and Online Boutique running. */
const INSTALLED = {
  clusters: {},
  objects: {},
  felix: { policySyncPathPrefix: '/var/run/nodeagent' },
  istio: { version: '1.28.1', templates: ['dikastes', 'dikastes-gateway'] },
  namespaceLabels: { boutique: { 'istio-injection': 'enabled' } },
  boutique: true,
  canary: false,
  policies: {},
};
const CLIENT: ProbeClientFacts = {
  ...PROBE_CLIENT,
  image: PROBE_CLIENT.imageTemplate.replace('{istio}', '1.28.1'),
};
const BOUTIQUE = join(ROOT, 'e2e-manifests/suites/boutique');
const MANIFESTS = [
  'productcatalog-new-connections.yaml',
  'productcatalog-frontend-identity.yaml',
  'productcatalog-allow-by-label.yaml',
];
const FRONTEND_SA = '{ namespace: boutique, serviceAccount: frontend, labels: { app: catalog-client } }';
const OTHER_SA = '{ namespace: boutique, serviceAccount: default, labels: { app: catalog-intruder } }';
const LIST = '{ method: POST, path: /hipstershop.ProductCatalogService/ListProducts }';

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.remove();
});

async function setup(steps: string, scenario: Scenario = {}) {
  const w = await World.create({ existingCluster: true, initialState: INSTALLED, ...scenario });
  worlds.push(w);
  const dir = join(w.dir, 'suite');
  await mkdir(dir);
  for (const f of MANIFESTS) await copyFile(join(BOUTIQUE, f), join(dir, f));
  const suiteFile = join(dir, 'suite.yaml');
  await writeFile(
    suiteFile,
    `apiVersion: calico-istio-conformance/v1
kind: Suite
name: sources
target: { namespace: boutique, selector: app=frontend }
timing: { consecutive: 1, interval: 20ms, hold: 40ms, timeout: 60s, probeTimeout: 20s }
steps:
${steps}`,
  );
  const kubeconfig = join(w.dir, 'kubeconfig');
  await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\ncurrent-context: mine\n');
  const env = w.env({ KUBECONFIG: kubeconfig });
  const kubectl = join(FAKES_DIR, 'kubectl');
  const k = new Kubectl({ runner: execaRunner(), path: kubectl, env, timeoutMs: 30_000 });
  const lines: string[] = [];
  const run = async (signal: AbortSignal = new AbortController().signal): Promise<SuiteResult> =>
    SuiteResultSchema.parse(
      await createSuiteRunner({ cleanupTimeoutMs: 60_000 })({
        suiteFile,
        ingressUrl: 'http://127.0.0.1:9',
        dikastesReady: { ready: true, evidence: 'test' },
        policies: kubectlPolicyApplier(kubectl, env),
        sources: kubectlSources(k, CLIENT, 5_000),
        signal,
        log: (l) => lines.push(l),
      }),
    );
  const clients = () => Object.keys((w.state().workloads as Record<string, unknown> | undefined) ?? {});
  const applies = () => w.transcript().filter((c) => c.tool === 'kubectl' && c.argv[0] === 'apply');
  return { w, run, lines, clients, applies };
}

const IDENTITY_AND_LABEL = `
  - name: by-identity
    apply: [productcatalog-new-connections.yaml, productcatalog-frontend-identity.yaml]
    to: { service: productcatalogservice, port: 3550 }
    expect:
      - name: frontend sa allowed
        from: ${FRONTEND_SA}
        request: ${LIST}
        verdict: allow
      - name: other sa denied at L7
        from: ${OTHER_SA}
        request: ${LIST}
        verdict: deny
        layer: l7
  - name: by-label
    delete: [productcatalog-frontend-identity.yaml]
    apply: [productcatalog-allow-by-label.yaml]
    to: { service: productcatalogservice, port: 3550 }
    expect:
      - name: unlabelled denied at L4
        from: ${OTHER_SA}
        request: ${LIST}
        verdict: deny
        layer: l4
`;

describe('sources inside the mesh, against the fake cluster (issue 16)', () => {
  it('allowed by service account, denied by service account at L7, denied by selector at L4; clients removed', async () => {
    const { run, clients, lines, w } = await setup(IDENTITY_AND_LABEL);
    const r = await run();
    expect(r.status, JSON.stringify(r, null, 1)).toBe('pass');
    const [identity, label] = r.steps;
    const allowed = identity!.expectations[0]!;
    expect(allowed.observed?.verdict).toBe('allowed');
    expect(allowed.observed?.status).toBe(415);
    expect(allowed.from).toMatchObject({
      kind: 'client',
      namespace: 'boutique',
      serviceAccount: 'frontend',
      labels: { app: 'catalog-client' },
    });
    expect(allowed.to).toEqual({ service: 'productcatalogservice', namespace: 'boutique', port: 3550 });
    const l7 = identity!.expectations[1]!;
    expect(l7.observed).toMatchObject({ verdict: 'denied-l7', status: 403, bodyExcerpt: '' });
    expect(l7.from?.serviceAccount).toBe('default');
    const l4 = label!.expectations[0]!;
    expect(l4.observed?.verdict).toBe('denied-l4');
    expect(l4.observed?.reason).toBe('retried and the latest reset reason: connection timeout');
    expect(clients()).toEqual([]);
    expect(r.cleanup?.detail).toMatch(
      /removed probe clients boutique\/cic-probe-[\w-]+, boutique\/cic-probe-[\w-]+/,
    );
    // The requests went through kubectl exec into the client container, argv only.
    const exec = w.transcript().find((c) => c.argv[0] === 'exec' && c.argv.includes('--url'))!;
    expect(exec.argv.slice(exec.argv.indexOf('--') + 1, exec.argv.indexOf('--') + 2)).toEqual(['curl']);
    expect(lines.some((l) => l.includes('pinned by tag only'))).toBe(true);
  });

  it('the same policy fails an expectation that disagrees, and the clients are still removed', async () => {
    const { run, clients } = await setup(`
  - name: wrong
    apply: [productcatalog-new-connections.yaml, productcatalog-frontend-identity.yaml]
    timing: { timeout: 1s }
    to: { service: productcatalogservice, port: 3550 }
    expect:
      - from: ${OTHER_SA}
        request: ${LIST}
        verdict: allow
`);
    const r = await run();
    expect(r.status).toBe('fail');
    expect(r.steps[0]!.expectations[0]!.observed?.verdict).toBe('denied-l7');
    expect(clients()).toEqual([]);
    expect(r.cleanup?.status).toBe('done');
  });

  it('a source workload that does not exist: a clear error, nothing applied, nothing left behind', async () => {
    const { run, clients, applies } = await setup(`
  - name: missing
    apply: [productcatalog-frontend-identity.yaml]
    to: { service: productcatalogservice, port: 3550 }
    expect:
      - from: ${FRONTEND_SA}
        request: ${LIST}
        verdict: allow
      - from: { namespace: boutique, selector: app=ghost }
        request: ${LIST}
        verdict: deny
`);
    const r = await run();
    expect(r.status).toBe('error');
    expect(r.diagnosis).toContain(
      'source boutique/app=ghost: no Ready pod matches app=ghost in namespace boutique',
    );
    expect(r.steps.map((s) => s.status)).toEqual(['skipped']);
    expect(applies()).toEqual([]);
    expect(clients()).toEqual([]);
  });

  it('a missing service account, a workload without curl: named before any policy', async () => {
    const ghost = await setup(`
  - name: s
    to: { service: productcatalogservice, port: 3550 }
    expect:
      - from: { namespace: boutique, serviceAccount: ghost }
        request: ${LIST}
        verdict: allow
`);
    const r1 = await ghost.run();
    expect(r1.diagnosis).toMatch(/ServiceAccount ghost in namespace boutique cannot be read: .*not found/);
    expect(ghost.applies()).toEqual([]);
    const distroless = await setup(`
  - name: s
    to: { service: productcatalogservice, port: 3550 }
    expect:
      - from: { namespace: boutique, selector: app=frontend }
        request: ${LIST}
        verdict: allow
`);
    const r2 = await distroless.run();
    expect(r2.diagnosis).toMatch(
      /container server of pod frontend-\S+ cannot run curl .*executable file not found/,
    );
  });

  it('a probe client that never becomes Ready is removed, and the suite says why', async () => {
    const { run, clients, w } = await setup(
      `
  - name: s
    to: { service: productcatalogservice, port: 3550 }
    expect:
      - from: ${FRONTEND_SA}
        request: ${LIST}
        verdict: allow
`,
      { clientNeverReady: true },
    );
    const r = await run();
    expect(r.status).toBe('error');
    expect(r.diagnosis).toMatch(/probe client cic-probe-frontend-\w+ did not become Ready: error: timed out/);
    expect(
      w.transcript().some((c) => c.argv[0] === 'delete' && String(c.argv[1]).startsWith('deployment/')),
    ).toBe(true);
    expect(clients()).toEqual([]);
  });

  it('a cancel mid-suite removes the probe clients and the policies', async () => {
    const { run, clients, w } = await setup(IDENTITY_AND_LABEL);
    const ctl = new AbortController();
    const done = run(ctl.signal);
    await waitForCall(w, (c) => c.tool === 'kubectl' && c.argv[0] === 'exec' && c.argv.includes('--url'));
    ctl.abort(new Error('user cancelled'));
    const r = await done;
    expect(r.finding?.kind).toBe('cancelled');
    expect(clients()).toEqual([]);
    expect(Object.keys(w.state().policies as object)).toEqual([]);
  });

  it('a user’s own workload as the source: its pod, its service account and labels', async () => {
    const { run } = await setup(
      `
  - name: own
    apply: [productcatalog-frontend-identity.yaml]
    to: { service: productcatalogservice, port: 3550 }
    expect:
      - from: { namespace: boutique, selector: app=orders, container: app }
        request: ${LIST}
        verdict: deny
        layer: l7
`,
      {
        initialState: {
          ...INSTALLED,
          workloads: {
            'boutique/orders': {
              namespace: 'boutique',
              name: 'orders',
              labels: { app: 'orders' },
              serviceAccount: 'orders',
              containers: [{ name: 'app', image: 'docker.io/istio/proxyv2:1.28.1' }],
            },
          },
        },
      },
    );
    const r = await run();
    expect(r.status, JSON.stringify(r.steps, null, 1)).toBe('pass');
    expect(r.steps[0]!.expectations[0]!.from).toMatchObject({
      kind: 'workload',
      serviceAccount: 'orders',
      selector: 'app=orders',
      pod: 'orders-5c8d7f9b4-q2w3e',
    });
  });
});
