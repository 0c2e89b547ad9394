import type { Kubectl } from '../kube/kubectl.js';

/** A pod stuck in a state that does not fix itself within a rollout, with what a person needs to act. */
export interface StuckPod {
  readonly namespace: string;
  readonly pod: string;
  readonly container?: string;
  readonly reason: string;
  readonly message?: string;
  /** The pod's last events, oldest first, as `Reason: message`. */
  readonly events: readonly string[];
  readonly forMs: number;
}

type Sighting = Omit<StuckPod, 'events' | 'forMs'>;

interface PodJson {
  metadata?: { name?: string; namespace?: string };
  status?: {
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerJson[];
    initContainerStatuses?: ContainerJson[];
  };
}
interface ContainerJson {
  name?: string;
  state?: { waiting?: { reason?: string; message?: string } };
}

/** Every stuck container (waiting with one of `reasons`) and unschedulable pod in a pod list. */
export function stuckIn(list: unknown, reasons: ReadonlySet<string>): Sighting[] {
  const items = ((list as { items?: PodJson[] })?.items ?? []) as PodJson[];
  const out: Sighting[] = [];
  for (const p of items) {
    const namespace = p.metadata?.namespace ?? '';
    const pod = p.metadata?.name ?? '';
    const sched = p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (sched?.reason && reasons.has(sched.reason)) {
      out.push({
        namespace,
        pod,
        reason: sched.reason,
        ...(sched.message ? { message: sched.message } : {}),
      });
    }
    for (const c of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
      const w = c.state?.waiting;
      if (w?.reason && reasons.has(w.reason)) {
        out.push({
          namespace,
          pod,
          ...(c.name ? { container: c.name } : {}),
          reason: w.reason,
          ...(w.message ? { message: w.message } : {}),
        });
      }
    }
  }
  return out;
}

export interface PodWatchOptions {
  readonly kubectl: () => Promise<Kubectl | undefined>;
  readonly reasons: readonly string[];
  readonly graceMs: number;
  readonly pollMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Stops the watch (the steps ended, or the run was cancelled). */
  readonly signal: AbortSignal;
  /** Resolves when a watched wait is running (reads happen only then); absent, always. */
  readonly whenActive?: () => Promise<void>;
  /** Called on every read that failed (no cluster yet, API server restarting): the watch goes on. */
  readonly onReadError?: (why: string) => void;
}

const key = (s: Sighting) => `${s.namespace}/${s.pod}/${s.container ?? ''}/${s.reason}`;

async function lastEvents(kubectl: Kubectl, s: Sighting, signal: AbortSignal): Promise<string[]> {
  const got = await kubectl.getJson(
    ['get', 'events', '-n', s.namespace, '--field-selector', `involvedObject.name=${s.pod}`],
    signal,
  );
  if (!got.ok) return [`(events not read: ${got.error})`];
  const items = ((got.value as { items?: { reason?: string; message?: string; lastTimestamp?: string }[] })
    ?.items ?? []) as { reason?: string; message?: string; lastTimestamp?: string }[];
  return items.slice(-3).map((e) => `${e.reason ?? '?'}: ${(e.message ?? '').trim()}`);
}

/**
 * Reads every pod every `pollMs` while the steps run; the first one seen stuck (same pod, container and
 * reason) for `graceMs` ends the watch with it. Resolves undefined when stopped first. Every read is
 * bounded by the kubectl facade; a failed read is not a verdict.
 */
export async function watchPods(o: PodWatchOptions): Promise<StuckPod | undefined> {
  const reasons = new Set(o.reasons);
  const firstSeen = new Map<string, number>();
  while (!o.signal.aborted) {
    await o.whenActive?.();
    if (o.signal.aborted) break;
    const kubectl = await o.kubectl();
    if (kubectl && !o.signal.aborted) {
      const got = await kubectl.getJson(['get', 'pods', '-A'], o.signal);
      if (got.ok) {
        const now = o.now();
        const seen = stuckIn(got.value, reasons);
        const current = new Set(seen.map(key));
        for (const k of [...firstSeen.keys()]) if (!current.has(k)) firstSeen.delete(k);
        for (const s of seen) {
          const since = firstSeen.get(key(s)) ?? now;
          firstSeen.set(key(s), since);
          if (now - since >= o.graceMs) {
            return { ...s, events: await lastEvents(kubectl, s, o.signal), forMs: now - since };
          }
        }
      } else if (!o.signal.aborted) o.onReadError?.(got.error);
    }
    try {
      await o.sleep(o.pollMs, o.signal);
    } catch {
      // stopped
    }
    // Let timers and I/O run between reads, whatever the injected sleep does.
    await new Promise((r) => setImmediate(r));
  }
  return undefined;
}

/** One line: the pod, the container, the reason, how long, and its last events. */
export function describeStuck(s: StuckPod): string {
  const where = `pod ${s.namespace}/${s.pod}${s.container ? ` container ${s.container}` : ''}`;
  const msg = s.message ? ` (${s.message.replace(/\s+/g, ' ').slice(0, 300)})` : '';
  const events = s.events.length ? `; last events: ${s.events.join(' | ')}` : '';
  return `${where} is ${s.reason}${msg} for ${Math.round(s.forMs / 1000)} s${events}`;
}
