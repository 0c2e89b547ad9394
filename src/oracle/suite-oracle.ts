import { CaseInputError, evaluateCase } from './evaluate.js';
import { DEFAULT_FROM } from './load.js';
import type { CaseResult, NamedPort, OracleSemantics, Policy, Tier, Verdict, World } from './model.js';
import { isOracleKind, parseObject } from './objects.js';
import type { Labels } from './selector.js';

/**
 * The oracle seen from a suite: the world is what the suite's manifests hold at a step, the target is
 * the workload behind the gateway route, the source is whoever sends the request (the ingress gateway
 * unless an expectation names another one).
 */

/** Who a pod is, as Calico sees it: namespace, labels, service account, and its IP when rules need it. */
export interface Identity {
  readonly namespace: string;
  readonly labels: Labels;
  readonly serviceAccount: string;
  readonly ip?: string;
  /** Labels of its namespace as the cluster shows them (a suite's Namespace manifests add to them). */
  readonly namespaceLabels?: Labels;
}

/** The target workload: its identity, the port requests reach, and its named ports. */
export interface TargetIdentity extends Identity {
  readonly port: number;
  readonly ports: readonly NamedPort[];
}

/** The source of requests that name none: the Istio ingress gateway (the harness probes through it). */
export const INGRESS_GATEWAY: Identity = DEFAULT_FROM;

/** One request to judge; `from` absent means the default source. */
export interface OracleQuery {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly from?: Identity;
}

/** The oracle's answer for one query: its verdict and why, or why it cannot say. */
export type OracleAnswer =
  { readonly ok: true; readonly result: CaseResult } | { readonly ok: false; readonly why: string };

/** One manifest document and where it came from. */
export interface ManifestDoc {
  readonly doc: unknown;
  readonly source: string;
}

/**
 * The policy world of a set of manifests: policies, tiers, namespaces and service accounts; every
 * other kind (Deployments, DestinationRules …) is not the oracle's business and is skipped. A policy
 * Calico would refuse is a problem, named by source.
 */
export function worldFromManifests(
  docs: readonly ManifestDoc[],
  opts: { mtls?: boolean; namespaces?: ReadonlyMap<string, Labels> } = {},
): { world: World; problems: readonly string[] } {
  const policies: Policy[] = [];
  const tiers = new Map<string, Tier>();
  const namespaces = new Map(opts.namespaces ?? []);
  const serviceAccounts = new Map<string, Labels>();
  const problems: string[] = [];
  for (const { doc, source } of docs) {
    if (!isOracleKind(doc)) continue;
    const { parsed, problems: found } = parseObject(doc, source);
    for (const p of found) problems.push(`${source}: ${p.path.join('.')}: ${p.message}`);
    if (parsed?.type === 'policy') policies.push(parsed.policy);
    else if (parsed?.type === 'tier') tiers.set(parsed.tier.name, parsed.tier);
    else if (parsed?.type === 'namespace')
      namespaces.set(parsed.name, { ...namespaces.get(parsed.name), ...parsed.labels });
    else if (parsed?.type === 'serviceAccount')
      serviceAccounts.set(`${parsed.namespace}/${parsed.name}`, parsed.labels);
  }
  for (const p of policies)
    if (p.tier !== 'default' && !tiers.has(p.tier))
      problems.push(`${p.source}: policy ${p.name} names tier ${p.tier}, which no Tier object defines`);
  return { world: { policies, tiers, namespaces, serviceAccounts, mtls: opts.mtls ?? true }, problems };
}

/**
 * What the oracle says for each query, in order. `sourceOf` decides the source of a query (issue 16's
 * `from` plugs in here); by default a query's own `from`, else the ingress gateway.
 */
