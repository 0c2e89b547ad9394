import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellResultSchema, type CellResult } from '../../src/result/schema.js';
import { DIKASTES_FAULT } from '../../src/suite/envoy-evidence.js';
import { COUNTERS_FILE, startGateway } from '../fakes/gateway.js';
import { upstreamAvailable } from '../support/upstream.js';
import { buildBundles, start, World, type Bundles } from './harness.js';

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
};
/** The harness's own frontend route: one upstream connection per request, 2 s connect timeout, 2 retries. */
const OWN_ROUTE = { maxRequestsPerConnection: 1, connectTimeout: '2s', retries: 2 };

describe.runIf(upstreamAvailable())('honest verdicts through the CLI bundle (issue 9)', () => {
  let bundles: Bundles;
  const worlds: World[] = [];
  beforeAll(async () => {
    bundles = await buildBundles();
  });
  afterAll(async () => {
    for (const w of worlds) await w.remove();
    if (bundles) await rm(bundles.root, { recursive: true, force: true });
  });

  /** `run --cluster existing` with the fast built-in suite against the fake gateway. */
  async function runExisting(scenario: Record<string, unknown>, flags: string[] = []) {
    const w = await World.create({ existingCluster: true, ...scenario });
    worlds.push(w);
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
          await w.fastSuite(),
          '--results-dir',
          w.resultsDir,
          '--tools-from-path',
          'true',
          ...flags,
        ],
        w.env({ KUBECONFIG: kubeconfig }),
        w.dir,
      ).done;
      const result: CellResult = CellResultSchema.parse(w.results());
      return { w, done, result };
    } finally {
      await gw.close();
    }
  }

  const expectation = (r: CellResult, step: string, name: string) =>
    r.suite?.steps.find((s) => s.name === step)?.expectations.find((e) => e.name === name);

  it('the built-in suite sees the deny at L4 on the harness’s route, and Envoy confirms every L7 denial', async () => {
    const { done, result, w } = await runExisting({ initialState: { ...INSTALLED, routes: OWN_ROUTE } });
    expect(done.code, done.stderr.slice(-2000)).toBe(0);
    expect(result.verdict).toBe('pass');
    const deny = expectation(result, 'deny-all', 'GET /');
    expect(deny?.observed?.verdict).toBe('denied-l4');
    expect(deny?.observed?.reason).toBe('retried and the latest reset reason: connection timeout');
    const cart = expectation(result, 'allow-homepage', 'GET /cart');
    expect(cart?.observed?.verdict).toBe('denied-l7');
    expect(cart?.envoy?.status).toBe('confirmed');
    expect(cart?.envoy?.deltas?.denied).toBeGreaterThan(0);
    expect(cart?.envoy?.lines?.[0]).toMatch(/^http\.inbound_0\.0\.0\.0_8080;\.ext_authz\./);
    // the counters the fake sidecar kept agree with what the results recorded
    const counters = JSON.parse(readFileSync(join(w.stateDir, COUNTERS_FILE), 'utf8')) as { denied: number };
    expect(counters.denied).toBeGreaterThanOrEqual(cart!.envoy!.deltas!.denied!);
  }, 120_000);

  it('without one connection per request a no-rule policy shows as a Dikastes 403 on the pooled connection', async () => {
    // No harness route: the gateway pools its upstream connection from the baseline request, and
    // Felix keeps established flows, so deny-all reaches the sidecar (L7) instead of timing out (L4).
    const { done, result } = await runExisting({ initialState: INSTALLED });
    expect(done.code).toBe(1);
    expect(result.verdict).toBe('fail');
    const deny = expectation(result, 'deny-all', 'GET /');
    expect(deny?.status).toBe('fail');
    expect(deny?.observed?.verdict).toBe('denied-l7');
    expect(deny?.message).toMatch(/expected deny at L4/);
  }, 120_000);

  it('a 403 that comes with ext_authz.error growth is a Dikastes fault, never a policy decision', async () => {
    const { done, result } = await runExisting({
      initialState: { ...INSTALLED, routes: OWN_ROUTE },
      dikastesUnreachableWith: 'frontend-allow-homepage',
    });
    expect(done.code).toBe(1);
    expect(result.verdict).toBe('fail');
    const cart = expectation(result, 'allow-homepage', 'GET /cart');
    expect(cart?.status).toBe('fail');
    expect(cart?.envoy).toMatchObject({ status: 'contradicted' });
    expect(cart?.envoy?.deltas?.error).toBeGreaterThan(0);
    expect(cart?.message).toContain(DIKASTES_FAULT);
    expect(result.suite?.finding?.kind).toBe('dikastes-fault');
    expect(result.reason).toContain(DIKASTES_FAULT);
  }, 120_000);

  it('one sync failure before a good "Starting synchronization" is normal start-up: trusted, cell passes', async () => {
    const { done, result } = await runExisting({
      initialState: { ...INSTALLED, routes: OWN_ROUTE },
      dikastesEarlyFailure: true,
    });
    expect(done.code, done.stderr.slice(-2000)).toBe(0);
    expect(result.verdict).toBe('pass');
    expect(result.checks.find((c) => c.id === 'dikastes-policy-sync')?.status).toBe('pass');
  }, 120_000);

  it('a known-defect cell ends known-defect with exit 0, and exit 1 with --fail-on-known-defect', async () => {
    const scenario = {
      initialState: { ...INSTALLED, routes: OWN_ROUTE },
      denyAll: true,
      calicoRunning: 'v3.31.7',
      serverVersion: 'v1.34.8',
    };
    const expected = await runExisting(scenario, ['--calico', 'v3.31.7']);
    expect(expected.done.code, expected.done.stderr.slice(-2000)).toBe(0);
    expect(expected.result.verdict).toBe('known-defect');
    expect(expected.result.knownDefect).toMatchObject({ id: 'calico-11857', symptomObserved: true });
    expect(expected.done.stderr).toContain('known-defect is expected for this cell');

    const strict = await runExisting(scenario, ['--calico', 'v3.31.7', '--fail-on-known-defect', 'true']);
    expect(strict.done.code).toBe(1);
    expect(strict.result.verdict).toBe('known-defect');
  }, 180_000);

  it('an existing cluster running other versions than requested is labelled with what it runs', async () => {
    const { done, result } = await runExisting(
      {
        initialState: { ...INSTALLED, routes: OWN_ROUTE },
        serverVersion: 'v1.33.12',
        calicoRunning: 'v3.29.7',
        istioRunning: '1.27.9',
      },
      ['--calico', 'v3.32.1'],
    );
    expect(done.code, done.stderr.slice(-2000)).toBe(0);
    expect(result.cell).toMatchObject({
      id: 'k8s-1.33.12_calico-v3.29.7_istio-1.27.9',
      kubernetes: '1.33.12',
      calico: 'v3.29.7',
      istio: '1.27.9',
    });
    expect(result.detected?.warnings).toEqual([
      'calico: requested v3.32.1, the cluster runs v3.29.7; results are labelled v3.29.7',
    ]);
    expect(done.stdout).toContain('k8s-1.33.12_calico-v3.29.7_istio-1.27.9');
  }, 120_000);

  it('an existing cluster that does not answer ends error, with the reason, before any probe', async () => {
    const { done, result, w } = await runExisting({
      initialState: INSTALLED,
      existingUnreachable: true,
    });
    expect(done.code).toBe(1);
    expect(result.verdict).toBe('error');
    expect(result.reason).toMatch(/^Phase detect failed: the cluster does not answer \(kubectl version\): /);
    expect(result.suite).toBeUndefined();
    // nothing was probed or applied
    expect(w.transcript().filter((c) => c.argv[0] === 'apply')).toEqual([]);
  }, 120_000);
});
