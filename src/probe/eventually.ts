import type { ExpectationResult, Observation } from '../result/schema.js';
import type { ProbeRequest } from './prober.js';
import { sleep } from '../util/sleep.js';

export type ExpectedVerdict = 'allow' | 'deny';
export type DenyLayer = 'l7' | 'l4';

export interface Expectation {
  readonly name: string;
  readonly request: ProbeRequest;
  readonly expected: ExpectedVerdict;
  /** For `deny`: require this layer; absent, either layer satisfies. */
  readonly layer?: DenyLayer;
  /** Which prober sends it (a source inside the mesh); absent, the gateway prober. */
  readonly via?: string;
}

export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface EventualOptions {
  /** Consecutive agreeing probes that settle an expectation. */
  readonly consecutive: number;
  /** Bound on reaching agreement for every expectation of the step. */
  readonly timeoutMs: number;
  /** Time between the starts of two probe rounds. */
  readonly intervalMs: number;
  /** After agreement, every expectation is re-checked for this long; any disagreement is flapping. */
  readonly holdMs: number;
}

export const DEFAULT_EVENTUAL: EventualOptions = {
  consecutive: 3,
  timeoutMs: 120_000,
  intervalMs: 500,
  holdMs: 2000,
};

export interface EventualDeps {
  readonly probe: (req: ProbeRequest, signal: AbortSignal, e: Expectation) => Promise<Observation>;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly signal: AbortSignal;
  readonly log?: (line: string) => void;
  /**
   * The step changed policy before polling. An expectation that agrees from its very first probe may
   * then rest on the state before the change; its result says so.
   */
  readonly changed?: boolean;
}

export const systemClock: Clock = { now: () => performance.now() };

export const systemSleep: Sleep = sleep;

/** Whether one observation agrees with an expectation. `unavailable` never does. */
export function satisfies(e: Pick<Expectation, 'expected' | 'layer'>, o: Observation): boolean {
  if (e.expected === 'allow') return o.verdict === 'allowed';
  if (e.layer === 'l7') return o.verdict === 'denied-l7';
  if (e.layer === 'l4') return o.verdict === 'denied-l4';
  return o.verdict === 'denied-l7' || o.verdict === 'denied-l4';
}

export function describeWanted(e: Pick<Expectation, 'expected' | 'layer'>): string {
  return e.expected === 'deny' && e.layer ? `deny at ${e.layer.toUpperCase()}` : e.expected;
}

export function describeObservation(o: Observation): string {
  const status = o.status === undefined ? 'no response' : `HTTP ${o.status}`;
  return `${o.verdict} (${status}${o.reason ? `: ${o.reason}` : ''})`;
}

