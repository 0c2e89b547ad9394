import { load } from 'js-yaml';
import type { DikastesLogLines } from '../plan/types.js';
import type { CheckFacts, KeyValue } from '../plan/types.js';
import type { CheckResult } from '../result/schema.js';
import {
  asObject,
  firstLine,
  hasContainer,
  livePods,
  nodeNamesOf,
  podReady,
  podsOf,
  readiness,
  type Fetched,
  type Pod,
} from '../kube/objects.js';

/**
 * The seed guide's troubleshooting list as pure evaluators over kubectl's JSON. Each returns one named
 * check with the evidence a person needs; none throws on odd input. What to expect (annotations,
 * template names, log lines) comes from the plan's facts, never from here.
 */

export const CHECK_IDS = [
  'namespace-label',
  'pod-annotations',
  'injector-templates',
  'dikastes-containers',
  'dikastes-policy-sync',
  'calico-node',
  'csi-driver',
  'felix-policy-sync',
  'gateway-dikastes',
  'ingress-answers',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/** Titles for checks that could not run (the evaluators give the precise ones). */
export const CHECK_TITLES: Record<CheckId, string> = {
  'namespace-label': 'Workload namespace is labelled istio-injection=enabled',
  'pod-annotations': 'Workload pods carry the injection annotation their flavour needs',
  'injector-templates': 'istio-sidecar-injector has the Dikastes templates',
  'dikastes-containers': 'Every workload pod has a dikastes container and all containers ready',
  'dikastes-policy-sync': 'Every Dikastes log shows the Policy Sync stream open and no sync failure',
  'calico-node': 'calico-node is Ready on every node',
  'csi-driver': 'A Calico CSI driver pod is Running on every node',
  'felix-policy-sync': 'FelixConfiguration default has policySyncPathPrefix /var/run/nodeagent',
  'gateway-dikastes':
    'The gateway canary has a root dikastes container and is Ready (the dikastes-gateway template injects and syncs; ext_authz applies to sidecars only)',
  'ingress-answers': 'The ingress gateway answers',
};

const result = (id: CheckId, title: string, ok: boolean, evidence: string): CheckResult => ({
  id,
  title,
  status: ok ? 'pass' : 'fail',
  evidence,
});

export const skipped = (id: CheckId, title: string, why: string): CheckResult => ({
  id,
  title,
  status: 'skip',
  evidence: why,
});

const couldNotRead = (what: string, f: Fetched & { ok: false }) =>
  `could not read ${what}: ${firstLine(f.error)}`;

const list = (xs: readonly string[], max = 6) =>
  xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`;

export function checkNamespaceLabel(ns: string, f: Fetched, label: KeyValue): CheckResult {
  const title = `Namespace ${ns} is labelled ${label.key}=${label.value}`;
  if (!f.ok) return result('namespace-label', title, false, couldNotRead(`namespace ${ns}`, f));
  const labels = asObject(asObject(asObject(f.value)?.metadata)?.labels) ?? {};
  const v = labels[label.key];
  return result(
    'namespace-label',
    title,
    v === label.value,
    v === undefined ? `namespace ${ns} has no ${label.key} label` : `${label.key}=${String(v)}`,
  );
}

const DIKASTES = 'dikastes';

/**
 * With an annotation: every pod carries it; without (legacy patch): no pod names a dikastes template
 * in `templatesKey`.
 */
export function checkPodAnnotations(
  ns: string,
  pods: Fetched,
  annotation: KeyValue | undefined,
  templatesKey: string,
): CheckResult {
  const key = annotation?.key ?? templatesKey;
  const expected = annotation?.value;
  const title = expected
    ? `Pods in ${ns} carry ${key}: ${expected}`
    : `Pods in ${ns} need no ${key} (legacy: Dikastes is in the sidecar template)`;
  if (!pods.ok) return result('pod-annotations', title, false, couldNotRead(`pods in ${ns}`, pods));
  const live = livePods(podsOf(pods.value));
  if (live.length === 0) return result('pod-annotations', title, false, `no pods in ${ns}`);
  const value = (p: Pod) => p.metadata.annotations?.[key];
  if (expected) {
    const wrong = live.filter((p) => value(p) !== expected);
    return result(
      'pod-annotations',
      title,
      wrong.length === 0,
      wrong.length === 0
        ? `${live.length}/${live.length} pods annotated ${expected}`
        : `${wrong.length}/${live.length} pods not annotated ${expected}: ${list(wrong.map((p) => `${p.metadata.name}=${value(p) ?? '(none)'}`))}`,
    );
  }
  const naming = live.filter((p) => value(p)?.includes(DIKASTES));
  return result(
    'pod-annotations',
    title,
    naming.length === 0,
    naming.length === 0
      ? `${live.length} pods, none names a dikastes template`
      : `pods name a dikastes template the legacy injector lacks: ${list(naming.map((p) => p.metadata.name))}`,
  );
}

/** A container entry of that name in a Go-templated pod spec (the legacy `sidecar` template). */
const containerEntry = (name: string) =>
  new RegExp(`^\\s*-\\s*name:\\s*["']?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*$`, 'm');

export function checkInjectorTemplates(cm: Fetched, expect: CheckFacts['injector']['expect']): CheckResult {
  const title =
    expect.kind === 'template-keys'
      ? `istio-sidecar-injector has the ${expect.keys.join(' and ')} templates`
      : `istio-sidecar-injector sidecar template has a ${expect.container} container`;
  if (!cm.ok)
    return result(
      'injector-templates',
      title,
      false,
      couldNotRead('configmap istio-system/istio-sidecar-injector', cm),
    );
  const raw = asObject(asObject(cm.value)?.data)?.config;
  if (typeof raw !== 'string')
    return result('injector-templates', title, false, 'the configmap has no data.config');
  let config: unknown;
  try {
    config = load(raw);
  } catch (e) {
    return result('injector-templates', title, false, `data.config is not YAML: ${firstLine(String(e))}`);
  }
  const templates = asObject(asObject(config)?.templates) ?? {};
  const names = Object.keys(templates);
  if (expect.kind === 'template-keys') {
    const missing = expect.keys.filter((n) => !names.includes(n));
    return result(
      'injector-templates',
      title,
      missing.length === 0,
      missing.length === 0
        ? `data.config templates: ${names.join(', ')}`
        : `data.config templates lack ${missing.join(' and ')} (has: ${names.join(', ') || 'none'})`,
    );
  }
  const sidecar = templates.sidecar;
  if (typeof sidecar !== 'string')
    return result(
      'injector-templates',
      title,
      false,
      `data.config has no sidecar template (has: ${names.join(', ') || 'none'})`,
    );
  const found = containerEntry(expect.container).test(sidecar);
  return result(
    'injector-templates',
    title,
    found,
    found
      ? `templates.sidecar has a \`- name: ${expect.container}\` container`
      : `templates.sidecar has no ${expect.container} container`,
  );
}

export function checkDikastesContainers(ns: string, pods: Fetched): CheckResult {
  const title = `Every pod in ${ns} has a dikastes container and all containers ready`;
  if (!pods.ok) return result('dikastes-containers', title, false, couldNotRead(`pods in ${ns}`, pods));
  const live = livePods(podsOf(pods.value));
  if (live.length === 0) return result('dikastes-containers', title, false, `no pods in ${ns}`);
  const problems: string[] = [];
  for (const p of live) {
    if (!hasContainer(p, DIKASTES)) {
      problems.push(`${p.metadata.name}: no dikastes container`);
      continue;
    }
    const notReady = readiness(p).filter((r) => !r.ready);
    if (notReady.length)
      problems.push(`${p.metadata.name}: ${notReady.map((r) => `${r.name} ${r.state}`).join(', ')}`);
  }
  return result(
    'dikastes-containers',
    title,
    problems.length === 0,
    problems.length === 0
      ? `${live.length}/${live.length} pods have dikastes and every container ready`
      : `${problems.length}/${live.length} pods not right: ${list(problems, 4)}`,
  );
}

export interface PodLog {
  readonly pod: string;
  readonly log: Fetched;
}

/**
 * Per pod: the stream opened, and no failure line after the last time it opened. Dikastes logs a
 * failure on every attempt and retries each second, so a failure before a later `Starting
 * synchronization` is normal start-up, not a broken pod (UPSTREAM.md §6).
 */
export function dikastesLogProblem(l: PodLog, lines: DikastesLogLines): string | undefined {
  if (!l.log.ok) return `${l.pod}: could not read the dikastes log (${firstLine(l.log.error)})`;
  const sync = syncSinceLastStart(String(l.log.value), lines);
  if (sync.failure)
    return `${l.pod}: "${sync.failure}"${sync.started ? ` after the last "${lines.syncStarted}"` : ''}`;
  if (!sync.started) return `${l.pod}: no "${lines.syncStarted}"`;
  return undefined;
}

/**
 * How a Dikastes log's Policy Sync stream stands: whether it ever started, and the first failure (and
 * its whole line) logged since the last start. Failures before a later start are start-up, not faults.
 */
export function syncSinceLastStart(
  text: string,
  lines: DikastesLogLines,
): { started: boolean; failure?: string; failureLine?: string } {
  const at = text.lastIndexOf(lines.syncStarted);
  const since = at < 0 ? text : text.slice(at);
  const failure = lines.syncFailures.find((f) => since.includes(f));
  const failureLine = failure ? since.split('\n').find((l) => l.includes(failure)) : undefined;
  return {
    started: at >= 0,
    ...(failure ? { failure } : {}),
    ...(failureLine ? { failureLine } : {}),
  };
}

export function checkDikastesLogs(ns: string, logs: readonly PodLog[], lines: DikastesLogLines): CheckResult {
  const title = `Every Dikastes log in ${ns} shows "${lines.syncStarted}" and no sync failure`;
  if (logs.length === 0)
    return result('dikastes-policy-sync', title, false, `no dikastes containers in ${ns}`);
  const problems = logs.map((l) => dikastesLogProblem(l, lines)).filter((p): p is string => p !== undefined);
  return result(
    'dikastes-policy-sync',
    title,
    problems.length === 0,
    problems.length === 0
      ? `${logs.length}/${logs.length} Dikastes logs show the Policy Sync stream open`
      : `${problems.length}/${logs.length} Dikastes logs not right: ${list(problems, 4)}`,
  );
}

/**
 * A DaemonSet's pods, node by node: every node must have one that is `healthy`. A node without its pod
 * is named, so a fault on one worker reads as that worker's, not as the cluster's.
 */
function perNode(
  nodes: Fetched,
  pods: Fetched,
  what: string,
  healthy: (p: Pod) => boolean,
  state: (p: Pod) => string,
): { ok: boolean; evidence: string } {
  if (!pods.ok) return { ok: false, evidence: couldNotRead(`the ${what} pods`, pods) };
  const all = livePods(podsOf(pods.value));
  const names = nodes.ok ? nodeNamesOf(nodes.value) : [];
  if (names.length === 0) {
    // Nodes unreadable: judge the pods alone, and say so.
    const bad = all.filter((p) => !healthy(p));
    const note = nodes.ok ? '' : ` (${couldNotRead('the nodes', nodes)}: pods judged without them)`;
    if (all.length === 0) return { ok: false, evidence: `no ${what} pods${note}` };
    return bad.length === 0
      ? { ok: true, evidence: `${all.length}/${all.length} ${what} pods ${state(all[0]!)}${note}` }
      : { ok: false, evidence: `${list(bad.map((p) => `${p.metadata.name} ${state(p)}`))}${note}` };
  }
  const problems: string[] = [];
  for (const node of names) {
    const mine = all.filter((p) => p.spec?.nodeName === node);
    if (mine.length === 0) problems.push(`node ${node}: no ${what} pod`);
    else if (!mine.some(healthy))
      problems.push(`node ${node}: ${mine.map((p) => `${p.metadata.name} ${state(p)}`).join(', ')}`);
  }
  return problems.length === 0
    ? {
        ok: true,
        evidence: `${names.length}/${names.length} nodes: ${what} ${state(all[0]!)} (${list(names)})`,
      }
    : { ok: false, evidence: `${problems.length}/${names.length} nodes not right: ${list(problems, 4)}` };
}

/** The operator's calico-node DaemonSet (pods `k8s-app: calico-node`, tigera/operator pkg/render/node.go @ v1.42.3). */
export function checkCalicoNode(nodes: Fetched, pods: Fetched): CheckResult {
  const title = 'calico-node (calico-system, k8s-app=calico-node) is Ready on every node';
  // The pod's Ready condition, as the kubelet reports it from calico-node's readiness probe.
  const ready = (p: Pod) =>
    (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const r = perNode(nodes, pods, 'calico-node', ready, (p) =>
    ready(p) ? 'Ready' : `not ready (${p.status?.phase ?? 'unknown'})`,
  );
  return result('calico-node', title, r.ok, r.evidence);
}

/** Dikastes on a node reaches Felix only through that node's CSI driver pod (UPSTREAM.md §1 "CSI driver"). */
export function checkCsiDriver(
  pods: Fetched,
  nodes: Fetched = { ok: true, value: { items: [] } },
): CheckResult {
  const title = 'A Calico CSI driver pod (calico-system, k8s-app=csi-node-driver) is Running on every node';
  const r = perNode(
    nodes,
    pods,
    'csi-node-driver',
    (p) => p.status?.phase === 'Running',
    (p) => p.status?.phase ?? 'unknown',
  );
  const evidence =
    !r.ok && /no csi-node-driver pod/.test(r.evidence)
      ? `${r.evidence}: Dikastes there cannot reach the Policy Sync socket`
      : r.evidence;
  return result('csi-driver', title, r.ok, evidence);
}

/**
 * How Felix treats denied traffic (FelixConfiguration `iptablesFilterDenyAction`, or
 * `nftablesFilterDenyAction` in nftables mode: `Drop` by default or `Reject`, case-insensitive;
 * calico policy-crds.yaml, v3.29.7 and v3.32.1). Unreadable counts as the default, Drop.
 */
export function felixDenyAction(felix: Fetched): 'drop' | 'reject' {
  if (!felix.ok) return 'drop';
  const spec = asObject(asObject(felix.value)?.spec) ?? {};
  const nft = String(spec.linuxDataplane ?? '').toLowerCase() === 'nftables';
  const action = nft ? spec.nftablesFilterDenyAction : spec.iptablesFilterDenyAction;
  return String(action ?? '').toLowerCase() === 'reject' ? 'reject' : 'drop';
}

export function checkFelixPolicySync(felix: Fetched, expected: string): CheckResult {
  const title = `FelixConfiguration default has policySyncPathPrefix ${expected}`;
  if (!felix.ok)
    return result('felix-policy-sync', title, false, couldNotRead('felixconfiguration default', felix));
  const prefix = asObject(asObject(felix.value)?.spec)?.policySyncPathPrefix;
  return result(
    'felix-policy-sync',
    title,
    prefix === expected,
    prefix === undefined
      ? 'spec.policySyncPathPrefix is not set (Policy Sync API off)'
      : `spec.policySyncPathPrefix: ${String(prefix)}`,
  );
}

/**
 * What the canary proves, and no more: the `dikastes-gateway` template injects a root Dikastes that
 * syncs with Felix. Calico's EnvoyFilter patches SIDECAR_INBOUND only, so no gateway enforces ALP.
 */
export function gatewayTitle(name: string) {
  return `The gateway canary ${name} has a root dikastes container and is Ready (the dikastes-gateway template injects and syncs; ext_authz applies to sidecars only)`;
}

export function checkGatewayDikastes(name: string, pods: Fetched): CheckResult {
  const title = gatewayTitle(name);
  if (!pods.ok) return result('gateway-dikastes', title, false, couldNotRead(`pods of ${name}`, pods));
  const live = livePods(podsOf(pods.value));
  if (live.length === 0) return result('gateway-dikastes', title, false, `no pods of ${name}`);
  const problems: string[] = [];
  for (const p of live) {
    const d = (p.spec?.containers ?? []).find((c) => c.name === DIKASTES);
    if (!d) problems.push(`${p.metadata.name}: no dikastes container`);
    else if (d.securityContext?.runAsUser !== 0)
      problems.push(
        `${p.metadata.name}: dikastes runs as uid ${d.securityContext?.runAsUser ?? 'unset'}, not root`,
      );
    if (!podReady(p))
      problems.push(
        `${p.metadata.name}: not ready (${readiness(p)
          .filter((r) => !r.ready)
          .map((r) => `${r.name} ${r.state}`)
          .join(', ')})`,
      );
  }
  return result(
    'gateway-dikastes',
    title,
    problems.length === 0,
    problems.length === 0
      ? `${live.length} pod(s): dikastes as uid 0, every container ready`
      : list(problems, 4),
  );
}

export type HttpAnswer = { readonly status: number; readonly server?: string } | { readonly error: string };

export function checkIngress(url: string, answer: HttpAnswer, attempts: number): CheckResult {
  const title = `The ingress gateway answers on ${url}`;
  if ('error' in answer)
    return result(
      'ingress-answers',
      title,
      false,
      `no HTTP answer after ${attempts} attempt(s): ${firstLine(answer.error)}`,
    );
  return result(
    'ingress-answers',
    title,
    true,
    `GET ${url} → HTTP ${answer.status}${answer.server ? ` (server: ${answer.server})` : ''}`,
  );
}

/** Trust gate for the suite: the target pods' Dikastes is ready and synced, so a 403 is a policy decision. */
export function dikastesReadiness(
  target: string,
  pods: Fetched,
  logs: readonly PodLog[],
  lines: DikastesLogLines,
): { ready: boolean; evidence: string } {
  if (!pods.ok) return { ready: false, evidence: couldNotRead(`pods of ${target}`, pods) };
  const live = livePods(podsOf(pods.value));
  if (live.length === 0) return { ready: false, evidence: `no pods of ${target}` };
  const problems: string[] = [];
  for (const p of live) {
    const status = (p.status?.containerStatuses ?? []).find((s) => s.name === DIKASTES);
    if (!hasContainer(p, DIKASTES)) problems.push(`${p.metadata.name}: no dikastes container`);
    else if (status?.ready !== true) problems.push(`${p.metadata.name}: dikastes not ready`);
    const log = logs.find((l) => l.pod === p.metadata.name);
    const logProblem = log ? dikastesLogProblem(log, lines) : `${p.metadata.name}: dikastes log not read`;
    if (logProblem) problems.push(logProblem);
  }
  return problems.length === 0
    ? {
        ready: true,
        evidence: `${live.length}/${live.length} pods of ${target}: dikastes ready, Policy Sync stream open`,
      }
    : { ready: false, evidence: `pods of ${target}: ${list(problems, 4)}` };
}
