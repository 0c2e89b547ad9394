/** The few fields of kubectl's JSON the checks read; everything else is ignored. */
export interface ContainerSpec {
  readonly name: string;
  readonly restartPolicy?: string;
  readonly securityContext?: { readonly runAsUser?: number; readonly runAsNonRoot?: boolean };
}

export interface ContainerStatus {
  readonly name: string;
  readonly ready?: boolean;
  readonly restartCount?: number;
  readonly state?: Record<string, { readonly reason?: string; readonly exitCode?: number } | undefined>;
}

export interface Pod {
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly deletionTimestamp?: string;
  };
  readonly spec?: {
    readonly serviceAccountName?: string;
    readonly containers?: readonly ContainerSpec[];
    readonly initContainers?: readonly ContainerSpec[];
    /** The node the scheduler put it on. */
    readonly nodeName?: string;
  };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly { readonly type: string; readonly status: string }[];
    readonly containerStatuses?: readonly ContainerStatus[];
    readonly initContainerStatuses?: readonly ContainerStatus[];
  };
}

/** What one kubectl call gave: parsed JSON, or why there is none. */
export type Fetched =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

export const fetchedOk = (value: unknown): Fetched => ({ ok: true, value });
export const fetchedError = (error: string): Fetched => ({ ok: false, error });

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asObject(v: unknown): Record<string, unknown> | undefined {
  return isObj(v) ? v : undefined;
}

/** Items of a `kind: List`/`PodList`, as pods; objects without a name are dropped. */
export function podsOf(v: unknown): Pod[] {
  const items = isObj(v) && Array.isArray(v.items) ? v.items : [];
  return items.filter((p): p is Pod => isObj(p) && isObj(p.metadata) && typeof p.metadata.name === 'string');
}

/** Pods that count: not being deleted, not finished. */
export function livePods(pods: readonly Pod[]): Pod[] {
  return pods.filter(
    (p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
  );
}

/** Native sidecars are init containers that keep running (restartPolicy Always). */
export function isSidecarInit(c: ContainerSpec): boolean {
  return c.restartPolicy === 'Always';
}

function stateOf(s: ContainerStatus | undefined): string {
  if (!s?.state) return 'no status';
  const [key, detail] = Object.entries(s.state).find(([, v]) => v !== undefined) ?? ['unknown', undefined];
  return detail?.reason ? `${key} (${detail.reason})` : key;
}

/** Containers that must be ready: regular containers and native sidecars. */
export function readiness(pod: Pod): { name: string; ready: boolean; state: string }[] {
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  const initStatuses = new Map((pod.status?.initContainerStatuses ?? []).map((s) => [s.name, s]));
  const regular = (pod.spec?.containers ?? []).map((c) => {
    const s = statuses.get(c.name);
    return { name: c.name, ready: s?.ready === true, state: stateOf(s) };
  });
  const sidecars = (pod.spec?.initContainers ?? []).filter(isSidecarInit).map((c) => {
    const s = initStatuses.get(c.name);
    return { name: `${c.name} (native sidecar)`, ready: s?.ready === true, state: stateOf(s) };
  });
  return [...regular, ...sidecars];
}

export function podReady(pod: Pod): boolean {
  const rows = readiness(pod);
  return rows.length > 0 && rows.every((r) => r.ready);
}

export function hasContainer(pod: Pod, name: string): boolean {
  return (pod.spec?.containers ?? []).some((c) => c.name === name);
}

/** `a=b,c==d` equality selectors; undefined when the selector uses anything else. */
export function parseEqualitySelector(selector: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of selector.split(',').map((s) => s.trim())) {
    const m = /^([\w./-]+)\s*==?\s*([\w.-]*)$/.exec(part);
    if (!m?.[1]) return undefined;
    out[m[1]] = m[2] ?? '';
  }
  return out;
}

export function matchesLabels(pod: Pod, wanted: Readonly<Record<string, string>>): boolean {
  const labels = pod.metadata.labels ?? {};
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

/** The first line of an error, for evidence that stays one line. */
export function firstLine(text: string, max = 300): string {
  const line =
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l) ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** Node names of a `kubectl get nodes -o json` answer. */
export function nodeNamesOf(v: unknown): string[] {
  const items = asObject(v)?.items;
  return Array.isArray(items)
    ? items.flatMap((n) => {
        const name = asObject(asObject(n)?.metadata)?.name;
        return typeof name === 'string' ? [name] : [];
      })
    : [];
}
