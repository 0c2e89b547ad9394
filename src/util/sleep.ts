import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`; rejects with the signal's own reason when it aborts first. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  try {
    await delay(Math.max(0, ms), undefined, { signal });
  } catch (e) {
    throw signal.aborted ? signal.reason : e;
  }
}

/** Resolves after `ms` or as soon as the signal aborts; never rejects. */
export function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, signal).catch(() => undefined);
}
