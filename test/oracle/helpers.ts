import { load } from 'js-yaml';
import { evaluateCase } from '../../src/oracle/evaluate.js';
import { DEFAULT_FROM } from '../../src/oracle/load.js';
import type {
  Case,
  CaseResult,
  Endpoint,
  OracleSemantics,
  Policy,
  Tier,
  World,
} from '../../src/oracle/model.js';
import { parseObject } from '../../src/oracle/objects.js';
import type { Labels } from '../../src/oracle/selector.js';

export const V3321: OracleSemantics = {
  calico: 'v3.32.1',
  httpPaths: 'normalised',
  dikastesChecksNegations: true,
};

/** A world from YAML objects (one string, `---` separated), as a cases file's objects: would give it. */
export function world(
  yaml: string,
  opts: { mtls?: boolean; namespaces?: Record<string, Labels> } = {},
): World {
  const policies: Policy[] = [];
  const tiers = new Map<string, Tier>();
  const namespaces = new Map(Object.entries(opts.namespaces ?? {}));
  const serviceAccounts = new Map<string, Labels>();
  for (const text of yaml.split(/^---$/m)) {
    if (!text.trim()) continue;
    const { parsed, problems } = parseObject(load(text), 'test');
    if (problems.length) throw new Error(JSON.stringify(problems));
    if (parsed?.type === 'policy') policies.push(parsed.policy);
    if (parsed?.type === 'tier') tiers.set(parsed.tier.name, parsed.tier);
    if (parsed?.type === 'namespace') namespaces.set(parsed.name, parsed.labels);
    if (parsed?.type === 'serviceAccount')
      serviceAccounts.set(`${parsed.namespace}/${parsed.name}`, parsed.labels);
  }
  return { policies, tiers, namespaces, serviceAccounts, mtls: opts.mtls ?? true };
}

export const FRONTEND: Endpoint & { port: number } = {
  namespace: 'boutique',
  labels: { app: 'frontend' },
  serviceAccount: 'default',
  ip: '10.1.0.5',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  port: 8080,
};

export interface CaseOpts {
  to?: Partial<Endpoint & { port: number }>;
  from?: Partial<Endpoint>;
  method?: string;
  path?: string;
  protocol?: string;
}

export function run(w: World, o: CaseOpts = {}, sem: OracleSemantics = V3321): CaseResult {
  const c: Case = {
    name: 't',
    to: { ...FRONTEND, ...o.to },
    from: { ...DEFAULT_FROM, ...o.from },
    request: { method: o.method ?? 'GET', path: o.path ?? '/', protocol: o.protocol ?? 'TCP' },
  };
  return evaluateCase(c, 0, w, sem);
}

/** `verdict by policy#rule` in a few characters, for tables. */
export function brief(r: CaseResult): string {
  const d = r.decidedBy;
  const at =
    d.kind === 'rule'
      ? `${d.policy}#${d.rule}`
      : d.kind === 'profile'
        ? `profile ${d.policy}`
        : d.kind === 'tier-default'
          ? `tier ${d.tier} default`
          : 'defect';
  return `${r.verdict} ${d.enforcement} ${at}`;
}

export function gnp(name: string, spec: string): string {
  return `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: ${name}}\nspec:\n${indent(spec)}`;
}
export function np(name: string, ns: string, spec: string): string {
  return `apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${indent(spec)}`;
}
export function knp(name: string, ns: string, spec: string): string {
  return `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${indent(spec)}`;
}
const indent = (s: string) =>
  s
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
export const docs = (...parts: string[]) => parts.join('\n---\n');
