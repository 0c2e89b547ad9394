import type { Clock, Sleep } from '../../src/probe/eventually.js';

/**
 * A clock that moves only when the code under test sleeps. Real servers and sockets still do the I/O,
 * but every wait, deadline and measured latency is the same on an idle laptop and a loaded CI runner.
 */
export interface VirtualTime extends Clock {
  readonly sleep: Sleep;
  /** Runs `fn` when the clock reaches `at`, inside the sleep that crosses it (e.g. a cancellation). */
  at(at: number, fn: () => void): void;
}

export function virtualTime(start = 0): VirtualTime {
  let t = start;
  const due: { at: number; fn: () => void }[] = [];
  const next = (until: number) => {
    let best = -1;
    for (let i = 0; i < due.length; i++) {
      if (due[i]!.at <= until && (best < 0 || due[i]!.at < due[best]!.at)) best = i;
    }
    return best < 0 ? undefined : due.splice(best, 1)[0];
  };
  return {
    now: () => t,
    at(at, fn) {
      due.push({ at, fn });
    },
    async sleep(ms, signal) {
      signal.throwIfAborted();
      const end = t + Math.max(0, ms);
      for (let d = next(end); d; d = next(end)) {
        t = Math.max(t, d.at);
        d.fn();
        signal.throwIfAborted();
      }
      t = end;
      // Lets pending real I/O (servers, child processes) run before the next round.
      await new Promise((r) => setImmediate(r));
      signal.throwIfAborted();
    },
  };
}
