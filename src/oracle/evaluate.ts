import type {
  Case,
  CaseResult,
  DecidedBy,
  Direction,
  Endpoint,
  EntityRule,
  OracleSemantics,
  Policy,
  Rule,
  RulePort,
  Tier,
  Verdict,
  World,
} from './model.js';
import { inCidr } from './objects.js';
import { envoyBaseNormalise, matchHttp } from './paths.js';
import { evaluate, parseSelector, prefixLabels, type Labels, type SelectorNode } from './selector.js';

/** A case the policies cannot be evaluated for (a rule needs a fact the case does not give). */
export class CaseInputError extends Error {
  constructor(
    readonly caseIndex: number,
    readonly field: readonly (string | number)[],
    message: string,
  ) {
    super(message);
    this.name = 'CaseInputError';
  }
}

// api/pkg/apis/projectcalico/v3/tier.go DefaultTierOrder (v3.32.1).
const DEFAULT_TIER: Tier = { name: 'default', order: 1_000_000, defaultAction: 'Deny' };

/**
 * The labels Calico gives a pod's workload endpoint: its own, plus `projectcalico.org/{namespace,
 * orchestrator,serviceaccount}` (conversion/workload_endpoint_default.go), plus what the namespace
 * and service-account profiles apply as `pcns.*` / `pcsa.*` with `projectcalico.org/name`
 * (conversion.go NamespaceToProfile, ServiceAccountToProfile; v3.32.1).
 */
export function calicoLabels(ep: Endpoint, world: World): Labels {
  const out: Record<string, string> = { ...ep.labels };
  for (const [k, v] of Object.entries(namespaceLabels(ep.namespace, world))) out[`pcns.${k}`] = v;
  out['pcns.projectcalico.org/name'] = ep.namespace;
  for (const [k, v] of Object.entries(
    world.serviceAccounts.get(`${ep.namespace}/${ep.serviceAccount}`) ?? {},
  ))
    out[`pcsa.${k}`] = v;
  out['pcsa.projectcalico.org/name'] = ep.serviceAccount;
  out['projectcalico.org/namespace'] = ep.namespace;
  out['projectcalico.org/orchestrator'] = 'k8s';
  out['projectcalico.org/serviceaccount'] = ep.serviceAccount;
  return out;
}

/** Kubernetes (1.21+) labels every namespace with its name. */
function namespaceLabels(ns: string, world: World): Labels {
  return { 'kubernetes.io/metadata.name': ns, ...world.namespaces.get(ns) };
}

/** rules.go: the namespace selector over `pcns.` labels, all() → any namespaced endpoint, global() → none. */
/** Parsed and rewritten selectors, by text: a world evaluates the same few selectors many times. */
const rewritten = new Map<string, SelectorNode>();
function memo(key: string, make: () => SelectorNode): SelectorNode {
  let node = rewritten.get(key);
  if (!node) {
    if (rewritten.size > 10_000) rewritten.clear();
    node = make();
    rewritten.set(key, node);
  }
  return node;
}

function namespaceSelectorNode(text: string): SelectorNode {
  return memo(`ns\u0000${text}`, () => namespaceSelectorNodeOf(text));
}

function namespaceSelectorNodeOf(text: string): SelectorNode {
  const swap = (n: SelectorNode): SelectorNode => {
    switch (n.op) {
      case 'all':
        return { op: 'has', label: 'projectcalico.org/namespace' };
      case 'global':
        return { op: '!', operand: { op: 'has', label: 'projectcalico.org/namespace' } };
      case '!':
        return { op: '!', operand: swap(n.operand) };
      case '&&':
      case '||':
        return { op: n.op, operands: n.operands.map(swap) };
      default:
        return n;
    }
  };
  return swap(prefixLabels(parseSelector(text), 'pcns.'));
}

const sel = (text: string, labels: Labels, prefix = '') => {
  const node = prefix
    ? memo(`${prefix}\u0000${text}`, () => prefixLabels(parseSelector(text), prefix))
    : parseSelector(text);
  return evaluate(node, labels);
};

/**
 * Whether a policy applies to an endpoint: its selector, scoped to its namespace for a namespaced
 * policy, plus namespaceSelector (`pcns.`) and serviceAccountSelector (`pcsa.`)
 * (updateprocessors/networkpolicyprocessor.go, globalnetworkpolicyprocessor.go, v3.32.1).
 */
