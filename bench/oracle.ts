// The policy oracle's speed: 10,000 cases against 200 policies (three tiers, Calico and Kubernetes
// policies, selectors of every operator, HTTP rules, ports, service accounts, namespace selectors),
// evaluated as `evaluate` and `suite check` do. Prints the figures; the target is under 1 s.
import { performance } from 'node:perf_hooks';
import { evaluateCases } from '../src/oracle/index.js';
import type { Case, World } from '../src/oracle/model.js';
import { parseObject } from '../src/oracle/objects.js';
import { oracleSemanticsFor } from '../src/resolve/oracle-semantics.js';
import { DEFAULT_FROM, type LoadedCases } from '../src/oracle/load.js';

const POLICIES = 200;
const CASES = 10_000;
const APPS = ['frontend', 'cart', 'checkout', 'catalog', 'ads', 'email', 'payment', 'shipping'];
const NAMESPACES = ['shop', 'pay', 'ops', 'edge'];
const PATHS = [
  '/',
  '/static/app.css',
  '/staticfoo',
  '/api/v1/items',
  '/api/v1/../admin',
  '/cart',
  '/Cart/',
  '//static/x',
  '/product/42?x=1',
  '/%73tatic/x',
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD'];

/** A deterministic pseudo-random sequence (no Math.random: the same world every run). */
function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}
const pick = <T>(r: (n: number) => number, xs: readonly T[]) => xs[r(xs.length)]!;

function objects(r: (n: number) => number): unknown[] {
  const out: unknown[] = [
    {
      apiVersion: 'projectcalico.org/v3',
      kind: 'Tier',
      metadata: { name: 'security' },
      spec: { order: 100 },
    },
    {
      apiVersion: 'projectcalico.org/v3',
      kind: 'Tier',
      metadata: { name: 'platform' },
      spec: { order: 200, defaultAction: 'Pass' },
    },
  ];
  for (let i = 0; i < POLICIES; i++) {
    const app = pick(r, APPS);
    const ns = pick(r, NAMESPACES);
    const selector = pick(r, [
      `app == '${app}'`,
      `app in {'${app}', '${pick(r, APPS)}'} && tier != 'db'`,
      `has(app) && !has(canary) && app starts with '${app.slice(0, 2)}'`,
      `app contains '${app.slice(1, 3)}' || team == 'core'`,
      'all()',
    ]);
    const m = r(METHODS.length);
    const http = {
      methods: [METHODS[m]!, METHODS[(m + 1 + r(METHODS.length - 1)) % METHODS.length]!],
      paths: [
        { prefix: pick(r, ['/static', '/api/v1', '/product']) },
        { exact: pick(r, ['/', '/cart', '/healthz']) },
      ],
    };
    const ingress = [
      ...(r(4) === 0 ? [{ action: 'Log' }] : []),
      {
        action: 'Allow',
        protocol: 'TCP',
        source: { namespaceSelector: `name == '${pick(r, NAMESPACES)}'` },
        http,
      },
      {
        action: 'Allow',
        source: { serviceAccounts: { names: ['istio-ingressgateway-service-account'] } },
        destination: { ports: [8080, '9000:9100'] },
        http: { methods: ['GET'] },
      },
      { action: pick(r, ['Deny', 'Pass']), source: { selector: `app == '${pick(r, APPS)}'` } },
    ];
    if (i % 10 === 0)
      out.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `k8s-${i}`, namespace: ns },
        spec: {
          podSelector: { matchLabels: { app } },
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { name: pick(r, NAMESPACES) } } }],
              ports: [{ port: 8080 }],
            },
          ],
        },
      });
    else
      out.push({
        apiVersion: 'projectcalico.org/v3',
        kind: i % 3 === 0 ? 'GlobalNetworkPolicy' : 'NetworkPolicy',
        metadata: { name: `p-${i}`, ...(i % 3 === 0 ? {} : { namespace: ns }) },
        spec: {
          tier: pick(r, ['default', 'security', 'platform']),
          ...(r(3) ? { order: r(1000) } : {}),
          selector,
          types: ['Ingress'],
          ingress,
        },
      });
  }
  return out;
}

const r = rng(15);
const policies = [];
const tiers = new Map();
for (const doc of objects(r)) {
  const { parsed, problems } = parseObject(doc, 'bench');
  if (problems.length) throw new Error(JSON.stringify(problems));
  if (parsed?.type === 'policy') policies.push(parsed.policy);
  if (parsed?.type === 'tier') tiers.set(parsed.tier.name, parsed.tier);
}
const world: World = {
  policies,
  tiers,
  namespaces: new Map(NAMESPACES.map((n) => [n, { name: n }])),
  serviceAccounts: new Map(),
  mtls: true,
};
const cases: Case[] = Array.from({ length: CASES }, (_, i) => ({
  name: `case ${i}`,
  to: {
    namespace: pick(r, NAMESPACES),
    labels: { app: pick(r, APPS), ...(r(2) ? { team: 'core' } : {}) },
    serviceAccount: 'default',
    ip: `10.1.${r(250)}.${r(250)}`,
    ports: [],
    port: pick(r, [8080, 9050, 443]),
  },
  from: DEFAULT_FROM,
  request: { method: pick(r, METHODS), path: pick(r, PATHS), protocol: 'TCP' },
}));
const loaded: LoadedCases = { file: 'bench', world, cases, lineOf: () => 1, ignored: [] };

for (const v of ['v3.29.7', 'v3.32.1']) {
  const found = oracleSemanticsFor(v);
  if (!found.ok) throw new Error(found.why);
  evaluateCases({ ...loaded, cases: cases.slice(0, 100) }, found.sem); // warm-up (JIT, selector cache)
  const t0 = performance.now();
  const report = evaluateCases(loaded, found.sem);
  const ms = performance.now() - t0;
  const byVerdict = Object.entries(
    report.cases.reduce<Record<string, number>>((a, c) => ((a[c.verdict] = (a[c.verdict] ?? 0) + 1), a), {}),
  )
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  console.log(
    `Calico ${v}: ${CASES} cases against ${policies.length} policies in ${ms.toFixed(0)} ms (${((ms * 1000) / CASES).toFixed(1)} µs/case; ${byVerdict}) — target < 1000 ms: ${ms < 1000 ? 'met' : 'MISSED'}`,
  );
  if (ms >= 1000) process.exitCode = 1;
}
