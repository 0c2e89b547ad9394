import type { Action, Direction, EntityRule, HttpMatch, Policy, Rule, RulePort, Tier } from './model.js';
import { parseSelector, SelectorError, type Labels } from './selector.js';

/** One thing wrong with an object: the field inside the document, and what. */
export interface ObjectProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export type Parsed =
  | { readonly type: 'policy'; readonly policy: Policy }
  | { readonly type: 'tier'; readonly tier: Tier }
  | { readonly type: 'namespace'; readonly name: string; readonly labels: Labels }
  | {
      readonly type: 'serviceAccount';
      readonly namespace: string;
      readonly name: string;
      readonly labels: Labels;
    }
  | { readonly type: 'ignored'; readonly why: string };

const CALICO = 'projectcalico.org/v3';
const KINDS: Readonly<Record<string, string>> = {
  GlobalNetworkPolicy: CALICO,
  NetworkPolicy: CALICO,
  Tier: CALICO,
  StagedGlobalNetworkPolicy: CALICO,
  StagedNetworkPolicy: CALICO,
  StagedKubernetesNetworkPolicy: CALICO,
  Namespace: 'v1',
  ServiceAccount: 'v1',
};
const KNP_API = 'networking.k8s.io/v1';
export const ACCEPTED_KINDS = `${CALICO} GlobalNetworkPolicy, NetworkPolicy, Tier (Staged* kinds are ignored); ${KNP_API} NetworkPolicy; v1 Namespace, ServiceAccount`;

type Path = readonly (string | number)[];
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

class Checker {
  readonly problems: ObjectProblem[] = [];
  fail(path: Path, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }
  /** Refuses fields outside `accepted`; `unmodelled` fields get their own message. */
  keys(o: Obj, path: Path, accepted: readonly string[], unmodelled: readonly string[] = []): void {
    for (const k of Object.keys(o)) {
      if (accepted.includes(k)) continue;
      if (unmodelled.includes(k))
        this.fail([...path, k], 'is not modelled by the oracle; remove it or test this policy on a cluster');
      else this.fail([...path, k], `unknown field; accepted: ${accepted.join(', ')}`);
    }
  }
  obj(v: unknown, path: Path): Obj | undefined {
    if (v === undefined || v === null) return undefined;
    return isObj(v) ? v : this.fail(path, `must be a mapping, got ${typeName(v)}`);
  }
  list(v: unknown, path: Path): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) return this.fail(path, `must be a list, got ${typeName(v)}`) ?? [];
    return v;
  }
  str(v: unknown, path: Path): string | undefined {
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string' ? v : this.fail(path, `must be a string, got ${typeName(v)}`);
  }
  strList(v: unknown, path: Path): string[] {
    return this.list(v, path).flatMap((s, i) => this.str(s, [...path, i]) ?? []);
  }
  selector(v: unknown, path: Path): string | undefined {
    const s = this.str(v, path);
    if (s === undefined) return undefined;
    try {
      parseSelector(s);
      return s;
    } catch (e) {
      if (e instanceof SelectorError)
        return this.fail(path, `${e.message} (Calico selector syntax: docs "Selectors")`);
      throw e;
    }
  }
  labels(v: unknown, path: Path): Labels {
    const o = this.obj(v, path) ?? {};
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(o)) {
      const s = this.str(val, [...path, k]);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isObj(v)) return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

const ACTIONS: readonly Action[] = ['Allow', 'Deny', 'Pass', 'Log'];
const PROTOCOLS = ['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite'];

function port(c: Checker, v: unknown, path: Path): RulePort | undefined {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v <= 65535) return { first: v, last: v };
    return c.fail(path, `must be a port 0-65535, got ${v}`);
  }
  if (typeof v !== 'string')
    return c.fail(path, `must be a port number, range "80:90" or name, got ${typeName(v)}`);
  const range = /^(\d+)(?::(\d+))?$/.exec(v);
  if (range) {
    const first = Number(range[1]);
    const last = Number(range[2] ?? range[1]);
    if (first <= last && last <= 65535) return { first, last };
    return c.fail(path, `${JSON.stringify(v)} is not a port range first:last within 0-65535`);
  }
  // Named ports: an IANA service name (numorstring.PortFromString).
  if (/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(v)) return { name: v };
  return c.fail(path, `${JSON.stringify(v)} is not a port number, range "80:90" or port name`);
}

