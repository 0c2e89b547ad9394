import { describe, expect, it } from 'vitest';
import {
  awaitExpectations,
  satisfies,
  validateEventual,
  type EventualOptions,
  type Expectation,
} from '../../src/probe/eventually.js';
import type { Observation } from '../../src/result/schema.js';
import { ExpectationResultSchema } from '../../src/result/schema.js';

type V = Observation['verdict'];

/** Virtual time: sleep advances the clock, each probe takes 5 ms. */
function virtual(verdictAt: (t: number, path: string) => V) {
  let t = 0;
  const sent: { t: number; path: string }[] = [];
  return {
    sent,
    now: () => t,
    deps(signal = new AbortController().signal) {
      return {
        clock: { now: () => t },
        sleep: async (ms: number, s: AbortSignal) => {
          s.throwIfAborted();
          t += Math.max(0, ms);
        },
        probe: async (req: { path: string }): Promise<Observation> => {
          sent.push({ t, path: req.path });
          const verdict = verdictAt(t, req.path);
          t += 5;
          return { verdict, latencyMs: 5, status: verdict === 'allowed' ? 200 : 403 };
        },
        signal,
      };
    },
  };
}

const allowRoot: Expectation = { name: 'GET /', request: { method: 'GET', path: '/' }, expected: 'allow' };
const denyRoot: Expectation = { ...allowRoot, expected: 'deny' };
const opts = (o: Partial<EventualOptions> = {}): EventualOptions => ({
  consecutive: 3,
  timeoutMs: 5000,
  intervalMs: 500,
  holdMs: 1000,
  ...o,
});

describe('satisfies', () => {
  it.each([
    ['allow', undefined, 'allowed', true],
    ['allow', undefined, 'denied-l7', false],
    ['allow', undefined, 'unavailable', false],
    ['deny', undefined, 'denied-l7', true],
    ['deny', undefined, 'denied-l4', true],
    ['deny', undefined, 'unavailable', false],
    ['deny', 'l7', 'denied-l4', false],
    ['deny', 'l7', 'denied-l7', true],
    ['deny', 'l4', 'denied-l4', true],
    ['deny', 'l4', 'allowed', false],
  ] as const)('%s %s vs %s → %s', (expected, layer, verdict, ok) => {
    expect(satisfies({ expected, layer }, { verdict, latencyMs: 1 })).toBe(ok);
  });
});

