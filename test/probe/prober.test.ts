import { afterEach, describe, expect, it } from 'vitest';
import { createProber } from '../../src/probe/prober.js';
import { ObservationSchema } from '../../src/result/schema.js';
import {
  app,
  badGateway,
  extAuthzDenied,
  istioRbacDenied,
  L4_REASONS,
  MESH_FAULT_REASONS,
  noHealthyUpstream,
  noRoute,
  resetConnection,
  slow,
  startServer,
  upstreamReset,
  type Handler,
  type TestServer,
} from './gateway-servers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(handler: Handler, opts: { timeoutMs?: number; host?: string } = {}) {
  const server = await startServer(handler);
  const prober = createProber({ baseUrl: server.url, timeoutMs: opts.timeoutMs ?? 2000, host: opts.host });
  cleanups.push(
    () => server.close(),
    () => prober.close(),
  );
  return { server, prober };
}

const GET = { method: 'GET', path: '/' };

describe('prober against gateway-like servers', () => {
  it.each([
    ['ext_authz 403', extAuthzDenied, 'denied-l7', 403],
    ['no healthy upstream', noHealthyUpstream, 'unavailable', 503],
    ['no route', noRoute, 'unavailable', 404],
    ['bad gateway', badGateway, 'unavailable', 502],
    ['Istio RBAC', istioRbacDenied, 'denied-mesh', 403],
    ['app 200', app(200), 'allowed', 200],
    ['app 404', app(404), 'allowed', 404],
    ['app 500', app(500), 'allowed', 500],
  ] as const)('%s → %s', async (_n, handler, verdict, status) => {
    const { prober } = await serve(handler);
    const o = await prober.probe(GET);
    expect(ObservationSchema.parse(o)).toEqual(o);
    expect(o.verdict).toBe(verdict);
    expect(o.status).toBe(status);
    expect(o.headers?.server).toBe('istio-envoy');
    expect(o.latencyMs).toBeGreaterThanOrEqual(0);
    if (verdict === 'unavailable' || verdict === 'denied-mesh') expect(o.reason).toBeTruthy();
  });

  it.each(L4_REASONS)('L4 503 "%s" → denied-l4 with the reason kept', async (reason) => {
    const { prober } = await serve(upstreamReset(reason));
    const o = await prober.probe(GET);
    expect(o.verdict).toBe('denied-l4');
    expect(o.status).toBe(503);
    expect(o.bodyExcerpt).toContain(reason);
    expect(o.reason).toContain(reason.split(': ').pop());
  });

  it.each(MESH_FAULT_REASONS)('503 "%s" → unavailable: the mesh or the app, not Calico', async (reason) => {
    const { prober } = await serve(upstreamReset(reason));
    const o = await prober.probe(GET);
    expect(o.verdict).toBe('unavailable');
    expect(o.reason).toContain(reason.split(': ').pop());
  });

  it('keeps relevant headers only and bounds the body excerpt', async () => {
    const { prober } = await serve(app(200, 'x'.repeat(100_000)));
    const o = await prober.probe(GET);
    expect(o.verdict).toBe('allowed');
    expect(o.bodyExcerpt?.length).toBe(512);
    expect(Object.keys(o.headers ?? {}).sort()).toEqual([
      'content-type',
      'server',
      'x-envoy-upstream-service-time',
    ]);
  });

  it('sends the configured Host header, and lets a request override it', async () => {
    const seen: string[] = [];
    const { prober } = await serve(
      (req, res) => {
        seen.push(req.headers.host ?? '');
        app(200)(req, res);
      },
      { host: 'shop.example.com' },
    );
    await prober.probe(GET);
    await prober.probe({ ...GET, headers: { Host: 'other.example' } });
    expect(seen).toEqual(['shop.example.com', 'other.example']);
  });

  it('sends method, path and headers as asked', async () => {
    let got = '';
    const { prober } = await serve((req, res) => {
      got = `${req.method} ${req.url} ${String(req.headers['x-test'])}`;
      app(200)(req, res);
    });
    await prober.probe({ method: 'POST', path: '/cart?x=1', headers: { 'X-Test': 'yes' } });
    expect(got).toBe('POST /cart?x=1 yes');
  });

  it('reuses keep-alive connections', async () => {
    const { prober, server } = await serve(app(200));
    for (let i = 0; i < 20; i++) await prober.probe(GET);
    expect(server.requests()).toBe(20);
    expect(server.connections()).toBeLessThanOrEqual(2);
  });

  it('a slow response past our timeout is unavailable, bounded by the timeout', async () => {
    const { prober } = await serve(slow(3000), { timeoutMs: 150 });
    const t0 = performance.now();
    const o = await prober.probe(GET);
    const took = performance.now() - t0;
    expect(o.verdict).toBe('unavailable');
    expect(o.reason).toBe('no response within 150 ms (probe timeout)');
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(1000);
  });

  it('a connection reset is unavailable (after one fresh retry)', async () => {
    const { prober, server } = await serve(resetConnection);
    const o = await prober.probe(GET);
    expect(o.verdict).toBe('unavailable');
    expect(o.reason).toMatch(/connection reset by the gateway/);
    expect(server.requests()).toBe(2);
  });

  it('a refused connection is unavailable', async () => {
    const closed: TestServer = await startServer(app(200));
    const url = closed.url;
    await closed.close();
    const prober = createProber({ baseUrl: url, timeoutMs: 1000 });
    cleanups.push(() => prober.close());
    const o = await prober.probe(GET);
    expect(o.verdict).toBe('unavailable');
    expect(o.reason).toMatch(/connection refused/);
  });

  it('rejects with the caller’s reason when cancelled mid-request', async () => {
    const ctl = new AbortController();
    // Cancelled once the gateway has the request, which it would answer only after 5 s.
    const { prober } = await serve(
      (req, res) => {
        ctl.abort(new Error('stop now'));
        slow(5000)(req, res);
      },
      { timeoutMs: 4000 },
    );
    const t0 = performance.now();
    await expect(prober.probe(GET, ctl.signal)).rejects.toThrow('stop now');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('refuses a bad base URL before any request', () => {
    expect(() => createProber({ baseUrl: 'ftp://x' })).toThrow(/must use http or https/);
    expect(() => createProber({ baseUrl: 'not a url' })).toThrow(/is not a URL/);
    expect(() => createProber({ baseUrl: 'http://x', timeoutMs: 0 })).toThrow(/timeout must be positive/);
  });

  it('prefixes a base URL path', async () => {
    let url = '';
    const { server } = await serve((req, res) => {
      url = req.url ?? '';
      app(200)(req, res);
    });
    const prober = createProber({ baseUrl: `${server.url}/gw/`, timeoutMs: 1000 });
    cleanups.push(() => prober.close());
    await prober.probe({ method: 'GET', path: '/cart' });
    expect(url).toBe('/gw/cart');
  });
});