function protocol(c: Checker, v: unknown, path: Path): string | number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 255) return v;
  if (typeof v === 'string' && PROTOCOLS.some((p) => p.toLowerCase() === v.toLowerCase()))
    return v.toUpperCase();
  return c.fail(path, `must be one of ${PROTOCOLS.join(', ')} or a number 1-255, got ${typeName(v)}`);
}

function entity(c: Checker, v: unknown, path: Path): EntityRule {
  const o = c.obj(v, path);
  if (!o) return {};
  const fields = ['selector', 'notSelector', 'namespaceSelector', 'nets', 'notNets', 'serviceAccounts'];
  // A client's source port is ephemeral: no case can say which one it is.
  const isSource = path.at(-1) === 'source';
  c.keys(
    o,
    path,
    isSource ? fields : [...fields, 'ports', 'notPorts'],
    isSource ? ['services', 'ports', 'notPorts'] : ['services'],
  );
  const ports = (k: string) =>
    c.list(o[k], [...path, k]).flatMap((p, i) => port(c, p, [...path, k, i]) ?? []);
  const nets = (k: string) =>
    c
      .strList(o[k], [...path, k])
      .filter((n, i) =>
        cidr(n)
          ? true
          : (c.fail([...path, k, i], `${JSON.stringify(n)} is not an IPv4 CIDR or address`), false),
      );
  const sa = c.obj(o.serviceAccounts, [...path, 'serviceAccounts']);
  if (sa) c.keys(sa, [...path, 'serviceAccounts'], ['names', 'selector']);
  const out: {
    -readonly [K in keyof EntityRule]: EntityRule[K];
  } = {};
  for (const k of ['selector', 'notSelector', 'namespaceSelector'] as const) {
    const s = c.selector(o[k], [...path, k]);
    if (s !== undefined) out[k] = s;
  }
  if (o.nets !== undefined) out.nets = nets('nets');
  if (o.notNets !== undefined) out.notNets = nets('notNets');
  if (o.ports !== undefined) out.ports = ports('ports');
  if (o.notPorts !== undefined) out.notPorts = ports('notPorts');
  if (sa) {
    const names = c.strList(sa.names, [...path, 'serviceAccounts', 'names']);
    const selector = c.selector(sa.selector, [...path, 'serviceAccounts', 'selector']);
    out.serviceAccounts = {
      ...(names.length ? { names } : {}),
      ...(selector !== undefined ? { selector } : {}),
    };
  }
  return out;
}

/** validator.go validateHTTPPaths (v3.32.1): absolute, no `?`, space or `#`; exactly one of exact/prefix. */
function http(c: Checker, v: unknown, path: Path): HttpMatch | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  c.keys(o, path, ['methods', 'paths']);
  const methods = c.strList(o.methods, [...path, 'methods']);
  if (new Set(methods).size !== methods.length)
    c.fail([...path, 'methods'], `has duplicates (${methods.join(', ')})`);
  const paths: { exact: string }[] | { prefix: string }[] = [];
  for (const [i, p] of c.list(o.paths, [...path, 'paths']).entries()) {
    const at = [...path, 'paths', i];
    const po = c.obj(p, at);
    if (!po) continue;
    c.keys(po, at, ['exact', 'prefix']);
    const exact = c.str(po.exact, [...at, 'exact']);
    const prefix = c.str(po.prefix, [...at, 'prefix']);
    if ((exact ?? '') !== '' && (prefix ?? '') !== '') {
      c.fail(at, "sets both 'exact' and 'prefix'; set one");
      continue;
    }
    const value = exact || prefix;
    const field = exact ? 'exact' : 'prefix';
    if (!value) {
      c.fail(at, "needs 'exact' or 'prefix'");
      continue;
    }
    if (!value.startsWith('/') || /[? #]/.test(value)) {
      c.fail(
        [...at, field],
        `${JSON.stringify(value)} must start with "/" and hold no "?", "#" or space (Calico refuses it)`,
      );
      continue;
    }
    (paths as object[]).push(exact ? { exact: value } : { prefix: value });
  }
  return { ...(o.methods !== undefined ? { methods } : {}), ...(o.paths !== undefined ? { paths } : {}) };
}

