import { describe, expect, it } from 'vitest';
import type { Kubectl } from '../../src/kube/kubectl.js';
import { fetchedError, fetchedOk } from '../../src/kube/objects.js';
import { describeStuck, stuckIn, watchPods } from '../../src/run/pod-watch.js';
import { deadlines } from '../../src/run/phases/prepare.js';

const REASONS = new Set(['ImagePullBackOff', 'CrashLoopBackOff', 'Unschedulable', 'ErrImagePull']);

const pod = (name: string, status: object) => ({ metadata: { name, namespace: 'boutique' }, status });
const waiting = (container: string, reason: string, message = '') => ({
  name: container,
  state: { waiting: { reason, ...(message ? { message } : {}) } },
});

describe('stuckIn', () => {
  it('finds waiting containers (init ones too) and unschedulable pods with the listed reasons only', () => {
    const list = {
      items: [
        pod('a', { containerStatuses: [waiting('server', 'CrashLoopBackOff', 'back-off 5m0s')] }),
        pod('b', { initContainerStatuses: [waiting('istio-init', 'ErrImagePull')] }),
        pod('c', { containerStatuses: [waiting('server', 'ContainerCreating')] }),
        pod('d', {
          conditions: [
            { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'Insufficient cpu' },
          ],
        }),
        pod('e', { containerStatuses: [{ name: 'server', state: { running: {} } }] }),
      ],
    };
    expect(stuckIn(list, REASONS)).toEqual([
      {
        namespace: 'boutique',
        pod: 'a',
        container: 'server',
        reason: 'CrashLoopBackOff',
        message: 'back-off 5m0s',
      },
      { namespace: 'boutique', pod: 'b', container: 'istio-init', reason: 'ErrImagePull' },
      { namespace: 'boutique', pod: 'd', reason: 'Unschedulable', message: 'Insufficient cpu' },
    ]);
    expect(stuckIn({}, REASONS)).toEqual([]);
  });
});

/** A kubectl facade answering from a script of pod lists, one per read; events for the stuck pod. */
function scriptedKubectl(lists: unknown[]) {
  const reads: string[][] = [];
  const k = {
    getJson: async (args: readonly string[]) => {
      reads.push([...args]);
      if (args[1] === 'events')
        return fetchedOk({ items: [{ reason: 'BackOff', message: 'Back-off restarting failed container' }] });
      const next = lists.shift();
      return next instanceof Error ? fetchedError(next.message) : fetchedOk(next ?? { items: [] });
    },
  } as unknown as Kubectl;
  return { k, reads };
}

function clock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

describe('watchPods', () => {
  const crash = { items: [pod('cart', { containerStatuses: [waiting('server', 'CrashLoopBackOff')] })] };

  it('ends once the same pod, container and reason lasted the grace period, with its last events', async () => {
    const { k } = scriptedKubectl(Array.from({ length: 20 }, () => crash));
    const c = clock();
    const stuck = await watchPods({
      kubectl: async () => k,
      reasons: [...REASONS],
      graceMs: 45_000,
      pollMs: 5_000,
      now: c.now,
      sleep: c.sleep,
      signal: new AbortController().signal,
    });
    expect(stuck).toMatchObject({
      pod: 'cart',
      container: 'server',
      reason: 'CrashLoopBackOff',
      forMs: 45_000,
    });
    expect(describeStuck(stuck!)).toBe(
      'pod boutique/cart container server is CrashLoopBackOff for 45 s; last events: BackOff: Back-off restarting failed container',
    );
  });

  it('a pod that recovers starts its grace again; failed reads are reported, not a verdict', async () => {
    const fine = { items: [] };
    const lists = [
      crash,
      crash,
      fine,
      new Error('connection refused'),
      ...Array.from({ length: 12 }, () => crash),
    ];
    const { k } = scriptedKubectl(lists);
    const c = clock();
    const errors: string[] = [];
    const stuck = await watchPods({
      kubectl: async () => k,
      reasons: [...REASONS],
      graceMs: 45_000,
      pollMs: 5_000,
      now: c.now,
      sleep: c.sleep,
      signal: new AbortController().signal,
      onReadError: (e) => errors.push(e),
    });
    expect(errors).toEqual(['connection refused']);
    // first seen again at the 5th read (t = 20 s): stuck 45 s later
    expect(c.now()).toBe(65_000);
    expect(stuck?.forMs).toBe(45_000);
  });

  it('stops without a verdict when its signal aborts', async () => {
    const { k, reads } = scriptedKubectl([crash]);
    const stop = new AbortController();
    const stuck = await watchPods({
      kubectl: async () => k,
      reasons: [...REASONS],
      graceMs: 45_000,
      pollMs: 5_000,
      now: () => 0,
      sleep: async () => stop.abort(),
      signal: stop.signal,
    });
    expect(stuck).toBeUndefined();
    expect(reads).toHaveLength(1);
  });
});

describe('deadlines', () => {
  it.each([
    [45, 45 * 60_000 - Math.ceil(45 * 60_000 * 0.15)],
    [5, 5 * 60_000 - 3 * 60_000],
    [360, 360 * 60_000 - Math.ceil(360 * 60_000 * 0.15)],
  ])('timeout-minutes %i: the main phases end by %i ms, the rest is reserved', (minutes, main) => {
    expect(deadlines(1_000, minutes)).toEqual({ at: 1_000 + minutes * 60_000, mainAt: 1_000 + main });
  });
});
