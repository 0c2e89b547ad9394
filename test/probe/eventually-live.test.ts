import { afterEach, describe, expect, it } from 'vitest';
import { awaitExpectations, type EventualOptions, type Expectation } from '../../src/probe/eventually.js';
import { createProber } from '../../src/probe/prober.js';
import { virtualTime } from '../support/virtual-time.js';
import { app, extAuthzDenied, flapping, flipping, startServer, type Handler } from './gateway-servers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function live(handler: Handler) {
  const server = await startServer(handler);
  const prober = createProber({ baseUrl: server.url, timeoutMs: 1000 });
  cleanups.push(
    () => server.close(),
    () => prober.close(),
  );
  return prober;
}

const allowRoot: Expectation = { name: 'GET /', request: { method: 'GET', path: '/' }, expected: 'allow' };
const INTERVAL = 100;
const opts = (o: Partial<EventualOptions> = {}): EventualOptions => ({
  consecutive: 3,
  timeoutMs: 3000,
  intervalMs: INTERVAL,
  holdMs: 200,
  ...o,
});

// Real servers and sockets; the clock is virtual (the servers read it too), so no outcome depends on load.
describe('awaitExpectations against real servers', () => {
  it('measures propagation within one poll interval + 50 ms of the true flip', async () => {
    const clock = virtualTime();
    const appliedAt = clock.now();
    const flipAfter = 330;
    const prober = await live(flipping(appliedAt + flipAfter, extAuthzDenied, app(200), clock.now));
    const deps = { probe: prober.probe, clock, sleep: clock.sleep, signal: new AbortController().signal };
    const [r] = await awaitExpectations([allowRoot], appliedAt, opts(), deps);
    expect(r?.status).toBe('pass');
    expect(r?.observed?.verdict).toBe('allowed');
    // The first agreeing probe is sent at most one interval after the flip (probe latency is sub-ms here).
    expect(r?.propagationMs).toBeGreaterThanOrEqual(flipAfter - 5);
    expect(r?.propagationMs).toBeLessThanOrEqual(flipAfter + INTERVAL + 50);
  });

  it('a flapping gateway fails the hold check', async () => {
    const clock = virtualTime();
    const prober = await live(flapping(500, clock.now));
    const deps = { probe: prober.probe, clock, sleep: clock.sleep, signal: new AbortController().signal };
    const [r] = await awaitExpectations([allowRoot], clock.now(), opts({ holdMs: 800 }), deps);
    expect(r?.status).toBe('fail');
    expect(r?.message).toMatch(/^flapping: held allow, then saw denied-l7 \(HTTP 403\)/);
  });

  it('times out with the last observation when the flip never comes', async () => {
    const clock = virtualTime();
    const prober = await live(extAuthzDenied);
    const deps = { probe: prober.probe, clock, sleep: clock.sleep, signal: new AbortController().signal };
    const t0 = clock.now();
    const [r] = await awaitExpectations([allowRoot], t0, opts({ timeoutMs: 400 }), deps);
    const took = clock.now() - t0;
    expect(r?.status).toBe('fail');
    expect(r?.observed?.verdict).toBe('denied-l7');
    expect(r?.probes).toBeGreaterThanOrEqual(4);
    expect(took).toBeGreaterThanOrEqual(400);
    expect(took).toBeLessThan(1200);
  });

  it('stops promptly when cancelled', async () => {
    const clock = virtualTime();
    const prober = await live(extAuthzDenied);
    const ctl = new AbortController();
    clock.at(250, () => ctl.abort(new Error('run cancelled')));
    const deps = { probe: prober.probe, clock, sleep: clock.sleep, signal: ctl.signal };
    const t0 = clock.now();
    await expect(awaitExpectations([allowRoot], t0, opts({ timeoutMs: 10_000 }), deps)).rejects.toThrow(
      'run cancelled',
    );
    expect(clock.now() - t0).toBeLessThan(1000);
  });
});
