import {
  podTemplateOf,
  type Identity,
  type ManifestDoc,
  type TargetIdentity,
} from '../oracle/suite-oracle.js';
import type { SourceSpec } from './schema.js';
import { clientIdentity, clientName, PROBE_CLIENT_LABEL, routeText, type Route } from './sources.js';

/**
 * A route's source and target without a cluster (`suite check`): the probe client's identity from its
 * spec, a workload found by its selector, the pods behind a Service found by the Service's selector, in
 * the suite's own manifests or else the pinned Online Boutique. What cannot be found is an error, not a guess.
 */

/** A pinned workload the harness deploys (Online Boutique), as the CLI hands it over from src/resolve. */
export interface KnownWorkload {
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  readonly port: number;
  readonly source: string;
}

/** A pinned Service (Online Boutique's), as the CLI hands it over from src/resolve. */
export interface KnownService {
  readonly name: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly { readonly port: number; readonly targetPort: number | string }[];
  readonly source: string;
}

/** Why a route cannot be resolved: the field of the source or target (`from.selector`, `to.port` …). */
export class RouteError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'RouteError';
  }
}

export interface ResolvedRoute {
  readonly source: Identity & { readonly from: string };
  readonly target: TargetIdentity & { readonly from: string };
  /** "from boutique/sa:frontend to productcatalogservice:3550", for truth tables. */
  readonly text: string;
}

type Labels = Readonly<Record<string, string>>;

/**
 * A label selector as `kubectl -l` reads it, limited to what can be matched without guessing:
 * `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated. Set-based terms throw.
 */
export function selectorMatcher(selector: string, field: string): (labels: Labels) => boolean {
  const terms = selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      let m = /^([A-Za-z0-9._/-]+)\s*(!=|==|=)\s*([A-Za-z0-9._-]*)$/.exec(t);
      if (m) {
        const [, k, op, v] = m as unknown as [string, string, string, string];
        return op === '!=' ? (l: Labels) => l[k] !== v : (l: Labels) => l[k] === v;
      }
      m = /^(!?)([A-Za-z0-9._/-]+)$/.exec(t);
      if (m) {
        const [, not, k] = m as unknown as [string, string, string];
        return not ? (l: Labels) => !(k in l) : (l: Labels) => k in l;
      }
      throw new RouteError(
        field,
        `selector term ${JSON.stringify(t)} cannot be matched offline; write key=value, key!=value, key or !key terms`,
      );
    });
  return (labels) => terms.every((f) => f(labels));
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const inNamespace = (ns: unknown, namespace: string) => ns === undefined || ns === namespace;

/** A pod in the suite's manifests (namespace unset or equal) or a pinned one whose labels `matches` accepts. */
function findPods(
  namespace: string,
  matches: (l: Labels) => boolean,
  docs: ReadonlyMap<string, readonly ManifestDoc[]>,
  known: readonly KnownWorkload[],
) {
  for (const list of docs.values())
    for (const d of list) {
      const t = podTemplateOf(d);
      if (t && inNamespace(t.namespace, namespace) && matches(t.labels)) return t;
    }
  const w = known.find((k) => matches(k.labels));
  return w ? { ...w, ports: [] } : undefined;
}

/** The identity a source's requests carry, as far as the oracle can know it offline. */
export function offlineSource(
  s: SourceSpec,
  docs: ReadonlyMap<string, readonly ManifestDoc[]>,
  known: readonly KnownWorkload[],
): Identity & { readonly from: string } {
  const client = clientIdentity(s);
  if (client)
    // The harness adds its own label to the client's pods (sources.ts clientDeployment).
    return {
      ...client,
      labels: { ...client.labels, [PROBE_CLIENT_LABEL]: clientName(s) },
      from: 'the probe client the harness deploys',
    };
  const selector = s.selector ?? '';
  const t = findPods(s.namespace, selectorMatcher(selector, 'from.selector'), docs, known);
  if (!t)
    throw new RouteError(
      'from.selector',
      `no workload in namespace ${s.namespace} matches ${selector} in the suite's manifests or the pinned Online Boutique; the oracle needs the source's labels and service account`,
    );
  return { namespace: s.namespace, labels: t.labels, serviceAccount: t.serviceAccount, from: t.source };
}

