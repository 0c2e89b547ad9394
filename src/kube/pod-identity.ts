import type { Identity, TargetIdentity } from '../oracle/suite-oracle.js';
import type { Kubectl } from './kubectl.js';
import { asObject, firstLine, livePods, podsOf } from './objects.js';

/** Containers the mesh and Calico add to a pod: not the app's port. */
const INJECTED = new Set(['istio-proxy', 'istio-init', 'dikastes']);
const DEFAULT_PORT = 8080;

/**
 * Who the pods behind a selector are, as Calico sees them (for `expect: auto`): the first live pod's
 * labels, service account, IP and the app's ports, plus its namespace's labels. A read that fails or
 * finds no pod is an error naming what was asked.
 */
export async function readPodIdentity(
  k: Kubectl,
  namespace: string,
  selector: string | undefined,
  signal: AbortSignal,
): Promise<TargetIdentity & { readonly namespaceLabels: Readonly<Record<string, string>> }> {
  const what = `pods in ${namespace}${selector ? ` with ${selector}` : ''}`;
  const [pods, ns] = await Promise.all([
    k.getJson(['get', 'pods', '-n', namespace, ...(selector ? ['-l', selector] : [])], signal),
    k.getJson(['get', 'namespace', namespace], signal),
  ]);
  if (!pods.ok) throw new Error(`cannot read the ${what}: ${pods.error}`);
  const pod = livePods(podsOf(pods.value))[0];
  if (!pod) throw new Error(`no live ${what}: the oracle needs their labels`);
  const raw = asObject(pod) ?? {};
  const spec = asObject(raw.spec) ?? {};
  const status = asObject(raw.status) ?? {};
  const ports: { name: string; port: number; protocol: string }[] = [];
  let first: number | undefined;
  for (const c of pod.spec?.containers ?? []) {
    if (INJECTED.has(c.name)) continue;
    const declared = (asObject(c)?.ports ?? []) as {
      name?: string;
      containerPort?: number;
      protocol?: string;
    }[];
    for (const p of Array.isArray(declared) ? declared : []) {
      if (typeof p.containerPort !== 'number') continue;
      first ??= p.containerPort;
      if (p.name) ports.push({ name: p.name, port: p.containerPort, protocol: p.protocol ?? 'TCP' });
    }
  }
  const nsMeta = ns.ok ? asObject(asObject(ns.value)?.metadata) : undefined;
  const ip = typeof status.podIP === 'string' ? status.podIP : undefined;
  return {
    namespace,
    labels: { ...pod.metadata.labels },
    serviceAccount: typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : 'default',
    ...(ip ? { ip } : {}),
    port: first ?? DEFAULT_PORT,
    ports,
    namespaceLabels: { ...(asObject(nsMeta?.labels) as Record<string, string> | undefined) },
  };
}

/** The same read for a source: identity only. */
export async function readSourceIdentity(
  k: Kubectl,
  namespace: string,
  selector: string,
  signal: AbortSignal,
): Promise<Identity> {
  const { port: _p, ports: _ps, ...identity } = await readPodIdentity(k, namespace, selector, signal);
  return identity;
}

/**
 * The pods behind a Service, for a request to `service:port` from inside the mesh: the Service's
 * selector picks them (as the endpoints controller does), and the port is the one the Service forwards
 * `port` to (its targetPort, a number or a container port's name; absent, the port itself).
 */
export async function readServiceTarget(
  k: Kubectl,
  namespace: string,
  service: string,
  port: number,
  signal: AbortSignal,
): Promise<TargetIdentity & { readonly namespaceLabels: Readonly<Record<string, string>> }> {
  const got = await k.getJson(['get', 'service', service, '-n', namespace], signal);
  if (!got.ok)
    throw new Error(`cannot read Service ${service} in ${namespace}: ${firstLine(String(got.error))}`);
  const spec = asObject(asObject(got.value)?.spec) ?? {};
  const selector = Object.entries(asObject(spec.selector) ?? {}).map(([key, v]) => `${key}=${String(v)}`);
  if (!selector.length)
    throw new Error(
      `Service ${service} in ${namespace} has no selector: the oracle cannot tell which pods are behind it`,
    );
  const ports = (Array.isArray(spec.ports) ? spec.ports : []).map((p) => asObject(p) ?? {});
  const sp = ports.find((p) => p.port === port);
  if (!sp)
    throw new Error(
      `Service ${service} in ${namespace} has no port ${port}; it has ${ports.map((p) => String(p.port)).join(', ') || 'none'}`,
    );
  const pods = await readPodIdentity(k, namespace, selector.join(','), signal);
  // ServicePort.targetPort (k8s.io/api core/v1 types.go): a number, or a name looked up in the pod's
  // container ports; absent, the port itself.
  const tp = sp.targetPort;
  const target =
    typeof tp === 'number'
      ? tp
      : typeof tp === 'string'
        ? /^\d+$/.test(tp)
          ? Number(tp)
          : pods.ports.find((p) => p.name === tp)?.port
        : port;
  if (target === undefined)
    throw new Error(
      `Service ${service} in ${namespace} port ${port} targets the named port ${String(tp)}, which its pods do not declare`,
    );
  return { ...pods, port: target };
}