export function selects(p: Policy, labels: Labels): boolean {
  if (p.namespace !== undefined && labels['projectcalico.org/namespace'] !== p.namespace) return false;
  if (!sel(p.selector, labels)) return false;
  if (p.namespaceSelector && !sel(p.namespaceSelector, labels, 'pcns.')) return false;
  if (p.serviceAccountSelector && !sel(p.serviceAccountSelector, labels, 'pcsa.')) return false;
  return true;
}

/**
 * An entity rule's selector clauses as Felix builds the IP set (updateprocessors/rules.go
 * getEndpointSelector, v3.32.1): namespaceSelector over `pcns.` labels (all() = any namespace),
 * serviceAccounts over `projectcalico.org/serviceaccount` and `pcsa.`, and a namespaced policy's
 * clauses confined to its namespace once any selector field is used.
 */
function entitySelectorMatches(er: EntityRule, policyNs: string | undefined, peer: Labels): boolean {
  const usesSelector = er.selector !== undefined || er.serviceAccounts !== undefined;
  const anySelectorField = usesSelector || er.notSelector !== undefined || er.namespaceSelector !== undefined;
  if (er.namespaceSelector !== undefined) {
    if (!evaluate(namespaceSelectorNode(er.namespaceSelector), peer)) return false;
  } else if (policyNs !== undefined && anySelectorField && peer['projectcalico.org/namespace'] !== policyNs)
    return false;
  if (er.serviceAccounts) {
    const { names, selector } = er.serviceAccounts;
    if (selector && !sel(selector, peer, 'pcsa.')) return false;
    if (names?.length && !names.includes(peer['projectcalico.org/serviceaccount'] ?? '')) return false;
  }
  if (er.selector !== undefined && !sel(er.selector, peer)) return false;
  if (er.notSelector !== undefined && sel(er.notSelector, peer)) return false;
  return true;
}

interface Side {
  readonly ep: Endpoint;
  readonly labels: Labels;
  readonly port?: number;
  /** Path of this endpoint in the case, for errors. */
  readonly field: string;
}

interface Flow {
  readonly src: Side;
  readonly dst: Side;
  readonly protocol: string;
  readonly caseIndex: number;
}

const PROTO_NUMBERS: Readonly<Record<string, number>> = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ICMPV6: 58,
  SCTP: 132,
  UDPLITE: 136,
};
const protoNumber = (p: string | number) =>
  typeof p === 'number' ? p : (PROTO_NUMBERS[p.toUpperCase()] ?? -1);

function portMatches(ports: readonly RulePort[], port: number, named: Endpoint, protocol: string): boolean {
  return ports.some((p) =>
    'name' in p
      ? named.ports.some(
          (np) =>
            np.name === p.name && np.port === port && np.protocol.toUpperCase() === protocol.toUpperCase(),
        )
      : p.first <= port && port <= p.last,
  );
}

function needIp(side: Side, flow: Flow, what: string): string {
  if (side.ep.ip) return side.ep.ip;
  throw new CaseInputError(flow.caseIndex, [side.field, 'ip'], `is required: a rule matches on ${what}`);
}

function entityMatches(
  er: EntityRule,
  policyNs: string | undefined,
  side: Side,
  flow: Flow,
  negations: boolean,
): boolean {
  if (!entitySelectorMatches(er, policyNs, side.labels)) return false;
  if (er.nets?.length && !er.nets.some((n) => inCidr(needIp(side, flow, `nets ${n}`), n))) return false;
  if (
    negations &&
    er.notNets?.length &&
    er.notNets.some((n) => inCidr(needIp(side, flow, `notNets ${n}`), n))
  )
    return false;
  if (side.port !== undefined) {
    if (er.ports?.length && !portMatches(er.ports, side.port, side.ep, flow.protocol)) return false;
    if (negations && er.notPorts?.length && portMatches(er.notPorts, side.port, side.ep, flow.protocol))
      return false;
  }
  return true;
}