describe('awaitExpectations (virtual clock)', () => {
  it('settles on k consecutive agreeing probes and records propagation from the first of them', async () => {
    const v = virtual((t) => (t >= 1000 ? 'allowed' : 'denied-l7'));
    const [r] = await awaitExpectations([allowRoot], 0, opts(), v.deps());
    expect(r?.status).toBe('pass');
    expect(r?.propagationMs).toBe(1000);
    // 0, 500 denied; 1000, 1500, 2000 agree; hold re-checks at 2500, 3000.
    expect(v.sent.map((s) => s.t)).toEqual([0, 500, 1000, 1500, 2000, 2505, 3005]);
    expect(ExpectationResultSchema.parse(r)).toEqual(r);
  });

  it('a disagreeing probe restarts the run of k', async () => {
    const seq: V[] = ['allowed', 'allowed', 'denied-l7', 'allowed', 'allowed', 'allowed'];
    let i = 0;
    const v = virtual(() => seq[Math.min(i++, seq.length - 1)] ?? 'allowed');
    const [r] = await awaitExpectations([allowRoot], 0, opts({ holdMs: 0 }), v.deps());
    expect(r?.status).toBe('pass');
    expect(r?.probes).toBe(6);
    expect(r?.propagationMs).toBe(1500);
  });

  it('k=1 settles on the first agreeing probe', async () => {
    const v = virtual(() => 'denied-l4');
    const [r] = await awaitExpectations([denyRoot], 0, opts({ consecutive: 1, holdMs: 0 }), v.deps());
    expect(r).toMatchObject({ status: 'pass', probes: 1, propagationMs: 0 });
  });

  it('fails at the timeout with what it saw, bounded in probes', async () => {
    const v = virtual(() => 'denied-l7');
    const [r] = await awaitExpectations([allowRoot], 0, opts({ timeoutMs: 2000 }), v.deps());
    expect(r?.status).toBe('fail');
    expect(r?.message).toBe('expected allow, saw denied-l7 (HTTP 403) after 5 probes');
    expect(r?.propagationMs).toBeUndefined();
    expect(v.now()).toBeLessThanOrEqual(2010);
  });

  it('unavailable never satisfies: a step ending on it is unavailable, not a wrong verdict', async () => {
    const v = virtual(() => 'unavailable');
    const [r] = await awaitExpectations([denyRoot], 0, opts({ timeoutMs: 1000 }), v.deps());
    expect(r?.status).toBe('unavailable');
    expect(r?.message).toMatch(/^no verdict: expected deny/);
  });

  it('a required layer is not met by the other layer', async () => {
    const v = virtual(() => 'denied-l4');
    const [r] = await awaitExpectations(
      [{ ...denyRoot, layer: 'l7' }],
      0,
      opts({ timeoutMs: 1000 }),
      v.deps(),
    );
    expect(r?.status).toBe('fail');
    expect(r?.message).toMatch(/expected deny at L7, saw denied-l4/);
  });

  it('the hold check catches flapping after agreement', async () => {
    const v = virtual((t) => (t < 1200 ? 'allowed' : 'denied-l7'));
    const [r] = await awaitExpectations([allowRoot], 0, opts({ holdMs: 2000 }), v.deps());
    expect(r?.status).toBe('fail');
    expect(r?.message).toMatch(/^flapping: held allow, then saw denied-l7/);
    expect(r?.propagationMs).toBe(0);
  });

  it('no verdict during the hold is unavailable', async () => {
    const v = virtual((t) => (t < 1200 ? 'allowed' : 'unavailable'));
    const [r] = await awaitExpectations([allowRoot], 0, opts({ holdMs: 2000 }), v.deps());
    expect(r?.status).toBe('unavailable');
  });

  it('settled expectations rest while others converge, then all are held', async () => {
    const v = virtual((t, path) => (path === '/' || t >= 2000 ? 'allowed' : 'denied-l7'));
    const other: Expectation = { ...allowRoot, name: 'GET /cart', request: { method: 'GET', path: '/cart' } };
    const [a, b] = await awaitExpectations([allowRoot, other], 0, opts({ holdMs: 500 }), v.deps());
    expect(a).toMatchObject({ status: 'pass', propagationMs: 0, probes: 4 });
    expect(b).toMatchObject({ status: 'pass', propagationMs: 2000, probes: 8 });
  });

  it('after a change, agreement from the very first probe is flagged as possibly stale', async () => {
    const v = virtual(() => 'allowed');
    const [r] = await awaitExpectations([allowRoot], 0, opts({ holdMs: 0 }), { ...v.deps(), changed: true });
    expect(r?.status).toBe('pass');
    expect(r?.message).toMatch(/^agreed from the first probe: the state before the change may already/);
    const w = virtual((t) => (t >= 500 ? 'allowed' : 'denied-l7'));
    const [q] = await awaitExpectations([allowRoot], 0, opts({ holdMs: 0 }), { ...w.deps(), changed: true });
    expect(q?.message).toBeUndefined();
  });

  it('propagation is measured from the given apply time', async () => {
    const v = virtual((t) => (t >= 1000 ? 'allowed' : 'denied-l7'));
    const [r] = await awaitExpectations([allowRoot], -250, opts({ holdMs: 0 }), v.deps());
    expect(r?.propagationMs).toBe(1250);
  });

  it('cancellation rejects with the signal’s reason', async () => {
    const ctl = new AbortController();
    const v = virtual((t) => {
      if (t >= 1000) ctl.abort(new Error('cancelled by test'));
      return 'denied-l7';
    });
    await expect(awaitExpectations([allowRoot], 0, opts(), v.deps(ctl.signal))).rejects.toThrow(
      'cancelled by test',
    );
    expect(v.sent.length).toBe(3);
  });

  it('refuses nonsense options', () => {
    expect(() => validateEventual(opts({ consecutive: 0 }))).toThrow(/consecutive must be an integer >= 1/);
    expect(() => validateEventual(opts({ intervalMs: 0 }))).toThrow(/interval must be positive/);
    expect(() => validateEventual(opts({ holdMs: -1 }))).toThrow(/hold must be >= 0/);
  });
});
