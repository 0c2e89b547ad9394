import type { Kubectl } from '../kube/kubectl.js';
import type { CheckFacts } from '../plan/types.js';
import type { CheckResult } from '../result/schema.js';
import type { SuiteTarget } from '../suite/contract.js';
import {
  checkCalicoNode,
  checkCsiDriver,
  checkDikastesContainers,
  checkDikastesLogs,
  checkFelixPolicySync,
  checkGatewayDikastes,
  CHECK_TITLES,
  checkIngress,
  checkInjectorTemplates,
  checkNamespaceLabel,
  checkPodAnnotations,
  dikastesReadiness,
  felixDenyAction,
  skipped,
  type HttpAnswer,
  type PodLog,
} from './checks.js';
import {
  fetchedOk,
  hasContainer,
  livePods,
  matchesLabels,
  parseEqualitySelector,
  podsOf,
  type Fetched,
  type Pod,
} from '../kube/objects.js';

/** One bounded HTTP GET; any HTTP status is an answer. */
export type HttpGet = (url: string, opts: { timeoutMs: number; signal: AbortSignal }) => Promise<HttpAnswer>;

export const fetchHttpGet: HttpGet = async (url, { timeoutMs, signal }) => {
  try {
    const res = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    await res.body?.cancel();
    const server = res.headers.get('server');
    return { status: res.status, ...(server ? { server } : {}) };
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return { error: cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e)) };
  }
};

export interface CheckDeps {
  /** Bounded per call; reads carry --request-timeout. */
  readonly kubectl: Kubectl;
  readonly httpGet: HttpGet;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly now: () => number;
  readonly signal: AbortSignal;
}

export interface CheckOptions {
  /** The workload namespace the suite probes. */
  readonly target: SuiteTarget;
  /** What to expect, as the plan decided it. */
  readonly facts: CheckFacts;
  readonly ingressUrl: string;
  /** How long the gateway may take to answer, and the pause between attempts. */
  readonly ingressWaitMs?: number;
  readonly ingressAttemptMs?: number;
}

export interface CheckReport {
  readonly checks: CheckResult[];
  /** Trust gate for the suite. */
  readonly dikastesReady: { ready: boolean; evidence: string };
  /** How Felix denies (FelixConfiguration): a refused connect is a Calico denial only under Reject. */
  readonly denyAction: 'drop' | 'reject';
  /** For diagnostics: the pod the gateway routes to. */
  readonly targetPod?: string;
}