/** L3/L4 part of a rule; Felix and Dikastes agree on it (Dikastes reads the same IP sets). */
function l4Matches(rule: Rule, policyNs: string | undefined, flow: Flow, negations = true): boolean {
  const proto = protoNumber(flow.protocol);
  if (rule.protocol !== undefined && protoNumber(rule.protocol) !== proto) return false;
  if (rule.notProtocol !== undefined && protoNumber(rule.notProtocol) === proto) return false;
  return (
    entityMatches(rule.source, policyNs, flow.src, flow, negations) &&
    entityMatches(rule.destination, policyNs, flow.dst, flow, negations)
  );
}

/** A rule matched, a tier ran out, or the profile decided; `notes` is the trace for the explanation. */
interface Decision {
  readonly action: 'Allow' | 'Deny';
  readonly by: Omit<DecidedBy, 'enforcement'>;
  readonly notes: readonly string[];
}

type RuleMatcher = (rule: Rule, policy: Policy) => { matched: boolean; note?: string };

export function sortTiers(world: World, tiers: Iterable<string>): Tier[] {
  const known = (name: string): Tier => {
    const t = world.tiers.get(name) ?? (name === 'default' ? DEFAULT_TIER : undefined);
    if (!t) throw new Error(`tier ${name} is used by a policy but not defined: add a Tier object`);
    return t;
  };
  // felix/calc/policy_sorter.go TierLess: order (unset last), then name.
  return [...new Set(tiers)].map(known).sort((a, b) => {
    if (a.order === undefined || b.order === undefined) {
      if (a.order !== b.order) return a.order === undefined ? 1 : -1;
    } else if (a.order !== b.order) return a.order - b.order;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

/** policy_sorter.go PolKVLess (v3.32.1): order (unset = +Inf), then "name/namespace/kind". */
export function sortPolicies(policies: readonly Policy[]): Policy[] {
  const key = (p: Policy) => `${p.name}/${p.namespace ?? ''}/${p.kind}`;
  return [...policies].sort((a, b) => {
    const oa = a.order ?? Infinity;
    const ob = b.order ?? Infinity;
    if (oa !== ob) return oa - ob;
    return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  });
}

/** A world's policies for one direction, by tier in order and in order within each tier (built once per world). */
interface TierPolicies {
  /** The tier, or its name when no Tier defines it (an error once a policy of it applies). */
  readonly tier: Tier | string;
  readonly policies: readonly Policy[];
}
const ordering = new WeakMap<World, Partial<Record<Direction, readonly TierPolicies[]>>>();

function orderedPolicies(world: World, dir: Direction): readonly TierPolicies[] {
  let byDir = ordering.get(world);
  if (!byDir) ordering.set(world, (byDir = {}));
  const hit = byDir[dir];
  if (hit) return hit;
  const withDir = world.policies.filter((p) => p.types.includes(dir));
  const names = [...new Set(withDir.map((p) => p.tier))];
  const known = names.filter((n) => n === 'default' || world.tiers.has(n));
  const out: TierPolicies[] = sortTiers(world, known).map((tier) => ({
    tier,
    policies: sortPolicies(withDir.filter((p) => p.tier === tier.name)),
  }));
  for (const n of names.filter((x) => !known.includes(x)))
    out.push({ tier: n, policies: withDir.filter((p) => p.tier === n) });
  byDir[dir] = out;
  return out;
}

const policyName = (p: Policy) => (p.namespace !== undefined ? `${p.namespace}/${p.name}` : p.name);

/**
 * Tiers in order, policies in order, first matching rule decides; Log continues, Pass leaves the
 * tier; a tier whose policies match nothing ends in its default action; past the tiers the
 * namespace profile kns.<ns> allows (felix/rules/endpoints.go: end-of-tier drop unless the tier's
 * defaultAction is Pass, only tiers with policies for the direction; app-policy/checker/check.go
 * checkTiers; conversion.go NamespaceToProfile; all v3.32.1, check.go the same in v3.29.7).
 */
function runTiers(world: World, ep: Endpoint, labels: Labels, dir: Direction, match: RuleMatcher): Decision {
  const notes: string[] = [];
  let any = false;
  for (const { tier, policies } of orderedPolicies(world, dir)) {
    const inTier = policies.filter((p) => selects(p, labels));
    if (inTier.length === 0) continue;
    if (typeof tier === 'string') {
      sortTiers(world, [tier]); // throws: no Tier defines it
      continue;
    }
    any = true;
    let passed = false;
    outer: for (const p of inTier) {
      const rules = dir === 'ingress' ? p.ingress : p.egress;
      for (const [i, r] of rules.entries()) {
        const m = match(r, p);
        if (!m.matched) {
          // Only an http clause that failed after L3/L4 matched is worth telling.
          if (m.note)
            notes.push(`policy ${policyName(p)} ${dir} rule ${i} (${r.action}) does not match: ${m.note}`);
          continue;
        }
        const where = `tier ${tier.name}, policy ${policyName(p)} ${dir} rule ${i} (${r.action})${m.note ? `: ${m.note}` : ''}`;
        if (r.action === 'Log') {
          notes.push(`${where} logs and continues`);
          continue;
        }
        if (r.action === 'Pass') {
          notes.push(`${where} passes to the next tier`);
          passed = true;
          break outer;
        }
        notes.push(where);
        return {
          action: r.action,
          by: {
            kind: 'rule',
            tier: tier.name,
            policy: p.name,
            namespace: p.namespace ?? null,
            rule: i,
            action: r.action,
          },
          notes,
        };
      }
    }
    if (passed) continue;
    const names = inTier.map(policyName).join(', ');
    if (tier.defaultAction === 'Pass') {
      notes.push(`no rule of ${names} in tier ${tier.name} matched; the tier's default action passes`);
      continue;
    }
    notes.push(`no rule of ${names} in tier ${tier.name} matched; the tier's default action denies`);
    const last = inTier.at(-1)!;
    return {
      action: 'Deny',
      by: {
        kind: 'tier-default',
        tier: tier.name,
        policy: last.name,
        namespace: last.namespace ?? null,
        rule: null,
        action: 'Deny',
      },
      notes,
    };
  }
  if (!any) notes.push(`no ${dir} policy selects it`);
  notes.push(`profile kns.${ep.namespace} allows`);
  return {
    action: 'Allow',
    by: {
      kind: 'profile',
      tier: null,
      policy: `kns.${ep.namespace}`,
      namespace: null,
      rule: 0,
      action: 'Allow',
    },
    notes,
  };
}

const spiffe = (ep: Endpoint) => `spiffe://cluster.local/ns/${ep.namespace}/sa/${ep.serviceAccount}`;

/**
 * Dikastes' identity checks (app-policy/checker/match.go matchServiceAccounts / matchNamespace with
 * computeNamespaceMatch; requestcache.go peers from the SPIFFE principal, v3.32.1). With mTLS the
 * peer's principal names its namespace and service account; without, the principal is empty and
 * these checks pass, leaving the IP sets Felix built for the same clauses to decide.
 */
function identityMatches(
  er: EntityRule,
  policyNs: string | undefined,
  peer: Endpoint,
  world: World,
): boolean {
  const nsSelector = er.namespaceSelector ?? '';
  const sameNamespace =
    !nsSelector &&
    policyNs !== undefined &&
    (er.selector !== undefined ||
      er.notSelector !== undefined ||
      (er.serviceAccounts?.names?.length ?? 0) > 0 ||
      er.serviceAccounts?.selector !== undefined);
  if (sameNamespace && peer.namespace !== policyNs) return false;
  if (nsSelector && !sel(nsSelector, namespaceLabels(peer.namespace, world))) return false;
  const sa = er.serviceAccounts;
  if (sa) {
    if (sa.names?.length && !sa.names.includes(peer.serviceAccount)) return false;
    const saLabels = world.serviceAccounts.get(`${peer.namespace}/${peer.serviceAccount}`) ?? {};
    if (sa.selector && !sel(sa.selector, saLabels)) return false;
  }
  return true;
}

function verdictOf(d: Decision, enforcement: 'felix' | 'dikastes'): Verdict {
  if (d.action === 'Allow') return 'allowed';
  return enforcement === 'felix' ? 'denied-l4' : 'denied-l7';
}

/** One case: Felix (source egress, then target ingress, L3/L4), the defect, then Dikastes (L7). */
export function evaluateCase(c: Case, index: number, world: World, sem: OracleSemantics): CaseResult {
  const srcLabels = calicoLabels(c.from, world);
  const dstLabels = calicoLabels(c.to, world);
  const flow: Flow = {
    src: { ep: c.from, labels: srcLabels, field: 'from' },
    dst: { ep: c.to, labels: dstLabels, port: c.to.port, field: 'to' },
    protocol: c.request.protocol,
    caseIndex: index,
  };
  const lines: string[] = [];
  const finish = (verdict: Verdict, by: DecidedBy): CaseResult => ({
    name: c.name,
    verdict,
    expected: c.expect ?? null,
    agrees: c.expect === undefined ? null : c.expect === verdict,
    // Keys in the documented order (issue 15's JSON shape).
    decidedBy: {
      kind: by.kind,
      enforcement: by.enforcement,
      tier: by.tier,
      policy: by.policy,
      namespace: by.namespace,
      rule: by.rule,
      action: by.action,
    },
    explanation: lines.join(' '),
  });

  // Felix ignores `http`: a rule that carries one matches on its L3/L4 part alone (felix renders no HTTP match).
  const felixMatch: RuleMatcher = (r, p) => ({
    matched: l4Matches(r, p.namespace, flow),
    ...(r.http ? { note: 'http not enforced at L4' } : {}),
  });
  for (const dir of ['egress', 'ingress'] as const) {
    const ep = dir === 'egress' ? c.from : c.to;
    const d = runTiers(world, ep, dir === 'egress' ? srcLabels : dstLabels, dir, felixMatch);
    const who = dir === 'egress' ? 'source' : 'target';
    lines.push(`Felix, ${dir} of the ${who} ${ep.namespace}/${labelText(ep.labels)}: ${d.notes.join('; ')}.`);
    if (d.action === 'Deny') return finish('denied-l4', { ...d.by, enforcement: 'felix' });
  }

  if (protoNumber(c.request.protocol) !== 6) {
    lines.push(`No HTTP over ${c.request.protocol}: Dikastes does not see it.`);
    return finish('allowed', {
      kind: 'profile',
      enforcement: 'felix',
      tier: null,
      policy: null,
      namespace: null,
      rule: null,
      action: 'Allow',
    });
  }

  if (sem.denyAllDefect) {
    const d = sem.denyAllDefect;
    lines.push(`Dikastes: Calico ${sem.calico} carries ${d.id} (${d.issue}): ${d.diagnosis}.`);
    return finish('denied-l7', {
      kind: 'defect',
      enforcement: 'dikastes',
      tier: null,
      policy: null,
      namespace: null,
      rule: null,
      action: 'Deny',
    });
  }

  // The client's path reaches Dikastes after the sidecar's normalize_path (paths.ts envoyBaseNormalise).
  const seen = envoyBaseNormalise(c.request.path);
  if (seen !== c.request.path) lines.push(`Envoy normalises ${c.request.path} to ${seen} before ext_authz.`);
  const dikastesMatch: RuleMatcher = (r, p) => {
    // v3.29.7's Dikastes skips notNets and notPorts (match.go matchSource/matchDestination).
    if (!l4Matches(r, p.namespace, flow, sem.dikastesChecksNegations)) return { matched: false };
    if (world.mtls) {
      if (!identityMatches(r.source, p.namespace, c.from, world)) return { matched: false };
      if (!identityMatches(r.destination, p.namespace, c.to, world)) return { matched: false };
    }
    if (!r.http) return { matched: true };
    const h = matchHttp(r.http, c.request.method, seen, sem.httpPaths);
    return { matched: h.matched, note: h.why };
  };
  const d = runTiers(world, c.to, dstLabels, 'ingress', dikastesMatch);
  const identity = world.mtls
    ? `peer identity ${spiffe(c.from)} and IP sets`
    : 'IP sets only (no mTLS: no peer identity)';
  lines.push(`Dikastes (${identity}), ${c.request.method} ${seen}: ${d.notes.join('; ')}.`);
  return finish(verdictOf(d, 'dikastes'), { ...d.by, enforcement: 'dikastes' });
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(',') : '(no labels)';
}

export interface Summary {
  readonly cases: number;
  readonly agree: number;
  readonly disagree: number;
  readonly unchecked: number;
}

export function summarise(results: readonly { readonly agrees: boolean | null }[]): Summary {
  return {
    cases: results.length,
    agree: results.filter((r) => r.agrees === true).length,
    disagree: results.filter((r) => r.agrees === false).length,
    unchecked: results.filter((r) => r.agrees === null).length,
  };
}
