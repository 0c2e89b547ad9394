import type { IstioFlavour } from '../catalog/istio.js';
import type { SuiteTarget } from '../contracts.js';
import type { ProcessRunner } from '../exec/process.js';
import { GATEWAY_CANARY, ISTIO_NAMESPACE } from '../render/constants.js';
import type { CheckResult } from '../result/schema.js';
import {
  checkCsiDriver,
  checkDikastesContainers,
  checkDikastesLogs,
  checkFelixPolicySync,
  checkGatewayDikastes,
  checkIngress,
  checkInjectorTemplates,
  checkNamespaceLabel,
  checkPodAnnotations,
  dikastesReadiness,
  DIKASTES,
  gatewayTitle,
  skipped,
  type HttpAnswer,
  type PodLog,
} from './checks.js';
import {
  fetchedError,
  fetchedOk,
  firstLine,
  hasContainer,
  livePods,
  matchesLabels,
  parseEqualitySelector,
  podReady,
  podsOf,
  type Fetched,
  type Pod,
} from './kube.js';

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
  readonly runner: ProcessRunner;
  readonly kubectl: string;
  /** Environment for kubectl (KUBECONFIG of a kind cluster; empty for the current context). */
  readonly env: Record<string, string>;
  readonly httpGet: HttpGet;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly now: () => number;
  readonly signal: AbortSignal;
}

export interface CheckOptions {
  /** The workload namespace the suite probes. */
  readonly target: SuiteTarget;
  readonly flavour: IstioFlavour;
  /** The templates the workload pods must name (undefined: legacy, none). */
  readonly templates: string | undefined;
  /** Whether this run deployed the gateway canary (templates flavour with the workload installed). */
  readonly canary: boolean;
  readonly ingressUrl: string;
  readonly kubectlTimeoutMs?: number;
  /** How long the gateway may take to answer, and the pause between attempts. */
  readonly ingressWaitMs?: number;
  readonly ingressAttemptMs?: number;
}

export interface CheckReport {
  readonly checks: CheckResult[];
  /** Trust gate for the suite. */
  readonly dikastesReady: { ready: boolean; evidence: string };
  /** For diagnostics: pods that are not ready (namespace/name) and the pod the gateway routes to. */
  readonly notReadyPods: readonly { namespace: string; name: string }[];
  readonly targetPod?: string;
}

/** Runs the kubectl reads (in parallel, each bounded) and evaluates every check; a failing read fails its checks only. */
export async function collectChecks(deps: CheckDeps, opts: CheckOptions): Promise<CheckReport> {
  const timeoutMs = opts.kubectlTimeoutMs ?? 30_000;
  const ns = opts.target.namespace;
  const kubectl = async (args: string[], json = true): Promise<Fetched> => {
    const argv = [deps.kubectl, ...args, `--request-timeout=${Math.ceil(timeoutMs / 1000)}s`];
    const r = await deps.runner.run(argv, { env: deps.env, timeoutMs, signal: deps.signal });
    if (r.exitCode !== 0) {
      const why = r.timedOut
        ? `timed out after ${timeoutMs} ms`
        : r.cancelled
          ? 'cancelled'
          : firstLine(r.stderr || r.stdout);
      return fetchedError(`${args.slice(0, 3).join(' ')}: ${why || `exit ${r.exitCode}`}`);
    }
    if (!json) return fetchedOk(r.stdout);
    try {
      return fetchedOk(JSON.parse(r.stdout));
    } catch {
      return fetchedError(`${args.slice(0, 3).join(' ')}: output is not JSON`);
    }
  };

  const selector = opts.target.selector;
  const [namespace, podsAll, injector, csi, felix, targetPods] = await Promise.all([
    kubectl(['get', 'namespace', ns, '-o', 'json']),
    kubectl(['get', 'pods', '-n', ns, '-o', 'json']),
    kubectl(['get', 'configmap', 'istio-sidecar-injector', '-n', ISTIO_NAMESPACE, '-o', 'json']),
    kubectl(['get', 'pods', '-n', 'calico-system', '-l', 'k8s-app=csi-node-driver', '-o', 'json']),
    kubectl(['get', 'felixconfigurations.projectcalico.org', 'default', '-o', 'json']),
    selector && !parseEqualitySelector(selector)
      ? kubectl(['get', 'pods', '-n', ns, '-l', selector, '-o', 'json'])
      : Promise.resolve(undefined),
  ]);

  // The canary is ours and carries the gateway template: it is checked on its own.
  const isCanary = (p: Pod) => opts.canary && matchesLabels(p, { app: GATEWAY_CANARY });
  const split = (keep: (p: Pod) => boolean): Fetched =>
    podsAll.ok ? fetchedOk({ items: podsOf(podsAll.value).filter(keep) }) : podsAll;
  const workload = split((p) => !isCanary(p));
  const canary = split(isCanary);
  const equality = selector ? parseEqualitySelector(selector) : undefined;
  const target: Fetched =
    targetPods ?? (equality ? split((p) => !isCanary(p) && matchesLabels(p, equality)) : workload);

  const withDikastes = podsAll.ok
    ? livePods(podsOf(podsAll.value)).filter((p) => hasContainer(p, DIKASTES))
    : [];
  const logs: PodLog[] = await Promise.all(
    withDikastes.map(async (p) => ({
      pod: p.metadata.name,
      log: await kubectl(['logs', p.metadata.name, '-c', DIKASTES, '-n', ns], false),
    })),
  );
  const workloadLogs = logs.filter(
    (l) => !withDikastes.find((p) => p.metadata.name === l.pod && isCanary(p)),
  );

  const ingress = await waitForIngress(deps, opts);

  const checks: CheckResult[] = [
    checkNamespaceLabel(ns, namespace),
    checkPodAnnotations(ns, workload, opts.templates),
    checkInjectorTemplates(injector, opts.flavour),
    checkDikastesContainers(ns, workload),
    checkDikastesLogs(ns, workloadLogs),
    checkCsiDriver(csi),
    checkFelixPolicySync(felix),
    opts.canary
      ? checkGatewayDikastes(GATEWAY_CANARY, canary)
      : skipped(
          'gateway-dikastes',
          gatewayTitle(GATEWAY_CANARY),
          opts.flavour === 'templates'
            ? 'this run did not deploy the workload (install has no workload)'
            : 'legacy flavour: there is no dikastes-gateway template to prove',
        ),
    checkIngress(opts.ingressUrl, ingress.answer, ingress.attempts),
  ];

  const notReadyPods = podsAll.ok
    ? livePods(podsOf(podsAll.value))
        .filter((p) => !podReady(p))
        .map((p) => ({ namespace: ns, name: p.metadata.name }))
    : [];
  const targetPod = target.ok ? livePods(podsOf(target.value))[0]?.metadata.name : undefined;
  const label = selector ? `${ns}/${selector}` : ns;
  return {
    checks,
    dikastesReady: dikastesReadiness(label, target, logs),
    notReadyPods,
    ...(targetPod ? { targetPod } : {}),
  };
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
