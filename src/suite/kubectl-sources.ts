import type { SourceDriver, SourcePod } from './contract.js';
import type { SourceSpec } from './schema.js';
import { clientDeployment, PROBE_CLIENT_LABEL } from './sources.js';
import type { ProbeClientFacts } from '../plan/types.js';
import type { Kubectl } from '../kube/kubectl.js';
import { firstLine, isSidecarInit, livePods, podReady, podsOf, type Pod } from '../kube/objects.js';

/** Bound on a probe client becoming Ready (image already on the node; the sidecar needs istiod). */
export const CLIENT_READY_TIMEOUT_MS = 180_000;
const SIDECAR = 'istio-proxy';
const NOT_APP = new Set([SIDECAR, 'dikastes']);

function hasSidecar(p: Pod): boolean {
  return (
    (p.spec?.containers ?? []).some((c) => c.name === SIDECAR) ||
    (p.spec?.initContainers ?? []).some((c) => c.name === SIDECAR && isSidecarInit(c))
  );
}

function sourcePod(p: Pod, namespace: string, container: string): SourcePod {
  return {
    namespace,
    pod: p.metadata.name,
    container,
    identity: {
      namespace,
      labels: { ...(p.metadata.labels ?? {}) },
      serviceAccount: p.spec?.serviceAccountName ?? 'default',
    },
  };
}

/**
 * Sources through kubectl (argv only, every call bounded): `get pods -l`, `apply -f -` of the client
 * Deployment, `rollout status --timeout`, `exec … -- curl …`, `delete deployment/… --ignore-not-found`.
 */
export function kubectlSources(
  k: Kubectl,
  client: ProbeClientFacts,
  readyTimeoutMs = CLIENT_READY_TIMEOUT_MS,
): SourceDriver {
  /** The client answers `curl --version`: a container without curl is named at setup, not per probe. */
  async function checkClient(pod: SourcePod, signal: AbortSignal): Promise<void> {
    const { result, failure } = await k.run(
      ['exec', pod.pod, '-n', pod.namespace, '-c', pod.container, '--', client.http.binary, '--version'],
      signal,
    );
    signal.throwIfAborted();
    if (failure)
      throw new Error(
        `container ${pod.container} of pod ${pod.pod} cannot run ${client.http.binary} (${firstLine(result.stderr || result.stdout) || failure.kind}); a source needs an HTTP client there`,
      );
  }

  async function readyPods(namespace: string, selector: string, signal: AbortSignal): Promise<Pod[]> {
    const got = await k.getJson(['get', 'pods', '-n', namespace, '-l', selector], signal);
    if (!got.ok) throw new Error(`could not list pods: ${firstLine(got.error)}`);
    return livePods(podsOf(got.value))
      .filter((p) => p.status?.phase === 'Running' && podReady(p))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  return {
    client,
    async findWorkload(s: SourceSpec, signal) {
      const selector = s.selector ?? '';
      const pods = await readyPods(s.namespace, selector, signal);
      if (pods.length === 0)
        throw new Error(
          `no Ready pod matches ${selector} in namespace ${s.namespace}: is the workload deployed?`,
        );
      const withSidecar = pods.filter(hasSidecar);
      if (withSidecar.length === 0)
        throw new Error(
          `pod ${pods[0]!.metadata.name} has no Istio sidecar (${SIDECAR}): requests from it would carry no mesh identity`,
        );
      const p = withSidecar[0]!;
      const names = (p.spec?.containers ?? []).map((c) => c.name);
      const container = s.container ?? names.find((n) => !NOT_APP.has(n));
      if (!container || !names.includes(container))
        throw new Error(
          `pod ${p.metadata.name} has no container ${s.container ?? '(other than the sidecars)'}; it has ${names.join(', ')}`,
        );
      const pod = sourcePod(p, s.namespace, container);
      await checkClient(pod, signal);
      return pod;
    },
    async deployClient(s: SourceSpec, name, signal) {
      const sa = s.serviceAccount ?? 'default';
      // Checked before anything is applied: a missing namespace or account is an error, not a stuck rollout.
      const account = await k.getJson(['get', 'serviceaccount', sa, '-n', s.namespace], signal);
      if (!account.ok)
        throw new Error(
          `ServiceAccount ${sa} in namespace ${s.namespace} cannot be read: ${firstLine(account.error)}`,
        );
      await k.applyObject(clientDeployment(client, s, name), signal);
      const { result, failure } = await k.run(
        [
          'rollout',
          'status',
          `deployment/${name}`,
          '-n',
          s.namespace,
          `--timeout=${Math.ceil(readyTimeoutMs / 1000)}s`,
        ],
        signal,
        readyTimeoutMs + 15_000,
      );
      signal.throwIfAborted();
      if (failure)
        throw new Error(
          `probe client ${name} did not become Ready: ${firstLine(result.stderr || result.stdout) || failure.kind}`,
        );
      const pods = await readyPods(s.namespace, `${PROBE_CLIENT_LABEL}=${name}`, signal);
      if (pods.length === 0) throw new Error(`probe client ${name} rolled out, but no Ready pod was found`);
      const pod = sourcePod(pods[0]!, s.namespace, client.container);
      if (!hasSidecar(pods[0]!))
        throw new Error(
          `probe client pod ${pod.pod} got no Istio sidecar: is injection enabled in namespace ${s.namespace}?`,
        );
      await checkClient(pod, signal);
      return pod;
    },
    async removeClient(s, name, signal) {
      await k.deleteNamed('deployment', name, s.namespace, signal);
    },
    async exec(pod, argv, timeoutMs, signal) {
      const { result } = await k.run(
        ['exec', pod.pod, '-n', pod.namespace, '-c', pod.container, '--', ...argv],
        signal,
        timeoutMs,
      );
      if (result.cancelled) throw signal.reason instanceof Error ? signal.reason : new Error('cancelled');
      return {
        exitCode: result.exitCode,
        stdout: result.stdout,
        stderr: result.stderr,
        timedOut: result.timedOut,
      };
    },
  };
}