function rule(c: Checker, v: unknown, path: Path, dir: Direction): Rule | undefined {
  const o = c.obj(v, path);
  if (!o) return c.fail(path, 'must be a mapping (a rule)');
  c.keys(o, path, [
    'action',
    'protocol',
    'notProtocol',
    'ipVersion',
    'source',
    'destination',
    'http',
    'metadata',
    'icmp',
    'notICMP',
  ]);
  const action = o.action;
  if (!ACTIONS.includes(action as Action))
    return c.fail([...path, 'action'], `must be one of ${ACTIONS.join(', ')}, got ${typeName(action)}`);
  const proto = protocol(c, o.protocol, [...path, 'protocol']);
  const notProtocol = protocol(c, o.notProtocol, [...path, 'notProtocol']);
  const h = http(c, o.http, [...path, 'http']);
  // validator.go: HTTP only on Allow rules, never in egress rules, and only with protocol TCP.
  if (h && action !== 'Allow')
    c.fail([...path, 'http'], `is only valid on Allow rules, not ${String(action)}`);
  if (h && dir === 'egress') c.fail([...path, 'http'], 'is not allowed in egress rules');
  if (h && proto !== undefined && proto !== 'TCP' && proto !== 6)
    c.fail([...path, 'protocol'], 'rules with http must have protocol TCP or none');
  if (o.ipVersion !== undefined && o.ipVersion !== 4 && o.ipVersion !== 6)
    c.fail([...path, 'ipVersion'], `must be 4 or 6, got ${typeName(o.ipVersion)}`);
  // The oracle's flows are IPv4 (kind's pod subnet): an IPv6-only rule never matches them.
  const neverMatches = o.ipVersion === 6;
  return {
    action: action as Action,
    ...(proto !== undefined ? { protocol: neverMatches ? -1 : proto } : neverMatches ? { protocol: -1 } : {}),
    ...(notProtocol !== undefined ? { notProtocol } : {}),
    source: entity(c, o.source, [...path, 'source']),
    destination: entity(c, o.destination, [...path, 'destination']),
    ...(h ? { http: h } : {}),
  };
}

function order(c: Checker, v: unknown, path: Path): number | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'number' && Number.isFinite(v)
    ? v
    : c.fail(path, `must be a number, got ${typeName(v)}`);
}

function calicoPolicy(
  c: Checker,
  kind: 'GlobalNetworkPolicy' | 'NetworkPolicy',
  meta: Obj,
  spec: Obj,
  source: string,
): Policy | undefined {
  const accepted = [
    'order',
    'tier',
    'selector',
    'serviceAccountSelector',
    'types',
    'ingress',
    'egress',
    'performanceHints',
  ];
  if (kind === 'GlobalNetworkPolicy') accepted.push('namespaceSelector');
  const flags = ['doNotTrack', 'preDNAT', 'applyOnForward'].filter((f) => spec[f] !== true);
  c.keys(spec, ['spec'], [...accepted, ...flags], ['doNotTrack', 'preDNAT', 'applyOnForward']);
  const ingress = c
    .list(spec.ingress, ['spec', 'ingress'])
    .flatMap((r, i) => rule(c, r, ['spec', 'ingress', i], 'ingress') ?? []);
  const egress = c
    .list(spec.egress, ['spec', 'egress'])
    .flatMap((r, i) => rule(c, r, ['spec', 'egress', i], 'egress') ?? []);
  const types = c
    .list(spec.types, ['spec', 'types'])
    .flatMap((t, i) =>
      t === 'Ingress'
        ? ['ingress' as const]
        : t === 'Egress'
          ? ['egress' as const]
          : (c.fail(['spec', 'types', i], `must be Ingress or Egress, got ${typeName(t)}`), []),
    );
  const name = c.str(meta.name, ['metadata', 'name']) ?? c.fail(['metadata', 'name'], 'is required');
  const selector = c.selector(spec.selector, ['spec', 'selector']) ?? 'all()';
  const namespaceSelector = c.selector(spec.namespaceSelector, ['spec', 'namespaceSelector']);
  const serviceAccountSelector = c.selector(spec.serviceAccountSelector, ['spec', 'serviceAccountSelector']);
  if (!name) return undefined;
  return {
    kind,
    name,
    ...(kind === 'NetworkPolicy'
      ? { namespace: c.str(meta.namespace, ['metadata', 'namespace']) ?? 'default' }
      : {}),
    tier: c.str(spec.tier, ['spec', 'tier']) || 'default',
    ...(order(c, spec.order, ['spec', 'order']) !== undefined ? { order: spec.order as number } : {}),
    selector,
    ...(namespaceSelector ? { namespaceSelector } : {}),
    ...(serviceAccountSelector ? { serviceAccountSelector } : {}),
    types: types.length ? [...new Set(types)] : defaultTypes(ingress, egress),
    ingress,
    egress,
    source,
  };
}