/** The Service `to.service` from the suite's manifests, else the pinned Online Boutique's. */
function findService(
  to: Route['to'],
  docs: ReadonlyMap<string, readonly ManifestDoc[]>,
  services: readonly KnownService[],
): KnownService | undefined {
  for (const list of docs.values())
    for (const { doc, source } of list) {
      if (!isObj(doc) || doc.kind !== 'Service' || !isObj(doc.metadata)) continue;
      if (doc.metadata.name !== to.service || !inNamespace(doc.metadata.namespace, to.namespace)) continue;
      const spec = isObj(doc.spec) ? doc.spec : {};
      const selector: Record<string, string> = {};
      if (isObj(spec.selector)) for (const [k, v] of Object.entries(spec.selector)) selector[k] = String(v);
      const ports = (Array.isArray(spec.ports) ? spec.ports : []).filter(isObj).flatMap((p) =>
        typeof p.port === 'number'
          ? [
              {
                port: p.port,
                targetPort:
                  typeof p.targetPort === 'number' || typeof p.targetPort === 'string'
                    ? p.targetPort
                    : p.port,
              },
            ]
          : [],
      );
      return { name: to.service, selector, ports, source };
    }
  return services.find((s) => s.name === to.service);
}

/** The pods behind `to.service` and the container port `to.port` reaches (the Service's targetPort). */
export function offlineServiceTarget(
  to: Route['to'],
  docs: ReadonlyMap<string, readonly ManifestDoc[]>,
  known: readonly KnownWorkload[],
  services: readonly KnownService[],
): TargetIdentity & { readonly from: string } {
  const svc = findService(to, docs, services);
  if (!svc)
    throw new RouteError(
      'to.service',
      `no Service ${to.service} in namespace ${to.namespace} in the suite's manifests or the pinned Online Boutique; the oracle needs its selector`,
    );
  const wanted = Object.entries(svc.selector);
  if (!wanted.length)
    throw new RouteError(
      'to.service',
      `Service ${to.service} (${svc.source}) has no selector: the oracle cannot tell which pods are behind it`,
    );
  const sp = svc.ports.find((p) => p.port === to.port);
  if (!sp)
    throw new RouteError(
      'to.port',
      `Service ${to.service} (${svc.source}) has no port ${to.port}; it has ${svc.ports.map((p) => p.port).join(', ') || 'none'}`,
    );
  const sel = wanted.map(([k, v]) => `${k}=${v}`).join(',');
  const t = findPods(to.namespace, (l) => wanted.every(([k, v]) => l[k] === v), docs, known);
  if (!t)
    throw new RouteError(
      'to.service',
      `no pods match Service ${to.service}'s selector ${sel} in the suite's manifests or the pinned Online Boutique`,
    );
  // ServicePort.targetPort (k8s.io/api core/v1 types.go): a number, or a name looked up in the pod's
  // container ports; absent, the port itself.
  let port: number | undefined;
  if (typeof sp.targetPort === 'number') port = sp.targetPort;
  else if (/^\d+$/.test(sp.targetPort)) port = Number(sp.targetPort);
  else port = t.ports.find((p) => p.name === sp.targetPort)?.port;
  if (port === undefined)
    throw new RouteError(
      'to.port',
      `Service ${to.service} port ${to.port} targets the named port ${String(sp.targetPort)}, which the pods (${t.source}) do not declare`,
    );
  return {
    namespace: to.namespace,
    labels: t.labels,
    serviceAccount: t.serviceAccount,
    port,
    ports: t.ports,
    from: `Service ${to.service} (${svc.source}) → ${t.source}`,
  };
}

/** Both ends of a route, offline. */
export function offlineRoute(
  route: Route,
  docs: ReadonlyMap<string, readonly ManifestDoc[]>,
  known: readonly KnownWorkload[],
  services: readonly KnownService[],
  defaultNamespace?: string,
): ResolvedRoute {
  return {
    source: offlineSource(route.from, docs, known),
    target: offlineServiceTarget(route.to, docs, known, services),
    text: routeText(route, defaultNamespace),
  };
}
