import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellResultSchema, type CellResult } from '../../src/result/schema.js';
import { startGateway } from '../fakes/gateway.js';
import { upstreamAvailable } from '../support/upstream.js';
import { buildBundles, ROOT, start, World, type Bundles } from './harness.js';

/** A cluster of the user's own with Calico, Istio (templates) and Online Boutique already running. */
const INSTALLED = {
  clusters: {},
  objects: {},
  felix: { policySyncPathPrefix: '/var/run/nodeagent' },
  istio: { version: '1.28.1', templates: ['dikastes', 'dikastes-gateway'] },
  namespaceLabels: { boutique: { 'istio-injection': 'enabled' }, shop: { 'istio-injection': 'enabled' } },
  boutique: true,
  canary: false,
  policies: {},
  routes: { maxRequestsPerConnection: 1, connectTimeout: '2s', retries: 2 },
  // A user's own workload in another namespace, curl beside its sidecar, under a service account
  // named like frontend's: the policy's serviceAccounts rule names accounts of its own namespace only.
  workloads: {
    'shop/orders': {
      namespace: 'shop',
      name: 'orders',
      labels: { app: 'orders' },
      serviceAccount: 'frontend',
      containers: [{ name: 'app', image: 'docker.io/istio/proxyv2:1.28.1' }],
    },
  },
};

const BOUTIQUE = join(ROOT, 'e2e-manifests/suites/boutique');
const MANIFESTS = ['productcatalog-new-connections.yaml', 'productcatalog-frontend-identity.yaml'];
const LIST = '{ method: POST, path: /hipstershop.ProductCatalogService/ListProducts }';

/** Service to service, every verdict left to the oracle: a probe client per identity, a workload source. */
const SUITE = `apiVersion: calico-istio-conformance/v1
kind: Suite
name: catalog by identity
target: { namespace: boutique, selector: app=frontend }
timing: { consecutive: 1, interval: 20ms, hold: 40ms, timeout: 5s, probeTimeout: 20s }
steps:
  - name: by-identity
    apply: [${MANIFESTS.join(', ')}]
    to: { service: productcatalogservice, port: 3550 }
    expect:
      - name: frontend identity
        from: { namespace: boutique, serviceAccount: frontend, labels: { app: catalog-client } }
        request: ${LIST}
        expect: auto
      - name: another identity
        from: { namespace: boutique, serviceAccount: default, labels: { app: catalog-intruder } }
        request: ${LIST}
        expect: auto
      - name: a workload of another namespace
        from: { namespace: shop, selector: app=orders, container: app }
        request: ${LIST}
        expect: auto
`;

describe.runIf(upstreamAvailable())(
  'expect: auto with sources inside the mesh, through the CLI (issue 16)',
  () => {
    let bundles: Bundles;
    const worlds: World[] = [];
    beforeAll(async () => {
      bundles = await buildBundles();
    });
    afterAll(async () => {
      for (const w of worlds) await w.remove();
      if (bundles) await rm(bundles.root, { recursive: true, force: true });
    });

    async function run(scenario: Record<string, unknown>) {
      const w = await World.create({ existingCluster: true, initialState: INSTALLED, ...scenario });
      worlds.push(w);
      const dir = join(w.dir, 'suite');
      await mkdir(dir, { recursive: true });
      for (const f of MANIFESTS) await copyFile(join(BOUTIQUE, f), join(dir, f));
      await writeFile(join(dir, 'suite.yaml'), SUITE);
      const gw = await startGateway(w.scenarioFile);
      try {
        const kubeconfig = join(w.dir, 'user-kubeconfig');
        await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\ncurrent-context: mine\n');
        const done = await start(
          bundles.cli,
          [
            'run',
            '--cluster',
            'existing',
            '--ingress-url',
            gw.url,
            '--suite',
            join(dir, 'suite.yaml'),
            '--results-dir',
            w.resultsDir,
            '--tools-from-path',
            'true',
          ],
          w.env({ KUBECONFIG: kubeconfig }),
          w.dir,
        ).done;
        return { done, w, result: CellResultSchema.parse(w.results()) as CellResult };
      } finally {
        await gw.close();
      }
    }

    it('the oracle judges each route from its source identity to the pods behind the Service; all agree', async () => {
      const { done, w, result } = await run({});
      expect(done.code, done.stderr.slice(-2000)).toBe(0);
      expect(result.verdict).toBe('pass');
      const e = result.suite!.steps[0]!.expectations;
      expect(e.map((x) => [x.name, x.oracle?.verdict, x.observed?.verdict, x.oracle?.agrees])).toEqual([
        ['frontend identity', 'allowed', 'allowed', true],
        ['another identity', 'denied-l7', 'denied-l7', true],
        ['a workload of another namespace', 'denied-l7', 'denied-l7', true],
      ]);
      // The target is productcatalogservice's pod (read through its Service), not the suite's frontend.
      expect(e[0]!.oracle?.explanation).toContain('target boutique/app=productcatalogservice');
      expect(e[0]!.oracle?.explanation).toContain('spiffe://cluster.local/ns/boutique/sa/frontend');
      expect(e[1]!.oracle?.explanation).toContain('spiffe://cluster.local/ns/boutique/sa/default');
      expect(e[1]!.oracle?.decidedBy).toMatchObject({ kind: 'tier-default', enforcement: 'dikastes' });
      // Results name the source identity of each expectation.
      expect(e[1]!.from).toMatchObject({ kind: 'client', serviceAccount: 'default' });
      expect(e[2]!.from).toMatchObject({
        kind: 'workload',
        namespace: 'shop',
        serviceAccount: 'frontend',
        selector: 'app=orders',
      });
      // The workload's own namespace and account: frontend's name, but not in boutique.
      expect(e[2]!.oracle?.explanation).toContain('spiffe://cluster.local/ns/shop/sa/frontend');
      const reads = w.transcript().filter((c) => c.tool === 'kubectl' && c.argv.includes('service'));
      expect(reads.some((c) => c.argv.includes('productcatalogservice'))).toBe(true);
    }, 120_000);

    it('a cluster that denies what the oracle allows: the disagreement gives both explanations', async () => {
      const { done, result } = await run({ denyAll: true });
      expect(done.code).toBe(1);
      expect(result.verdict).toBe('fail');
      const allowed = result.suite!.steps[0]!.expectations[0]!;
      expect(allowed.status).toBe('fail');
      expect(allowed.oracle).toMatchObject({ verdict: 'allowed', agrees: false });
      expect(allowed.message).toMatch(
        /^Calico disagrees with the oracle: observed denied-l7 \(HTTP 403\).*; the oracle says allowed: dikastes: default\/boutique\/productcatalog-frontend-identity rule 0 Allow\. /,
      );
      // What the oracle denies anyway still agrees.
      expect(result.suite!.steps[0]!.expectations[1]!.oracle?.agrees).toBe(true);
    }, 120_000);
  },
);
