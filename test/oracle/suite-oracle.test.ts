import { describe, expect, it } from 'vitest';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { actionNaming } from '../../src/config/inputs.js';
import { buildPlan } from '../../src/plan/build.js';
import { resolveCell } from '../../src/resolve/cell.js';
import { oracleSemanticsFor } from '../../src/resolve/oracle-semantics.js';
import { offlineTarget } from '../../src/suite/check.js';
import { parseSuiteText, type LoadedSuite } from '../../src/suite/load.js';
import {
  agreesWith,
  expectationOf,
  judgeQueries,
  worldFromManifests,
  type TargetIdentity,
} from '../../src/oracle/suite-oracle.js';
import { V3321 } from './helpers.js';

describe('the plan carries the oracle semantics of its Calico version (facts.policyOracle)', () => {
  it.each(['v3.29.7', 'v3.31.5', 'v3.31.6', 'v3.32.1'])(
    '%s: the same facts `evaluate --calico` applies',
    (v) => {
      const cell = resolveCell(
        parseCellConfig(
          { 'calico-version': v, 'kubernetes-version': v === 'v3.29.7' ? '1.32' : '1.34' },
          actionNaming,
        ),
      );
      const found = oracleSemanticsFor(v);
      if (!found.ok) throw new Error(found.why);
      expect(buildPlan(cell).plan.facts.policyOracle).toEqual(found.sem);
    },
  );
});

const POLICY = {
  apiVersion: 'projectcalico.org/v3',
  kind: 'NetworkPolicy',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { selector: "app == 'web'", ingress: [{ action: 'Allow', http: { paths: [{ prefix: '/ok' }] } }] },
};
const DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c' }] } } },
};
const TARGET: TargetIdentity = {
  namespace: 'shop',
  labels: { app: 'web' },
  serviceAccount: 'default',
  port: 8080,
  ports: [],
};

describe('the oracle seen from a suite', () => {
  it('reads policies from manifests and skips every other kind; a bad policy is a named problem', () => {
    const { world, problems } = worldFromManifests([
      { doc: DEPLOYMENT, source: 'app.yaml' },
      { doc: POLICY, source: 'policy.yaml' },
      { doc: { ...POLICY, spec: { selector: 'app ==' } }, source: 'bad.yaml' },
    ]);
    expect(world.policies.map((p) => p.name)).toEqual(['web']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^bad\.yaml: spec\.selector: /);
  });

  it('judges queries with the default source, or a source of their own (issue 16’s from)', () => {
    const { world } = worldFromManifests([{ doc: POLICY, source: 'p.yaml' }]);
    const other = { namespace: 'shop', labels: { app: 'client' }, serviceAccount: 'client' };
    const [a, b] = judgeQueries(
      world,
      TARGET,
      [
        { name: 'ok', method: 'GET', path: '/ok/x' },
        { name: 'no', method: 'GET', path: '/okay', from: other },
      ],
      V3321,
    );
    expect(a).toMatchObject({ ok: true, result: { verdict: 'allowed' } });
    expect(b).toMatchObject({ ok: true, result: { verdict: 'denied-l7' } });
    expect(b!.ok && b!.result.explanation).toContain('spiffe://cluster.local/ns/shop/sa/client');
  });

  it.each([
    ['allowed', { verdict: 'allow' }],
    ['denied-l4', { verdict: 'deny', layer: 'l4' }],
    ['denied-l7', { verdict: 'deny', layer: 'l7' }],
  ] as const)('%s is written %o, and agrees with itself and with a deny of either layer', (v, e) => {
    expect(expectationOf(v)).toEqual(e);
    expect(agreesWith(e, v)).toBe(true);
    if (v !== 'allowed') expect(agreesWith({ verdict: 'deny' }, v)).toBe(true);
    expect(agreesWith({ verdict: 'allow' }, v)).toBe(v === 'allowed');
  });
});

describe('the offline target of suite check', () => {
  const suite = (target: string): LoadedSuite => ({
    file: '/x/suite.yaml',
    manifests: new Map(),
    spec: parseSuiteText(
      `apiVersion: calico-istio-conformance/v1\nkind: Suite\nname: s\ntarget: ${target}\nsteps:\n  - name: a\n    expect:\n      - request: {path: /}\n        expect: auto\n`,
      's.yaml',
    ).spec,
  });
  const known = [{ labels: { app: 'frontend' }, serviceAccount: 'frontend', port: 8080, source: 'catalog' }];

  it('a workload in the suite manifests first, in the target namespace or none', () => {
    const docs = new Map([['app.yaml', [{ doc: DEPLOYMENT, source: 'app.yaml' }]]]);
    expect(offlineTarget(suite('{namespace: shop, selector: app=web}'), docs, known)).toMatchObject({
      labels: { app: 'web' },
      from: 'app.yaml',
    });
    const elsewhere = new Map([
      [
        'app.yaml',
        [{ doc: { ...DEPLOYMENT, metadata: { name: 'web', namespace: 'other' } }, source: 'app.yaml' }],
      ],
    ]);
    expect(offlineTarget(suite('{namespace: shop, selector: app=web}'), elsewhere, known).from).toBe(
      'target.selector app=web',
    );
  });

  it('then the pinned workload the selector matches, then the selector itself', () => {
    expect(
      offlineTarget(suite('{namespace: boutique, selector: app=frontend}'), new Map(), known),
    ).toMatchObject({
      serviceAccount: 'frontend',
      from: 'catalog',
    });
    expect(offlineTarget(suite('{namespace: shop, selector: "app=web,tier!=db"}'), new Map(), known)).toEqual(
      {
        namespace: 'shop',
        labels: { app: 'web' },
        serviceAccount: 'default',
        port: 8080,
        ports: [],
        from: 'target.selector app=web,tier!=db',
      },
    );
  });
});