interface Tracker {
  readonly e: Expectation;
  probes: number;
  streak: number;
  /** Clock time of the first probe of the current agreeing run. */
  streakStart?: number;
  settledStart?: number;
  /** The agreeing run began with the first probe. */
  fromFirst?: boolean;
  last?: Observation;
  /** Set when the hold check saw a disagreement. */
  broke?: Observation;
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function resultOf(
  t: Tracker,
  appliedAt: number,
  k: number,
  outcome: 'settled' | 'timeout' | 'flapped',
  changed: boolean,
): ExpectationResult {
  const base = {
    name: t.e.name,
    request: {
      method: t.e.request.method,
      path: t.e.request.path,
      ...(t.e.request.headers && Object.keys(t.e.request.headers).length
        ? { headers: { ...t.e.request.headers } }
        : {}),
    },
    expected: t.e.expected,
    ...(t.e.layer ? { layer: t.e.layer } : {}),
    probes: t.probes,
  };
  const want = describeWanted(t.e);
  if (outcome === 'settled' && t.settledStart !== undefined) {
    return {
      ...base,
      status: 'pass',
      ...(t.last ? { observed: t.last } : {}),
      propagationMs: Math.max(0, Math.round(t.settledStart - appliedAt)),
      ...(changed && t.fromFirst
        ? {
            message:
              'agreed from the first probe: the state before the change may already have satisfied it, so propagation was not observed',
          }
        : {}),
    };
  }
  if (outcome === 'flapped' && t.broke) {
    const unavailable = t.broke.verdict === 'unavailable';
    return {
      ...base,
      status: unavailable ? 'unavailable' : 'fail',
      observed: t.broke,
      ...(t.settledStart !== undefined
        ? { propagationMs: Math.max(0, Math.round(t.settledStart - appliedAt)) }
        : {}),
      message: unavailable
        ? `held ${want} for ${t.e.name}, then the gateway gave no verdict during the hold check: ${describeObservation(t.broke)}`
        : `flapping: held ${want}, then saw ${describeObservation(t.broke)} during the hold check`,
    };
  }
  const last = t.last;
  if (!last) {
    return { ...base, status: 'unavailable', message: `no probe completed for ${want}` };
  }
  const unavailable = last.verdict === 'unavailable';
  const runNote = t.streak > 0 ? ` (${t.streak} of ${k} agreeing at the end)` : '';
  return {
    ...base,
    status: unavailable ? 'unavailable' : 'fail',
    observed: last,
    message: unavailable
      ? `no verdict: expected ${want}, the last of ${t.probes} probes was ${describeObservation(last)}`
      : `expected ${want}, saw ${describeObservation(last)} after ${t.probes} probes${runNote}`,
  };
}

/**
 * Polls every expectation of one step until each holds for `consecutive` probes in a row (bounded by
 * `timeoutMs`), then re-checks all of them for `holdMs`. Propagation latency is `appliedAt` → the first
 * probe of the agreeing run. Rejects with the signal's reason when cancelled.
 */
export async function awaitExpectations(
  expectations: readonly Expectation[],
  appliedAt: number,
  opts: EventualOptions,
  deps: EventualDeps,
): Promise<ExpectationResult[]> {
  validateEventual(opts);
  const { clock, sleep, signal } = deps;
  const trackers: Tracker[] = expectations.map((e) => ({ e, probes: 0, streak: 0 }));
  const deadline = appliedAt + opts.timeoutMs;

  const probeOne = async (t: Tracker): Promise<Observation> => {
    const o = await deps.probe(t.e.request, signal, t.e);
    t.probes++;
    t.last = o;
    return o;
  };

  // Converge: probe the unsettled ones each round.
  for (;;) {
    signal.throwIfAborted();
    const open = trackers.filter((t) => t.settledStart === undefined);
    if (open.length === 0) break;
    if (clock.now() > deadline) break;
    const roundStart = clock.now();
    await Promise.all(
      open.map(async (t) => {
        const sentAt = clock.now();
        const o = await probeOne(t);
        if (satisfies(t.e, o)) {
          if (t.streak === 0) {
            t.streakStart = sentAt;
            t.fromFirst = t.probes === 1;
          }
          t.streak++;
          if (t.streak >= opts.consecutive) t.settledStart = t.streakStart;
        } else {
          t.streak = 0;
          t.streakStart = undefined;
        }
      }),
    );
    if (trackers.every((t) => t.settledStart !== undefined)) break;
    const next = roundStart + opts.intervalMs;
    if (next > deadline) {
      // One last round at the deadline if there is time left for it.
      if (clock.now() >= deadline) break;
      await sleep(deadline - clock.now(), signal);
      continue;
    }
    await sleep(next - clock.now(), signal);
  }

  const k = opts.consecutive;
  const changed = deps.changed ?? false;
  if (!trackers.every((t) => t.settledStart !== undefined)) {
    return trackers.map((t) =>
      resultOf(t, appliedAt, k, t.settledStart !== undefined ? 'settled' : 'timeout', changed),
    );
  }
  deps.log?.(
    `  all ${trackers.length} expectation(s) agreed; holding ${fmtS(opts.holdMs)} to catch flapping`,
  );

  // Hold: every expectation keeps agreeing for holdMs; the first disagreement of each is kept.
  const holdEnd = clock.now() + opts.holdMs;
  while (opts.holdMs > 0) {
    await sleep(Math.min(opts.intervalMs, Math.max(0, holdEnd - clock.now())), signal);
    const roundStart = clock.now();
    await Promise.all(
      trackers
        .filter((t) => !t.broke)
        .map(async (t) => {
          const o = await probeOne(t);
          if (!satisfies(t.e, o)) t.broke = o;
        }),
    );
    if (roundStart >= holdEnd || clock.now() >= holdEnd) break;
  }
  return trackers.map((t) => resultOf(t, appliedAt, k, t.broke ? 'flapped' : 'settled', changed));
}

export function validateEventual(o: EventualOptions): void {
  const bad = (what: string, v: number, want: string) => {
    throw new Error(`${what} must be ${want}, got ${v}`);
  };
  if (!Number.isInteger(o.consecutive) || o.consecutive < 1)
    bad('consecutive', o.consecutive, 'an integer >= 1');
  if (!(o.timeoutMs > 0)) bad('timeout', o.timeoutMs, 'positive');
  if (!(o.intervalMs > 0)) bad('interval', o.intervalMs, 'positive');
  if (!(o.holdMs >= 0)) bad('hold', o.holdMs, '>= 0');
}