/**
 * Types when unset: Ingress, plus Egress when there are egress rules; Egress alone when there are
 * only egress rules (api/pkg/apis/projectcalico/v3 NetworkPolicySpec.Types doc, v3.32.1).
 */
function defaultTypes(ingress: readonly Rule[], egress: readonly Rule[]): Direction[] {
  if (egress.length === 0) return ['ingress'];
  return ingress.length === 0 ? ['egress'] : ['ingress', 'egress'];
}

// ---- Kubernetes NetworkPolicy, converted as libcalico-go/lib/backend/k8s/conversion/conversion.go (v3.32.1) does.

function k8sSelector(c: Checker, v: unknown, path: Path, pod: boolean): string | undefined {
  // k8sSelectorToCalico: pod selectors gain the orchestrator check; an empty namespace selector is all().
  const parts = pod ? ["projectcalico.org/orchestrator == 'k8s'"] : [];
  const o = c.obj(v, path);
  if (!o) return parts.join(' && ');
  c.keys(o, path, ['matchLabels', 'matchExpressions']);
  const ml = c.labels(o.matchLabels, [...path, 'matchLabels']);
  const exprs = c.list(o.matchExpressions, [...path, 'matchExpressions']);
  if (!pod && Object.keys(ml).length === 0 && exprs.length === 0) return 'all()';
  for (const k of Object.keys(ml).sort()) parts.push(`${k} == '${ml[k]}'`);
  for (const [i, e] of exprs.entries()) {
    const at = [...path, 'matchExpressions', i];
    const eo = c.obj(e, at);
    if (!eo) continue;
    c.keys(eo, at, ['key', 'operator', 'values']);
    const key = c.str(eo.key, [...at, 'key']) ?? '';
    const values = c.strList(eo.values, [...at, 'values']).join("', '");
    switch (eo.operator) {
      case 'In':
        parts.push(`${key} in { '${values}' }`);
        break;
      case 'NotIn':
        parts.push(`${key} not in { '${values}' }`);
        break;
      case 'Exists':
        parts.push(`has(${key})`);
        break;
      case 'DoesNotExist':
        parts.push(`! has(${key})`);
        break;
      default:
        c.fail(
          [...at, 'operator'],
          `must be In, NotIn, Exists or DoesNotExist, got ${typeName(eo.operator)}`,
        );
    }
  }
  const sel = parts.join(' && ');
  return c.selector(sel, path);
}