export function judgeQueries(
  world: World,
  target: TargetIdentity,
  queries: readonly OracleQuery[],
  sem: OracleSemantics,
  sourceOf: (q: OracleQuery) => Identity = (q) => q.from ?? INGRESS_GATEWAY,
): OracleAnswer[] {
  const withNamespaces = (from: Identity): World => {
    const known = [target, from].filter((x) => x.namespaceLabels);
    if (!known.length) return world;
    const namespaces = new Map<string, Labels>();
    for (const x of known) namespaces.set(x.namespace, { ...x.namespaceLabels });
    for (const [ns, l] of world.namespaces) namespaces.set(ns, { ...namespaces.get(ns), ...l });
    return { ...world, namespaces };
  };
  return queries.map((q, i) => {
    const from = sourceOf(q);
    try {
      const result = evaluateCase(
        {
          name: q.name,
          to: { ...target },
          from: { ...from, ports: [] },
          request: { method: q.method, path: q.path, protocol: 'TCP' },
        },
        i,
        withNamespaces(from),
        sem,
      );
      return { ok: true, result };
    } catch (e) {
      if (!(e instanceof CaseInputError)) throw e;
      const who = e.field[0] === 'from' ? 'the source' : 'the target';
      return { ok: false, why: `${who}'s ${e.field.slice(1).join('.')} ${e.message}` };
    }
  });
}

/** The suite's way of writing a verdict, from the oracle's: allow, or deny at the layer it names. */
export function expectationOf(v: Verdict): { verdict: 'allow' | 'deny'; layer?: 'l4' | 'l7' } {
  if (v === 'allowed') return { verdict: 'allow' };
  return { verdict: 'deny', layer: v === 'denied-l4' ? 'l4' : 'l7' };
}

/** Whether a written suite expectation agrees with the oracle's verdict (a deny without a layer takes either). */
export function agreesWith(e: { verdict: 'allow' | 'deny'; layer?: 'l4' | 'l7' }, v: Verdict): boolean {
  if (e.verdict === 'allow') return v === 'allowed';
  if (e.layer === 'l4') return v === 'denied-l4';
  if (e.layer === 'l7') return v === 'denied-l7';
  return v !== 'allowed';
}

/** A suite expectation as the truth table shows it under EXPECTED. */
export function expectedText(e: { verdict: 'allow' | 'deny'; layer?: 'l4' | 'l7' }): string {
  if (e.verdict === 'allow') return 'allowed';
  return e.layer ? `denied-${e.layer}` : 'denied';
}

/** A pod template found in manifests: labels, service account, named ports, first container port. */
export interface PodTemplate {
  readonly namespace?: string;
  readonly labels: Labels;
  readonly serviceAccount: string;
  readonly ports: readonly NamedPort[];
  readonly port?: number;
  readonly source: string;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The pod a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet or Job would run, if the document is one. */
export function podTemplateOf(m: ManifestDoc): PodTemplate | undefined {
  const d = m.doc;
  if (!isObj(d) || typeof d.kind !== 'string' || !isObj(d.metadata)) return undefined;
  const meta = d.metadata;
  let podMeta: unknown;
  let podSpec: unknown;
  if (d.kind === 'Pod') {
    podMeta = meta;
    podSpec = d.spec;
  } else if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(d.kind)) {
    const t = isObj(d.spec) ? d.spec.template : undefined;
    if (!isObj(t)) return undefined;
    podMeta = t.metadata;
    podSpec = t.spec;
  } else return undefined;
  const labels: Record<string, string> = {};
  if (isObj(podMeta) && isObj(podMeta.labels))
    for (const [k, v] of Object.entries(podMeta.labels)) labels[k] = String(v);
  const spec = isObj(podSpec) ? podSpec : {};
  const ports: NamedPort[] = [];
  let first: number | undefined;
  for (const c of Array.isArray(spec.containers) ? spec.containers : [])
    for (const p of isObj(c) && Array.isArray(c.ports) ? c.ports : []) {
      if (!isObj(p) || typeof p.containerPort !== 'number') continue;
      first ??= p.containerPort;
      if (typeof p.name === 'string')
        ports.push({
          name: p.name,
          port: p.containerPort,
          protocol: typeof p.protocol === 'string' ? p.protocol : 'TCP',
        });
    }
  return {
    ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
    labels,
    serviceAccount: typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : 'default',
    ports,
    ...(first !== undefined ? { port: first } : {}),
    source: m.source,
  };
}
