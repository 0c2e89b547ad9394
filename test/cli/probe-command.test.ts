import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { ExpectationResultSchema, ObservationSchema } from '../../src/result/schema.js';
import {
  app,
  extAuthzDenied,
  flippingAfter,
  startServer,
  upstreamReset,
  type Handler,
} from '../probe/gateway-servers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(handler: Handler): Promise<string> {
  const s = await startServer(handler);
  cleanups.push(() => s.close());
  return s.url;
}

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(['probe', ...argv], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const FAST = ['--interval', '0.05', '--consecutive', '2'];

describe('calico-istio-conformance probe', () => {
  it('without --expect classifies once and exits 0', async () => {
    const url = await serve(extAuthzDenied);
    const r = await cli('--url', `${url}/cart`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^denied-l7 \(HTTP 403\) in \d+ ms\n$/);
  });

  it('--json prints the observation', async () => {
    const url = await serve(upstreamReset('reset reason: connection timeout'));
    const r = await cli('--url', url, '--json');
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.out) as { request: unknown; observation: unknown };
    expect(parsed.request).toEqual({ method: 'GET', path: '/' });
    expect(ObservationSchema.parse(parsed.observation)).toMatchObject({ verdict: 'denied-l4', status: 503 });
  });

  it('sends method, path, query and headers', async () => {
    let seen = '';
    const url = await serve((req, res) => {
      seen = `${req.method} ${req.url} ${req.headers.host} ${String(req.headers['x-a'])}`;
      app(200)(req, res);
    });
    const r = await cli(
      '--url',
      `${url}/cart?x=1`,
      '--method',
      'post',
      '--header',
      'Host: shop.example',
      '--header',
      'X-A:1',
    );
    expect(r.code).toBe(0);
    expect(seen).toBe('POST /cart?x=1 shop.example 1');
  });

  it('--expect that holds exits 0', async () => {
    const url = await serve(app(200));
    const r = await cli('--url', url, '--expect', 'allow', ...FAST);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/^PASS: expected allow, saw allowed \(HTTP 200\) after 2 probes/);
  });

  it('--expect waits for a flip within the timeout', async () => {
    // Eight denials at a 50 ms interval: the first allowed probe goes out no earlier than 400 ms in.
    const url = await serve(flippingAfter(8));
    const r = await cli('--url', url, '--expect', 'allow', '--timeout', '30', ...FAST, '--json');
    expect(r.code).toBe(0);
    const result = ExpectationResultSchema.parse(JSON.parse(r.out));
    expect(result.status).toBe('pass');
    expect(result.propagationMs).toBeGreaterThanOrEqual(250);
  });

  it('--expect that does not hold exits 1 with what it saw', async () => {
    const url = await serve(extAuthzDenied);
    const r = await cli('--url', url, '--expect', 'allow', '--timeout', '0.4', ...FAST);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAIL: expected allow, saw denied-l7 \(HTTP 403\)/);
    expect(r.err).toMatch(/^error: expected allow, saw denied-l7 \(HTTP 403\) after \d+ probes/);
  });

  it('--layer is checked', async () => {
    const url = await serve(upstreamReset('reset reason: connection timeout'));
    expect((await cli('--url', url, '--expect', 'deny', '--layer', 'l4', ...FAST)).code).toBe(0);
    expect(
      (await cli('--url', url, '--expect', 'deny', '--layer', 'l7', '--timeout', '0.3', ...FAST)).code,
    ).toBe(1);
  });

  it.each([
    [[], /required option '--url <url>' not specified/],
    [['--url', 'nope'], /expected an absolute http\(s\) URL/],
    [['--url', 'ftp://x/'], /expected an http or https URL/],
    [['--url', 'http://127.0.0.1:1/', '--method', 'FETCH'], /expected one of GET, HEAD/],
    [['--url', 'http://127.0.0.1:1/', '--expect', 'maybe'], /Allowed choices are allow, deny/],
    [['--url', 'http://127.0.0.1:1/', '--layer', 'l7'], /option '--layer' needs '--expect deny'/],
    [['--url', 'http://127.0.0.1:1/', '--expect', 'allow', '--layer', 'l7'], /needs '--expect deny'/],
    [['--url', 'http://127.0.0.1:1/', '--timeout', '0'], /expected seconds/],
    [['--url', 'http://127.0.0.1:1/', '--header', 'no-colon'], /expected NAME:VALUE/],
    [['--url', 'http://127.0.0.1:1/', '--consecutive', '0'], /whole number from 1 to 20/],
  ])('bad usage %j exits 2', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });
});
