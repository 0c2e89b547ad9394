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
  namespaceLabels: { boutique: { 'istio-injection': 'enabled' } },
  boutique: true,
  canary: false,
  policies: {},
  routes: { maxRequestsPerConnection: 1, connectTimeout: '2s', retries: 2 },
};

/** The homepage policy with its edges left to the oracle. */
const SUITE = `apiVersion: calico-istio-conformance/v1
kind: Suite
name: homepage edges
target: {namespace: boutique, selector: app=frontend}
timing: {consecutive: 1, interval: 20ms, hold: 50ms, probeTimeout: 15s, timeout: 10s}
steps:
  - name: homepage policy
    apply: [frontend-allow-homepage.yaml]
    expect:
      - request: {path: /}
        expect: auto
      - request: {path: /staticfoo}
        expect: auto
      - request: {method: POST, path: /}
        expect: auto
`;

describe.runIf(upstreamAvailable())('expect: auto through the CLI bundle and the fake cluster', () => {
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
    await copyFile(
      join(ROOT, 'e2e-manifests/suites/boutique/frontend-allow-homepage.yaml'),
      join(dir, 'frontend-allow-homepage.yaml'),
    );
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
      return { done, result: CellResultSchema.parse(w.results()) as CellResult };
    } finally {
      await gw.close();
    }
  }

  it('the oracle computes each verdict from the pods the cluster shows; a working cluster agrees', async () => {
    const { done, result } = await run({});
    expect(done.code, done.stderr.slice(-2000)).toBe(0);
    expect(result.verdict).toBe('pass');
    const e = result.suite!.steps[0]!.expectations;
    expect(e.map((x) => [x.name, x.expected, x.layer ?? null, x.oracle?.verdict, x.oracle?.agrees])).toEqual([
      ['GET /', 'allow', null, 'allowed', true],
      ['GET /staticfoo', 'deny', 'l7', 'denied-l7', true],
      ['POST /', 'deny', 'l7', 'denied-l7', true],
    ]);
    expect(e[0]!.oracle?.decidedBy).toMatchObject({
      kind: 'rule',
      enforcement: 'dikastes',
      policy: 'frontend-allow-homepage',
      rule: 0,
    });
    // Target and source as the cluster shows them: the pod's labels (the mesh's too), the gateway's identity.
    expect(e[0]!.oracle?.explanation).toContain(
      'target boutique/app=frontend,security.istio.io/tlsMode=istio',
    );
    expect(e[0]!.oracle?.explanation).toContain(
      'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account',
    );
  }, 120_000);

  it('on a cluster that runs another Calico than requested, the oracle applies what it runs', async () => {
    // Requested v3.32.1 (the default); the cluster runs v3.29.7, where /static is a raw string prefix.
    const { done, result } = await run({ calicoRunning: 'v3.29.7' });
    expect(done.code, done.stderr.slice(-2000)).toBe(0);
    const foo = result.suite!.steps[0]!.expectations[1]!;
    expect([foo.name, foo.expected, foo.oracle?.verdict, foo.oracle?.agrees]).toEqual([
      'GET /staticfoo',
      'allow',
      'allowed',
      true,
    ]);
    expect(foo.oracle?.explanation).toContain('raw path /staticfoo matches prefix /static');
  }, 120_000);

  it('a cluster that denies what the oracle allows: "Calico disagrees with the oracle", both explanations', async () => {
    const { done, result } = await run({ denyAll: true });
    expect(done.code).toBe(1);
    expect(result.verdict).toBe('fail');
    const home = result.suite!.steps[0]!.expectations[0]!;
    expect(home.status).toBe('fail');
    expect(home.oracle).toMatchObject({ verdict: 'allowed', agrees: false });
    expect(home.message).toMatch(
      /^Calico disagrees with the oracle: observed denied-l7 \(HTTP 403\).*; Envoy: .*; the oracle says allowed: dikastes: default\/frontend-allow-homepage rule 0 Allow\. /,
    );
    expect(result.suite?.diagnosis).toContain('Calico disagrees with the oracle');
    expect(done.stderr + done.stdout).toContain('Calico disagrees with the oracle');
  }, 120_000);
});
