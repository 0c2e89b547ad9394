import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SuiteOracleBinding } from '../../src/suite/contract.js';
import { oracleSemanticsFor } from '../../src/resolve/oracle-semantics.js';
import { SuiteResultSchema, type Observation } from '../../src/result/schema.js';
import { createSuiteRunner, parseSuiteText, SuiteError } from '../../src/suite/index.js';
import { virtualTime } from '../support/virtual-time.js';
import { ROOT } from '../contract/harness.js';

const tmp = await mkdtemp(join(tmpdir(), 'cic-expect-auto-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const HEAD = `apiVersion: calico-istio-conformance/v1
kind: Suite
name: auto
target: {namespace: boutique, selector: app=frontend}
steps:
  - name: homepage
    apply: [frontend-allow-homepage.yaml]
    expect:
`;

describe('expect: auto in the suite schema', () => {
  it('takes expect: auto instead of a verdict', () => {
    const { spec } = parseSuiteText(`${HEAD}      - request: {path: /}\n        expect: auto\n`, 's.yaml');
    expect(spec.steps[0]!.expect[0]).toMatchObject({ expect: 'auto' });
    expect(spec.steps[0]!.expect[0]!.verdict).toBeUndefined();
  });

  it.each([
    ['both', '        verdict: allow\n        expect: auto\n'],
    ['neither', ''],
  ])('refuses %s, naming the field and what is accepted', (_, extra) => {
    const text = `${HEAD}      - request: {path: /}\n${extra}`;
    expect(() => parseSuiteText(text, 's.yaml')).toThrow(SuiteError);
    expect(() => parseSuiteText(text, 's.yaml')).toThrow(
      /s\.yaml:\d+: steps\[0\]\.expect\[0\]\.verdict: write either verdict \(allow or deny\) or expect: auto/,
    );
  });

  it('refuses another value for expect', () => {
    expect(() =>
      parseSuiteText(`${HEAD}      - request: {path: /}\n        expect: yes\n`, 's.yaml'),
    ).toThrow(/expect: must be "auto"/);
  });
});

const V3321 = (() => {
  const s = oracleSemanticsFor('v3.32.1');
  if (!s.ok) throw new Error(s.why);
  return s.sem;
})();

const TARGET = {
  namespace: 'boutique',
  labels: { app: 'frontend' },
  serviceAccount: 'frontend',
  port: 8080,
  ports: [],
};

/** A suite on disk, a prober that answers from a table, a clock that moves only when the runner sleeps. */
async function run(
  expectations: string,
  answers: Record<string, Observation['verdict']>,
  binding: SuiteOracleBinding | null = { semantics: V3321, readTarget: async () => TARGET },
  extraPolicy?: string,
  tests?: string[],
) {
  const dir = await mkdtemp(join(tmp, 's-'));
  await copyFile(
    join(ROOT, 'e2e-manifests/suites/boutique/frontend-allow-homepage.yaml'),
    join(dir, 'frontend-allow-homepage.yaml'),
  );
  if (extraPolicy) await writeFile(join(dir, 'frontend-allow-homepage.yaml'), extraPolicy);
  await writeFile(join(dir, 'suite.yaml'), HEAD + expectations);
  const clock = virtualTime();
  const applied: string[] = [];
  const runner = createSuiteRunner({
    clock,
    sleep: clock.sleep,
    timing: { consecutive: 1, intervalMs: 100, holdMs: 100, timeoutMs: 1000 },
    createProber: () => ({
      probe: async (req) => {
        const verdict = answers[`${req.method} ${req.path}`] ?? 'unavailable';
        const status = {
          allowed: 200,
          'denied-l7': 403,
          'denied-l4': 503,
          'denied-mesh': 401,
          unavailable: undefined,
        }[verdict];
        return { verdict, ...(status ? { status } : { reason: 'no route' }), latencyMs: 1 };
      },
      close: async () => undefined,
    }),
  });
  const lines: string[] = [];
  const result = await runner({
    suiteFile: join(dir, 'suite.yaml'),
    ingressUrl: 'http://127.0.0.1:9',
    dikastesReady: { ready: true, evidence: 'test' },
    policies: { apply: async (f) => void applied.push(f), delete: async () => undefined },
    ...(binding ? { oracle: binding } : {}),
    ...(tests ? { tests } : {}),
    signal: new AbortController().signal,
    log: (l) => lines.push(l),
  });
  expect(SuiteResultSchema.parse(result)).toEqual(result);
  return { result, lines };
}

const AUTO = `      - request: {path: /}
        expect: auto
      - request: {path: /cart}
        expect: auto
      - request: {path: /static/x}
        verdict: allow
`;

describe('the suite runner with expect: auto', () => {
  it('expects what the oracle computes and records its verdict beside the observation', async () => {
    const { result } = await run(AUTO, {
      'GET /': 'allowed',
      'GET /cart': 'denied-l7',
      'GET /static/x': 'allowed',
    });
    expect(result.status).toBe('pass');
    const [home, cart, written] = result.steps[0]!.expectations;
    expect([home!.expected, home!.layer, home!.oracle?.verdict, home!.oracle?.agrees]).toEqual([
      'allow',
      undefined,
      'allowed',
      true,
    ]);
    expect([cart!.expected, cart!.layer, cart!.oracle?.verdict]).toEqual(['deny', 'l7', 'denied-l7']);
    expect(cart!.oracle?.decidedBy).toMatchObject({ kind: 'tier-default', enforcement: 'dikastes' });
    expect(cart!.oracle?.explanation).toMatch(/^dikastes: end of tier default, Deny/);
    // A written verdict stays the suite's; the oracle is not asked.
    expect(written!.oracle).toBeUndefined();
  });

  it('a disagreement fails the expectation: "Calico disagrees with the oracle" with both explanations', async () => {
    const { result, lines } = await run(AUTO, {
      'GET /': 'allowed',
      'GET /cart': 'allowed',
      'GET /static/x': 'allowed',
    });
    expect(result.status).toBe('fail');
    const cart = result.steps[0]!.expectations[1]!;
    expect(cart.status).toBe('fail');
    expect(cart.oracle?.agrees).toBe(false);
    expect(cart.message).toMatch(
      /^Calico disagrees with the oracle: observed allowed \(HTTP 200\); Envoy: .*; the oracle says denied-l7: dikastes: end of tier default, Deny .*normalised path \/cart matches none of exact \/, prefix \/static, prefix \/product/,
    );
    expect(result.finding).toMatchObject({ kind: 'step-failed' });
    expect(result.diagnosis).toContain('Calico disagrees with the oracle');
    expect(lines.some((l) => l.startsWith('    Calico disagrees with the oracle'))).toBe(true);
  });

  it('with --test, the selected expectations are probed against the oracle; the others are not tested', async () => {
    const { result } = await run(
      AUTO,
      { 'GET /': 'allowed', 'GET /cart': 'allowed' },
      { semantics: V3321, readTarget: async () => TARGET },
      undefined,
      ['homepage/GET /$'],
    );
    expect(result.status).toBe('pass');
    const [home, cart] = result.steps[0]!.expectations;
    expect([home!.status, home!.oracle?.agrees]).toEqual(['pass', true]);
    expect([cart!.status, cart!.oracle?.agrees ?? null]).toEqual(['skipped', null]);
  });

  it('no verdict observed is not a disagreement: agrees is null', async () => {
    const { result } = await run(AUTO, { 'GET /': 'allowed', 'GET /static/x': 'allowed' });
    const cart = result.steps[0]!.expectations[1]!;
    expect(cart.status).toBe('unavailable');
    expect(cart.oracle?.agrees).toBeNull();
    expect(cart.message).not.toContain('disagrees');
  });

  it('without the oracle binding, or with policies the oracle cannot read, the step is an error that says why', async () => {
    const none = await run(AUTO, {}, null);
    expect(none.result.steps[0]).toMatchObject({ status: 'error' });
    expect(none.result.steps[0]!.message).toMatch(/expect: auto needs the policy oracle/);
    const badTier = await run(
      AUTO,
      {},
      { semantics: V3321, readTarget: async () => TARGET },
      'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec: {tier: nowhere, selector: all()}\n',
    );
    expect(badTier.result.steps[0]!.status).toBe('error');
    expect(badTier.result.steps[0]!.message).toMatch(
      /the oracle cannot read the policies: .*names tier nowhere/,
    );
  });

  it('the oracle reads the policies with the target the run gives it (another service account, other labels)', async () => {
    const policy = `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: by-sa, namespace: boutique}
spec:
  selector: all()
  ingress:
    - action: Allow
      destination: {serviceAccounts: {names: [web]}}
`;
    const binding: SuiteOracleBinding = {
      semantics: V3321,
      readTarget: async () => ({ ...TARGET, serviceAccount: 'web' }),
    };
    const { result } = await run(
      '      - request: {path: /cart}\n        expect: auto\n',
      { 'GET /cart': 'allowed' },
      binding,
      policy,
    );
    expect(result.steps[0]!.expectations[0]!.oracle).toMatchObject({ verdict: 'allowed', agrees: true });
  });
});