/** Runs the kubectl reads (in parallel, each bounded) and evaluates every check; a failing read fails its checks only. */
export async function collectChecks(deps: CheckDeps, opts: CheckOptions): Promise<CheckReport> {
  const { facts } = opts;
  const ns = opts.target.namespace;
  const get = (args: string[]) => deps.kubectl.getJson(args, deps.signal);
  const { injector, csiDriver, dikastes } = facts;

  const selector = opts.target.selector;
  const { calicoNode } = facts;
  const [namespace, podsAll, injectorCm, csi, felix, targetPods, nodes, calicoNodes] = await Promise.all([
    get(['get', 'namespace', ns]),
    get(['get', 'pods', '-n', ns]),
    get(['get', 'configmap', injector.configMap, '-n', injector.namespace]),
    get(['get', 'pods', '-n', csiDriver.namespace, '-l', csiDriver.selector]),
    get(['get', 'felixconfigurations.projectcalico.org', 'default']),
    selector && !parseEqualitySelector(selector)
      ? get(['get', 'pods', '-n', ns, '-l', selector])
      : Promise.resolve(undefined),
    // Every node must carry Calico's per-node pods (several kind nodes: a worker's fault is named).
    get(['get', 'nodes']),
    get(['get', 'pods', '-n', calicoNode.namespace, '-l', calicoNode.selector]),
  ]);

  // The canary is ours and carries the gateway template: it is checked on its own, never as a workload
  // pod (also when an earlier run left it on an existing cluster).
  const canaryFacts = facts.canary;
  const isCanary = (p: Pod) => matchesLabels(p, facts.canaryLabels);
  const split = (keep: (p: Pod) => boolean): Fetched =>
    podsAll.ok ? fetchedOk({ items: podsOf(podsAll.value).filter(keep) }) : podsAll;
  const workload = split((p) => !isCanary(p));
  const canary = split(isCanary);
  const equality = selector ? parseEqualitySelector(selector) : undefined;
  const target: Fetched =
    targetPods ?? (equality ? split((p) => !isCanary(p) && matchesLabels(p, equality)) : workload);

  const withDikastes = podsAll.ok
    ? livePods(podsOf(podsAll.value)).filter((p) => hasContainer(p, dikastes.container))
    : [];
  const logs: PodLog[] = await Promise.all(
    withDikastes.map(async (p) => ({
      pod: p.metadata.name,
      log: await deps.kubectl.logs(p.metadata.name, dikastes.container, ns, deps.signal),
    })),
  );
  const workloadLogs = logs.filter(
    (l) => !withDikastes.find((p) => p.metadata.name === l.pod && isCanary(p)),
  );

  const ingress = await waitForIngress(deps, opts);

  const checks: CheckResult[] = [
    checkNamespaceLabel(ns, namespace, facts.namespaceLabel),
    checkPodAnnotations(ns, workload, facts.podAnnotation, facts.templatesAnnotation),
    checkInjectorTemplates(injectorCm, injector.expect),
    checkDikastesContainers(ns, workload),
    checkDikastesLogs(ns, workloadLogs, dikastes.log),
    checkCalicoNode(nodes, calicoNodes),
    checkCsiDriver(csi, nodes),
    checkFelixPolicySync(felix, facts.policySyncPrefix),
    canaryFacts.deployed
      ? checkGatewayDikastes(canaryFacts.name, canary)
      : skipped('gateway-dikastes', CHECK_TITLES['gateway-dikastes'], canaryFacts.why),
    checkIngress(opts.ingressUrl, ingress.answer, ingress.attempts),
  ];

  const targetPod = target.ok ? livePods(podsOf(target.value))[0]?.metadata.name : undefined;
  const label = selector ? `${ns}/${selector}` : ns;
  return {
    checks,
    dikastesReady: dikastesReadiness(label, target, logs, dikastes.log),
    denyAction: felixDenyAction(felix),
    ...(targetPod ? { targetPod } : {}),
  };
}

/**
 * The trust gate alone, read again before each suite step: the target pods' Dikastes is ready (its
 * readiness probe is true only after Felix's InSync) and its log shows no failure since the last sync.
 */
export async function readTrust(
  kubectl: Kubectl,
  target: SuiteTarget,
  facts: CheckFacts,
  signal: AbortSignal,
): Promise<{ ready: boolean; evidence: string }> {
  const ns = target.namespace;
  const pods = await kubectl.getJson(
    ['get', 'pods', '-n', ns, ...(target.selector ? ['-l', target.selector] : [])],
    signal,
  );
  const live = pods.ok
    ? livePods(podsOf(pods.value)).filter((p) => !matchesLabels(p, facts.canaryLabels))
    : [];
  const logs: PodLog[] = await Promise.all(
    live
      .filter((p) => hasContainer(p, facts.dikastes.container))
      .map(async (p) => ({
        pod: p.metadata.name,
        log: await kubectl.logs(p.metadata.name, facts.dikastes.container, ns, signal),
      })),
  );
  const label = target.selector ? `${ns}/${target.selector}` : ns;
  const filtered: Fetched = pods.ok ? fetchedOk({ items: live }) : pods;
  return dikastesReadiness(label, filtered, logs, facts.dikastes.log);
}

/** The gateway may need a moment after the rollout: bounded attempts until any HTTP answer. */
async function waitForIngress(
  deps: CheckDeps,
  opts: CheckOptions,
): Promise<{ answer: HttpAnswer; attempts: number }> {
  const attemptMs = opts.ingressAttemptMs ?? 5_000;
  const deadline = deps.now() + (opts.ingressWaitMs ?? 30_000);
  let attempts = 0;
  for (;;) {
    attempts++;
    const answer = await deps.httpGet(opts.ingressUrl, { timeoutMs: attemptMs, signal: deps.signal });
    if (!('error' in answer) || deps.now() + attemptMs > deadline || deps.signal.aborted) {
      return { answer, attempts };
    }
    await deps.sleep(Math.min(attemptMs, 1_000), deps.signal).catch(() => undefined);
  }
}
