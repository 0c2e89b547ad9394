import type { Labels } from './selector.js';

/** What the oracle knows about the Calico version under test (decided in src/resolve). */
export interface OracleSemantics {
  readonly calico: string;
  /** How Dikastes compares HTTP paths: a raw string prefix, or normalised and segment-bounded. */
  readonly httpPaths: 'raw-prefix' | 'normalised';
  /** Whether Dikastes checks notNets and notPorts; older versions ignore them at L7. */
  readonly dikastesChecksNegations: boolean;
  /** A known defect that makes Dikastes deny every request (calico#11857). */
  readonly denyAllDefect?: { readonly id: string; readonly issue: string; readonly diagnosis: string };
}

export type Action = 'Allow' | 'Deny' | 'Pass' | 'Log';
export type Direction = 'ingress' | 'egress';

export interface PortRange {
  readonly first: number;
  readonly last: number;
}
/** A port as a rule writes it: a number, a range, or a name resolved against the endpoint's ports. */
export type RulePort = PortRange | { readonly name: string };

export interface EntityRule {
  readonly selector?: string;
  readonly notSelector?: string;
  readonly namespaceSelector?: string;
  readonly nets?: readonly string[];
  readonly notNets?: readonly string[];
  readonly ports?: readonly RulePort[];
  readonly notPorts?: readonly RulePort[];
  readonly serviceAccounts?: { readonly names?: readonly string[]; readonly selector?: string };
}

export interface HttpMatch {
  readonly methods?: readonly string[];
  readonly paths?: readonly ({ readonly exact: string } | { readonly prefix: string })[];
}

export interface Rule {
  readonly action: Action;
  readonly protocol?: string | number;
  readonly notProtocol?: string | number;
  readonly source: EntityRule;
  readonly destination: EntityRule;
  readonly http?: HttpMatch;
}

export type PolicyKind = 'GlobalNetworkPolicy' | 'NetworkPolicy' | 'KubernetesNetworkPolicy';

export interface Policy {
  readonly kind: PolicyKind;
  readonly name: string;
  /** Set for NetworkPolicy and Kubernetes NetworkPolicy. */
  readonly namespace?: string;
  readonly tier: string;
  /** Undefined sorts last (felix/calc/policy_sorter.go: nil order is +Inf). */
  readonly order?: number;
  readonly selector: string;
  readonly namespaceSelector?: string;
  readonly serviceAccountSelector?: string;
  readonly types: readonly Direction[];
  readonly ingress: readonly Rule[];
  readonly egress: readonly Rule[];
  /** Where it came from, for explanations and errors. */
  readonly source: string;
}

export interface Tier {
  readonly name: string;
  readonly order?: number;
  readonly defaultAction: 'Deny' | 'Pass';
}

export interface NamedPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
}

/** A workload endpoint as the case describes it (pod labels, not yet Calico's). */
export interface Endpoint {
  readonly namespace: string;
  readonly labels: Labels;
  readonly serviceAccount: string;
  readonly ip?: string;
  readonly ports: readonly NamedPort[];
}

export interface Request {
  readonly method: string;
  readonly path: string;
  readonly protocol: string;
}

export interface Case {
  readonly name: string;
  readonly to: Endpoint & { readonly port: number };
  readonly from: Endpoint;
  readonly request: Request;
  readonly expect?: Verdict;
}

export type Verdict = 'allowed' | 'denied-l4' | 'denied-l7';
export const VERDICTS: readonly Verdict[] = ['allowed', 'denied-l4', 'denied-l7'];

export interface World {
  readonly policies: readonly Policy[];
  readonly tiers: ReadonlyMap<string, Tier>;
  readonly namespaces: ReadonlyMap<string, Labels>;
  /** Labels of ServiceAccounts by `namespace/name` (Dikastes and Felix read them for selectors). */
  readonly serviceAccounts: ReadonlyMap<string, Labels>;
  readonly mtls: boolean;
}

export interface DecidedBy {
  readonly kind: 'rule' | 'tier-default' | 'profile' | 'defect';
  readonly enforcement: 'felix' | 'dikastes';
  readonly tier: string | null;
  readonly policy: string | null;
  readonly namespace: string | null;
  readonly rule: number | null;
  readonly action: 'Allow' | 'Deny' | 'Pass';
}

export interface CaseResult {
  readonly name: string;
  /** Set when the source is not the ingress gateway: who sent the request, and where to. */
  readonly via?: string;
  readonly verdict: Verdict;
  readonly expected: Verdict | null;
  readonly agrees: boolean | null;
  readonly decidedBy: DecidedBy;
  readonly explanation: string;
}
