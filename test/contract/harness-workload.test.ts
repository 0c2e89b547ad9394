import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFrontendDestinationRule, renderFrontendGateway } from '../../src/render/workload.js';
import { CellResultSchema } from '../../src/result/schema.js';
import { startGateway } from '../fakes/gateway.js';
import { upstreamAvailable } from '../support/upstream.js';
import { buildBundles, CALICO_PRESENT, is, start, World, type Bundles } from './harness.js';

/** The route objects as the harness's plan or bundle applies them, stored the way the fake kubectl keeps them. */
function routeObjects(change: (dr: ReturnType<typeof renderFrontendDestinationRule>) => void = () => {}) {
  const dr = renderFrontendDestinationRule();
  change(dr);
  const vs = renderFrontendGateway().find((d) => d.kind === 'VirtualService');
  return {
    'current|destinationrule.networking.istio.io/frontend-connect-timeout': dr,
    'current|virtualservice.networking.istio.io/frontend-ingress': vs,
  };
}

describe.runIf(upstreamAvailable())('harness-workload: an existing cluster set up from the harness', () => {
  let bundles: Bundles;
  const worlds: World[] = [];
  beforeAll(async () => {
    bundles = await buildBundles();
  });
  afterAll(async () => {
    for (const w of worlds) await w.remove();
    if (bundles) await rm(bundles.root, { recursive: true, force: true });
  });

  /** Calico, Istio with the Dikastes templates, Boutique and the gateway canary, plus `objects`. */
  async function runOn(objects: Record<string, unknown>) {
    const w = await World.create({
      ...CALICO_PRESENT,
      existingCluster: true,
      initialState: {
        clusters: {},
        objects,
        felix: { policySyncPathPrefix: '/var/run/nodeagent' },
        istio: { version: '1.28.1', templates: ['dikastes', 'dikastes-gateway'] },
        namespaceLabels: { boutique: { 'istio-injection': 'enabled' } },
        boutique: true,
        canary: true,
        policies: {},
        routes: { maxRequestsPerConnection: 1, connectTimeout: '2s', retries: 2 },
      },
    });
    worlds.push(w);
    const gw = await startGateway(w.scenarioFile);
    let probes = 0;
    gw.server.on('request', () => probes++);
    try {
      const suite = await w.fastSuite();
      const exit = start(
        bundles.cli,
        [
          'run',
          '--cluster',
          'existing',
          '--install',
          'none',
          '--harness-workload',
          'true',
          '--ingress-url',
          gw.url,
          '--suite',
          suite,
          '--results-dir',
          w.resultsDir,
          '--tools-from-path',
          'true',
        ],
        w.env(),
        w.dir,
      );
      const done = await exit.done;
      return { w, done, probes, result: CellResultSchema.parse(w.results()) };
    } finally {
      await gw.close();
    }
  }

  it('route objects present: verified, then the canary is checked and the run passes', async () => {
    const { w, done, result } = await runOn(routeObjects());
    expect(done.code, done.stderr.slice(-2000)).toBe(0);
    expect(result.verdict).toBe('pass');
    expect(result.checks.find((c) => c.id === 'gateway-dikastes')?.status).toBe('pass');
    const gets = w
      .transcript()
      .filter(is('kubectl', 'get'))
      .map((c) => c.argv.slice(0, 5).join(' '));
    expect(gets).toContain('get destinationrule frontend-connect-timeout -n boutique');
    expect(gets).toContain('get virtualservice frontend-ingress -n boutique');
  }, 60_000);

  it('no DestinationRule: the cell ends error naming it, before any probe', async () => {
    const objects = routeObjects();
    delete (objects as Record<string, unknown>)[
      'current|destinationrule.networking.istio.io/frontend-connect-timeout'
    ];
    const { done, probes, result } = await runOn(objects);
    expect(done.code).not.toBe(0);
    expect(result.verdict).toBe('error');
    const text = JSON.stringify(result);
    expect(text).toContain('DestinationRule boutique/frontend-connect-timeout is not on the cluster');
    expect(text).toContain(
      'Error from server (NotFound): destinationrules.networking.istio.io \\"frontend-connect-timeout\\" not found',
    );
    expect(probes).toBe(0);
    expect(result.suite?.steps ?? []).toEqual([]);
  }, 60_000);

  it('a changed connectTimeout: the cell ends error naming the field, what was found and what is assumed', async () => {
    const { done, probes, result } = await runOn(
      routeObjects((dr) => {
        (dr.spec.trafficPolicy.connectionPool.tcp as { connectTimeout: string }).connectTimeout = '10s';
      }),
    );
    expect(done.code).not.toBe(0);
    expect(result.verdict).toBe('error');
    expect(JSON.stringify(result)).toContain(
      'DestinationRule boutique/frontend-connect-timeout: spec.trafficPolicy.connectionPool.tcp.connectTimeout is \\"10s\\", the route assumes \\"2s\\"',
    );
    expect(probes).toBe(0);
  }, 60_000);

  it('VirtualService retries changed: the cell ends error naming the field', async () => {
    const objects = routeObjects();
    const vs = objects['current|virtualservice.networking.istio.io/frontend-ingress'] as unknown as {
      spec: { http: { retries: unknown }[] };
    };
    vs.spec.http[0]!.retries = { attempts: 0 };
    const { result, probes } = await runOn(objects);
    expect(result.verdict).toBe('error');
    const text = JSON.stringify(result);
    expect(text).toContain(
      'VirtualService boutique/frontend-ingress: spec.http.0.retries.attempts is 0, the route assumes 2',
    );
    expect(text).toContain('spec.http.0.retries.retryOn is unset');
    expect(probes).toBe(0);
  }, 60_000);
});
