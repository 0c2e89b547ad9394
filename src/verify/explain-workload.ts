import type { Kubectl } from '../kube/kubectl.js';
import { asObject, firstLine, livePods, podsOf, readiness, type Pod } from '../kube/objects.js';
import type { CheckFacts } from '../plan/types.js';
import { syncSinceLastStart } from './checks.js';

const MAX_CHARS = 1_500;

interface DeploymentStatus {
  readonly name: string;
  readonly wanted: number;
  readonly available: number;
}

function deployments(v: unknown): DeploymentStatus[] {
  const items = Array.isArray(asObject(v)?.items) ? (asObject(v)!.items as unknown[]) : [];
  return items.flatMap((d) => {
    const o = asObject(d);
    const name = asObject(o?.metadata)?.name;
    if (typeof name !== 'string') return [];
    const wanted = Number(asObject(o?.spec)?.replicas ?? 1);
    const available = Number(asObject(o?.status)?.availableReplicas ?? 0);
    return [{ name, wanted, available }];
  });
}

/** Which of a pod's containers wait, and why (reason and, for scheduling, the message). */
function podTrouble(p: Pod): string[] {
  const out = readiness(p)
    .filter((r) => !r.ready)
    .map((r) => `${r.name} ${r.state}`);
  const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled && scheduled.status === 'False') {
    const c = scheduled as { reason?: string; message?: string };
    out.push(`not scheduled: ${c.reason ?? ''} ${firstLine(c.message ?? '', 160)}`.trim());
  }
  return out;
}

function warningEvents(v: unknown, pod: string): string[] {
  const items = Array.isArray(asObject(v)?.items) ? (asObject(v)!.items as unknown[]) : [];
  return items
    .map((e) => asObject(e))
    .filter((e) => asObject(e?.involvedObject)?.name === pod && e?.type === 'Warning')
    .slice(-2)
    .map((e) => `${String(e?.reason ?? 'Warning')}: ${firstLine(String(e?.message ?? ''), 160)}`);
}

/** The line that says why a sidecar is not ready: Dikastes' sync failure, or the proxy's last error. */
function logCause(container: string, text: string, facts: CheckFacts): string | undefined {
  if (container === facts.dikastes.container) {
    const lines = facts.dikastes.log;
    const sync = syncSinceLastStart(text, lines);
    if (sync.failureLine || !sync.started)
      return `Dikastes never synced with Felix's Policy Sync API${sync.failureLine ? `: ${firstLine(sync.failureLine, 200)}` : ` (no "${lines.syncStarted}")`}`;
    return undefined;
  }
  const last = text
    .split('\n')
    .reverse()
    .find((l) => /\b(error|critical|warn)/i.test(l));
  return last ? `${container}: ${firstLine(last, 200)}` : undefined;
}

/**
 * Why a workload did not become Available, in one paragraph: each Deployment short of replicas, its
 * pods' waiting containers and scheduling, their last warning events, and for a `dikastes` or
 * `istio-proxy` container that is not ready, the log line that says why. Bounded; never throws.
 */
export async function explainWorkload(
  kubectl: Kubectl,
  namespace: string,
  facts: CheckFacts,
  signal: AbortSignal,
): Promise<string | undefined> {
  const [deps, podsRaw, events] = await Promise.all([
    kubectl.getJson(['get', 'deployments', '-n', namespace], signal),
    kubectl.getJson(['get', 'pods', '-n', namespace], signal),
    kubectl.getJson(['get', 'events', '-n', namespace, '--field-selector', 'type=Warning'], signal),
  ]);
  if (!deps.ok) return `could not read the Deployments in ${namespace}: ${firstLine(deps.error)}`;
  const short = deployments(deps.value).filter((d) => d.available < d.wanted);
  if (short.length === 0) return undefined;
  const pods = podsRaw.ok ? livePods(podsOf(podsRaw.value)) : [];
  const parts: string[] = [];
  for (const d of short) {
    const mine = pods.filter((p) => p.metadata.name.startsWith(`${d.name}-`));
    const lines: string[] = [];
    for (const p of mine) {
      const trouble = podTrouble(p);
      if (trouble.length === 0) continue;
      const causes: string[] = [];
      for (const c of [facts.dikastes.container, 'istio-proxy']) {
        if (!trouble.some((t) => t.startsWith(c))) continue;
        const log = await kubectl.logs(p.metadata.name, c, namespace, signal);
        const cause = log.ok ? logCause(c, String(log.value), facts) : undefined;
        if (cause) causes.push(cause);
      }
      const ev = events.ok ? warningEvents(events.value, p.metadata.name) : [];
      lines.push(`${p.metadata.name}: ${[...trouble, ...causes, ...ev].join('; ')}`);
    }
    parts.push(
      `Deployment ${d.name} ${d.available}/${d.wanted} available${lines.length ? ` (${lines.join(' | ')})` : ''}`,
    );
  }
  const text = parts.join('; ');
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
}