function knpRules(c: Checker, v: unknown, path: Path, dir: Direction): Rule[] {
  const peerKey = dir === 'ingress' ? 'from' : 'to';
  return c.list(v, path).flatMap((r, i) => {
    const at = [...path, i];
    const o = c.obj(r, at) ?? {};
    c.keys(o, at, [peerKey, 'ports']);
    // k8sRuleToCalico: one rule per protocol (sorted) x peer; ports without protocol are TCP.
    const byProto = new Map<string, RulePort[] | undefined>();
    let anyProto = false;
    const ports = c.list(o.ports, [...at, 'ports']);
    if (ports.length === 0) anyProto = true;
    for (const [j, p] of ports.entries()) {
      const pat = [...at, 'ports', j];
      const po = c.obj(p, pat) ?? {};
      c.keys(po, pat, ['protocol', 'port', 'endPort']);
      const proto = (c.str(po.protocol, [...pat, 'protocol']) ?? 'TCP').toUpperCase();
      let rp: RulePort | undefined;
      if (po.port !== undefined) {
        rp = port(c, po.port, [...pat, 'port']);
        if (rp && po.endPort !== undefined && 'first' in rp) {
          if (typeof po.endPort !== 'number') c.fail([...pat, 'endPort'], 'must be a number');
          else rp = { first: rp.first, last: po.endPort };
        }
      }
      if (!byProto.has(proto) || byProto.get(proto) !== undefined) {
        if (rp === undefined) byProto.set(proto, undefined);
        else byProto.set(proto, [...(byProto.get(proto) ?? []), rp]);
      }
    }
    const peers = c.list(o[peerKey], [...at, peerKey]);
    const entities: EntityRule[] = peers.length
      ? peers.map((p, j) => knpPeer(c, p, [...at, peerKey, j]))
      : [{}];
    const protos: [string | undefined, RulePort[] | undefined][] = anyProto
      ? [[undefined, undefined]]
      : [...byProto.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return protos.flatMap(([proto, ps]) =>
      entities.map((e): Rule => {
        const portPart = ps ? { ports: ps } : {};
        return {
          action: 'Allow',
          ...(proto ? { protocol: proto } : {}),
          source: dir === 'ingress' ? e : {},
          destination: dir === 'ingress' ? portPart : { ...e, ...portPart },
        };
      }),
    );
  });
}

function knpPeer(c: Checker, v: unknown, path: Path): EntityRule {
  const o = c.obj(v, path) ?? {};
  c.keys(o, path, ['podSelector', 'namespaceSelector', 'ipBlock']);
  const block = c.obj(o.ipBlock, [...path, 'ipBlock']);
  if (block) {
    c.keys(block, [...path, 'ipBlock'], ['cidr', 'except']);
    const net = c.str(block.cidr, [...path, 'ipBlock', 'cidr']) ?? '';
    if (!cidr(net)) c.fail([...path, 'ipBlock', 'cidr'], `${JSON.stringify(net)} is not an IPv4 CIDR`);
    const except = c.strList(block.except, [...path, 'ipBlock', 'except']);
    return { nets: [net], ...(except.length ? { notNets: except } : {}) };
  }
  const selector = k8sSelector(c, o.podSelector, [...path, 'podSelector'], true);
  // A missing namespaceSelector converts to "" (the policy's own namespace), an empty one to all().
  const nsSelector =
    o.namespaceSelector === undefined
      ? ''
      : k8sSelector(c, o.namespaceSelector, [...path, 'namespaceSelector'], false);
  return { ...(selector ? { selector } : {}), ...(nsSelector ? { namespaceSelector: nsSelector } : {}) };
}

function k8sPolicy(c: Checker, meta: Obj, spec: Obj, source: string): Policy | undefined {
  c.keys(spec, ['spec'], ['podSelector', 'policyTypes', 'ingress', 'egress']);
  const ingress = knpRules(c, spec.ingress, ['spec', 'ingress'], 'ingress');
  const egress = knpRules(c, spec.egress, ['spec', 'egress'], 'egress');
  const declared = c.strList(spec.policyTypes, ['spec', 'policyTypes']);
  for (const [i, t] of declared.entries())
    if (t !== 'Ingress' && t !== 'Egress')
      c.fail(['spec', 'policyTypes', i], `must be Ingress or Egress, got ${JSON.stringify(t)}`);
  // K8sNetworkPolicyToCalico: declared types, or Ingress alone when none is declared.
  const types: Direction[] = [
    ...(declared.includes('Ingress') ? ['ingress' as const] : []),
    ...(declared.includes('Egress') ? ['egress' as const] : []),
  ];
  const name = c.str(meta.name, ['metadata', 'name']) ?? c.fail(['metadata', 'name'], 'is required');
  const selector = k8sSelector(c, spec.podSelector, ['spec', 'podSelector'], true);
  if (!name) return undefined;
  return {
    kind: 'KubernetesNetworkPolicy',
    name,
    namespace: c.str(meta.namespace, ['metadata', 'namespace']) ?? 'default',
    tier: 'default',
    order: 1000,
    selector: selector ?? "projectcalico.org/orchestrator == 'k8s'",
    types: types.length ? types : ['ingress'],
    ingress,
    egress,
    source,
  };
}

/** IPv4 address or CIDR → [network, bits], or undefined. */
export function cidr(text: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const ip = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return [ip - (ip % size), bits];
}

/** Whether an IPv4 address lies in a CIDR (both already valid). */
export function inCidr(address: string, net: string): boolean {
  const [ip] = cidr(address) ?? [NaN];
  const [base, bits] = cidr(net) ?? [NaN, 0];
  return ip! - (ip! % 2 ** (32 - bits)) === base;
}

/** Reads one object; problems carry paths inside it. */
/** Whether a document is a kind the oracle reads (any other kind in a suite's manifests is skipped). */
export function isOracleKind(doc: unknown): boolean {
  if (!isObj(doc) || typeof doc.kind !== 'string') return false;
  if (doc.kind === 'NetworkPolicy' && doc.apiVersion === KNP_API) return true;
  return KINDS[doc.kind] !== undefined && KINDS[doc.kind] === doc.apiVersion;
}

export function parseObject(
  doc: unknown,
  source: string,
): { parsed?: Parsed; problems: readonly ObjectProblem[] } {
  const c = new Checker();
  if (!isObj(doc))
    return {
      problems: [{ path: [], message: `must be a Kubernetes object (a mapping), got ${typeName(doc)}` }],
    };
  const kind = doc.kind;
  const api = doc.apiVersion;
  if (typeof kind !== 'string')
    return { problems: [{ path: ['kind'], message: `is required; accepted: ${ACCEPTED_KINDS}` }] };
  const isKnp = kind === 'NetworkPolicy' && api === KNP_API;
  if (!isKnp && KINDS[kind] === undefined)
    return {
      problems: [
        { path: ['kind'], message: `unknown kind ${JSON.stringify(kind)}; accepted: ${ACCEPTED_KINDS}` },
      ],
    };
  if (!isKnp && api !== KINDS[kind])
    return {
      problems: [
        {
          path: ['apiVersion'],
          message: `must be ${KINDS[kind]}${kind === 'NetworkPolicy' ? ` or ${KNP_API}` : ''} for kind ${kind}, got ${typeName(api)}`,
        },
      ],
    };
  if (kind.startsWith('Staged'))
    return { parsed: { type: 'ignored', why: `${kind} is not enforced` }, problems: [] };
  const meta = c.obj(doc.metadata, ['metadata']) ?? {};
  const spec = c.obj(doc.spec, ['spec']) ?? {};
  let parsed: Parsed | undefined;
  if (isKnp) {
    const policy = k8sPolicy(c, meta, spec, source);
    if (policy) parsed = { type: 'policy', policy };
  } else if (kind === 'GlobalNetworkPolicy' || kind === 'NetworkPolicy') {
    const policy = calicoPolicy(c, kind, meta, spec, source);
    if (policy) parsed = { type: 'policy', policy };
  } else if (kind === 'Tier') {
    c.keys(spec, ['spec'], ['order', 'defaultAction']);
    const name = c.str(meta.name, ['metadata', 'name']) ?? c.fail(['metadata', 'name'], 'is required');
    const da = spec.defaultAction ?? 'Deny';
    if (da !== 'Deny' && da !== 'Pass')
      c.fail(['spec', 'defaultAction'], `must be Deny or Pass, got ${typeName(da)}`);
    const o = order(c, spec.order, ['spec', 'order']);
    if (name)
      parsed = {
        type: 'tier',
        tier: {
          name,
          ...(o !== undefined ? { order: o } : {}),
          defaultAction: da === 'Pass' ? 'Pass' : 'Deny',
        },
      };
  } else {
    const name = c.str(meta.name, ['metadata', 'name']) ?? c.fail(['metadata', 'name'], 'is required');
    const labels = c.labels(meta.labels, ['metadata', 'labels']);
    if (name && kind === 'Namespace') parsed = { type: 'namespace', name, labels };
    if (name && kind === 'ServiceAccount')
      parsed = {
        type: 'serviceAccount',
        name,
        namespace: c.str(meta.namespace, ['metadata', 'namespace']) ?? 'default',
        labels,
      };
  }
  return c.problems.length ? { problems: c.problems } : { ...(parsed ? { parsed } : {}), problems: [] };
}
