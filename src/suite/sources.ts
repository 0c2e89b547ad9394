import { createHash } from 'node:crypto';
import type { ProbeClientFacts } from '../plan/types.js';
import type { ServiceTargetSpec, SourceSpec, SuiteSpec } from './schema.js';

/**
 * A request's source identity, as a policy sees it: the pod's namespace, labels and service account
 * (its SPIFFE identity under mTLS). The seam for `expect: auto`: the oracle's `from` is this.
 */
export interface ProbeSource {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
}

/** Label every probe client carries (with the client's name), so cleanup and the fakes can find it. */
export const PROBE_CLIENT_LABEL = 'calico-istio-conformance/probe-client';

/** The source of one expectation after step defaults, and its target. */
export interface Route {
  readonly from: SourceSpec;
  readonly to: Required<Pick<ServiceTargetSpec, 'service' | 'port'>> & { readonly namespace: string };
}

/** Stable text for a source spec: two expectations with equal sources share one pod. */
export function sourceKey(s: SourceSpec): string {
  const labels = Object.entries(s.labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([
    s.namespace,
    s.selector ?? null,
    s.container ?? null,
    s.serviceAccount ?? null,
    labels,
  ]);
}

/** `cic-probe-<sa>-<hash>`: a DNS label unique per identity (namespace, service account, labels). */
export function clientName(s: SourceSpec): string {
  const hash = createHash('sha256').update(sourceKey(s)).digest('hex').slice(0, 8);
  const sa = (s.serviceAccount ?? 'sa')
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `cic-probe-${sa}-${hash}`;
}

/** The probe client's identity, known before it runs (the oracle can use it without a cluster). */
export function clientIdentity(s: SourceSpec): ProbeSource | undefined {
  if (s.serviceAccount === undefined) return undefined;
  return { namespace: s.namespace, labels: { ...(s.labels ?? {}) }, serviceAccount: s.serviceAccount };
}

/** Each expectation's route (undefined: through the ingress gateway), by step and expectation index. */
export function routesOf(spec: SuiteSpec): (Route | undefined)[][] {
  return spec.steps.map((step) =>
    step.expect.map((e) => {
      const from = e.from ?? step.from;
      const to = e.to ?? step.to;
      if (!from || !to) return undefined;
      return {
        from,
        to: { service: to.service, port: to.port, namespace: to.namespace ?? spec.target.namespace },
      };
    }),
  );
}

/** The distinct sources a suite names, in first-use order. */
export function sourcesOf(spec: SuiteSpec): SourceSpec[] {
  const seen = new Map<string, SourceSpec>();
  for (const step of routesOf(spec))
    for (const r of step) if (r && !seen.has(sourceKey(r.from))) seen.set(sourceKey(r.from), r.from);
  return [...seen.values()];
}

export function targetUrl(to: Route['to']): string {
  return `http://${to.service}.${to.namespace}.svc.cluster.local:${to.port}`;
}

/** "from boutique/sa:frontend {app=x} to productcatalogservice:3550" (namespace shown when it differs). */
export function routeText(route: Route, defaultNamespace?: string): string {
  const ns = route.to.namespace === defaultNamespace ? '' : `.${route.to.namespace}`;
  return `from ${describeSource(route.from)} to ${route.to.service}${ns}:${route.to.port}`;
}

export function describeSource(s: SourceSpec): string {
  return s.selector !== undefined
    ? `${s.namespace}/${s.selector}`
    : `${s.namespace}/sa:${s.serviceAccount ?? ''}${
        Object.keys(s.labels ?? {}).length
          ? ` {${Object.entries(s.labels ?? {})
              .map(([k, v]) => `${k}=${v}`)
              .join(',')}}`
          : ''
      }`;
}

/**
 * The probe client Deployment: one replica idling in the client image, beside the Istio sidecar the
 * namespace's injection adds. No injection-template annotation, so the templates flavour injects the
 * default `sidecar` template only (no Dikastes: the client receives no traffic to authorize). Under
 * Calico's legacy injector patch Dikastes is part of the sidecar template itself and comes along.
 */
export function clientDeployment(
  client: ProbeClientFacts,
  s: SourceSpec,
  name: string,
): Record<string, unknown> {
  const labels = { ...(s.labels ?? {}), [PROBE_CLIENT_LABEL]: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: s.namespace, labels: { [PROBE_CLIENT_LABEL]: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { [PROBE_CLIENT_LABEL]: name } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: s.serviceAccount,
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: client.container,
              image: client.image,
              command: [...client.command],
              securityContext: {
                runAsUser: client.runAsUser,
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
              },
              resources: { requests: { ...client.resources } },
            },
          ],
        },
      },
    },
  };
}
