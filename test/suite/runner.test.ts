import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicyApplier, SuiteRunRequest } from '../../src/suite/contract.js';
import { defectFor } from '../../src/catalog/index.js';
import { SuiteResultSchema, type SuiteResult } from '../../src/result/schema.js';
import {
  createSuiteRunner,
  defaultSuiteFile,
  DENY_ALL_BASELINE,
  kubectlPolicyApplier,
  runSuite,
  type SuiteRunnerDeps,
  type Timing,
} from '../../src/suite/index.js';
import { virtualTime, type VirtualTime } from '../support/virtual-time.js';
import { startSimulatedGateway, type SimulatedGatewayOptions } from './fixtures/calico-gateway.js';

const FAKE_KUBECTL = resolve(import.meta.dirname, 'fixtures/fake-kubectl.mjs');
const USER_SUITE = resolve(import.meta.dirname, 'fixtures/user-suite/suite.yaml');
const FAST: Partial<Timing> = {
  intervalMs: 40,
  timeoutMs: 2000,
  holdMs: 120,
  consecutive: 2,
  probeTimeoutMs: 1500,
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Harness {
  readonly dir: string;
  readonly url: string;
  readonly policies: PolicyApplier;
  readonly gatewayLog: string[];
  ops(): string[];
  live(): string[];
  request(over?: Partial<SuiteRunRequest>): SuiteRunRequest;
  lines: string[];
  /** Shared by the runner and the gateway: propagation, timeouts and cancellation are load-independent. */
  readonly clock: VirtualTime;
  runner(deps?: SuiteRunnerDeps): ReturnType<typeof createSuiteRunner>;
}

async function harness(
  gw: Partial<SimulatedGatewayOptions> = {},
  env: Record<string, string> = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'cic-suite-'));
  const stateFile = join(dir, 'kubectl-state.json');
  const clock = virtualTime();
  const gateway = await startSimulatedGateway({ stateFile, now: clock.now, ...gw });
  cleanups.push(
    () => rm(dir, { recursive: true, force: true }),
    () => gateway.close(),
  );
  const policies = kubectlPolicyApplier(FAKE_KUBECTL, { FAKE_KUBECTL_STATE: stateFile, ...env });
  const suiteFile = await gatewaySteps(dir);
  const state = () =>
    existsSync(stateFile)
      ? (JSON.parse(readFileSync(stateFile, 'utf8')) as {
          ops: { verb: string; file: string }[];
          live: Record<string, unknown>;
        })
      : { ops: [], live: {} };
  const lines: string[] = [];
  return {
    dir,
    url: gateway.url,
    policies,
    gatewayLog: gateway.log,
    lines,
    clock,
    runner: (deps = {}) => createSuiteRunner({ clock, sleep: clock.sleep, ...deps }),
    ops: () => state().ops.map((o) => `${o.verb} ${basename(o.file)}`),
    live: () => Object.keys(state().live),
    request: (over = {}) => ({
      suiteFile,
      ingressUrl: gateway.url,
      dikastesReady: { ready: true, evidence: 'dikastes container Ready in 1/1 frontend pods' },
      policies,
      signal: new AbortController().signal,
      log: (l) => lines.push(l),
      ...over,
    }),
  };
}

/**
 * The built-in suite's steps through the ingress gateway (the same files, cut before its
 * service-to-service steps): this simulated gateway has no mesh inside. Those steps run against the
 * fake cluster in test/contract/sources.test.ts and test/run/robustness.test.ts.
 */
async function gatewaySteps(dir: string): Promise<string> {
  const dest = join(dir, 'builtin');
  await cp(dirname(defaultSuiteFile()), dest, { recursive: true });
  const file = join(dest, 'suite.yaml');
  const text = readFileSync(file, 'utf8');
  const cut = text.indexOf('\n  # Service to service');
  expect(cut).toBeGreaterThan(0);
  await writeFile(file, text.slice(0, cut + 1));
  return file;
}

function valid(r: SuiteResult): SuiteResult {
  expect(SuiteResultSchema.parse(r)).toEqual(r);
  return r;
}

const fast = (h: Harness) => h.runner({ timing: FAST, cleanupTimeoutMs: 10_000 });

describe("the default Online Boutique suite's gateway steps, end to end against a simulated gateway", () => {
  it('passes deny-then-allow on a working Calico, then deletes its policies newest first', async () => {
    const h = await harness({ propagationMs: 250 });
    const r = valid(await fast(h)(h.request()));
    expect(r.status).toBe('pass');
    expect(r.diagnosis).toBeUndefined();
    expect(r.steps.map((s) => [s.name, s.status])).toEqual([
      ['baseline', 'pass'],
      ['deny-all', 'pass'],
      ['allow-homepage', 'pass'],
    ]);
    const [baseline, deny, allow] = r.steps;
    expect(baseline?.applied).toEqual([]);
    // frontend-deny has no rules: Felix drops the connection, the gateway reports a connect failure.
    expect(deny?.applied).toEqual(['frontend-deny.yaml']);
    expect(deny?.expectations[0]?.observed?.verdict).toBe('denied-l4');
    // Measured from kubectl's exit on the shared clock: the first denying probe after 250 ms, never zero.
    expect(deny?.expectations[0]?.propagationMs).toBeGreaterThan(0);
    expect(deny?.expectations[0]?.propagationMs).toBeLessThan(250 + 200);
    expect(allow?.expectations.map((e) => [e.request.method, e.request.path, e.observed?.verdict])).toEqual([
      ['GET', '/', 'allowed'],
      ['GET', '/static/favicon.ico', 'allowed'],
      ['GET', '/product/OLJCESPC7Z', 'allowed'],
      ['GET', '/cart', 'denied-l7'],
      ['POST', '/cart', 'denied-l7'],
    ]);
    for (const e of allow?.expectations ?? []) expect(e.propagationMs).toBeTypeOf('number');
    expect(h.ops()).toEqual([
      'apply frontend-deny.yaml',
      'apply frontend-allow-homepage.yaml',
      'delete frontend-allow-homepage.yaml',
      'delete frontend-deny.yaml',
    ]);
    expect(h.live()).toEqual([]);
    expect(r.cleanup).toEqual({
      status: 'done',
      detail: 'deleted frontend-allow-homepage.yaml, frontend-deny.yaml',
    });
    expect(
      h.lines.some((l) => l.startsWith('  PASS GET /cart: expected deny at L7, saw denied-l7 (HTTP 403)')),
    ).toBe(true);
  });

  it('a Dikastes that denies everything fails the baseline and names calico-11857 on v3.31.7', async () => {
    const h = await harness({ dikastes: 'deny-all' });
    const r = valid(
      await h.runner({ timing: { ...FAST, timeoutMs: 500 } })(
        h.request({ knownDefect: { defect: defectFor('v3.31.7')!, calicoVersion: 'v3.31.7' } }),
      ),
    );
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toMatch(
      new RegExp(`^${DENY_ALL_BASELINE}: known defect calico-11857 in Calico v3.31.7`),
    );
    expect(r.diagnosis).toContain('https://github.com/projectcalico/calico/issues/11857');
    expect(r.finding).toMatchObject({ kind: 'defect-symptom', defectId: 'calico-11857' });
    expect(r.steps.map((s) => s.status)).toEqual(['fail', 'skipped', 'skipped']);
    expect(r.steps[0]?.expectations[0]).toMatchObject({
      status: 'fail',
      observed: { verdict: 'denied-l7', status: 403 },
    });
    expect(r.steps[1]?.message).toMatch(/not run: step "baseline" ended fail/);
    expect(h.ops()).toEqual([]);
    expect(r.cleanup).toEqual({ status: 'nothing' });
  });

  it('the same deny-all on a version without the defect says so without naming one', async () => {
    const h = await harness({ dikastes: 'deny-all' });
    const r = valid(await h.runner({ timing: { ...FAST, timeoutMs: 400 } })(h.request()));
    expect(r.diagnosis).toBe(DENY_ALL_BASELINE);
  });

  it('untrusted 403s are unavailable, with the readiness evidence, never a pass', async () => {
    const h = await harness();
    const r = valid(
      await h.runner({ timing: { ...FAST, timeoutMs: 800 } })(
        h.request({
          dikastesReady: { ready: false, evidence: 'dikastes container not Ready in frontend-7d9' },
        }),
      ),
    );
    expect(r.status).toBe('fail');
    expect(r.steps.map((s) => s.status)).toEqual(['pass', 'pass', 'unavailable']);
    const cart = r.steps[2]?.expectations.find(
      (e) => e.request.path === '/cart' && e.request.method === 'GET',
    );
    expect(cart?.status).toBe('unavailable');
    expect(cart?.observed?.verdict).toBe('unavailable');
    expect(cart?.observed?.reason).toMatch(/not confirmed Ready.*frontend-7d9/);
    expect(h.live()).toEqual([]);
  });

  it('cleans up when a step fails, and when kubectl fails mid-step', async () => {
    const h = await harness({}, { FAKE_KUBECTL_FAIL: 'frontend-allow-homepage' });
    const r = valid(await fast(h)(h.request()));
    expect(r.status).toBe('error');
    expect(r.steps.map((s) => s.status)).toEqual(['pass', 'pass', 'error']);
    expect(r.steps[2]?.message).toMatch(
      /kubectl apply -f .*frontend-allow-homepage\.yaml failed \(exit 1\): error: unable to recognize/,
    );
    expect(r.diagnosis).toMatch(/^step "allow-homepage": kubectl apply/);
    // Both are deleted (the failed one with --ignore-not-found), newest first.
    expect(h.ops()).toEqual([
      'apply frontend-deny.yaml',
      'delete frontend-allow-homepage.yaml',
      'delete frontend-deny.yaml',
    ]);
    expect(r.cleanup?.status).toBe('done');
  });

  it('reports a failed cleanup', async () => {
    const h = await harness({}, { FAKE_KUBECTL_FAIL: 'frontend-deny', FAKE_KUBECTL_FAIL_VERB: 'delete' });
    const r = valid(await fast(h)(h.request()));
    expect(r.status).toBe('pass');
    expect(r.cleanup?.status).toBe('failed');
    expect(r.cleanup?.detail).toMatch(/^frontend-deny\.yaml: kubectl delete -f .* failed/);
    expect(r.diagnosis).toMatch(/^cleanup failed: frontend-deny\.yaml/);
  });

  it('cancellation stops the run, marks the rest, and still cleans up', async () => {
    const h = await harness({ propagationMs: 60_000 });
    const ctl = new AbortController();
    let cancelledAt = 0;
    // Cancel 300 ms into the deny-all step, which cannot settle (its policy takes a minute to propagate).
    const log = (line: string) => {
      if (line === 'step deny-all')
        h.clock.at(h.clock.now() + 300, () => {
          cancelledAt = h.clock.now();
          ctl.abort(new Error('job cancelled'));
        });
    };
    const r = valid(
      await h.runner({ timing: { ...FAST, timeoutMs: 30_000 } })(h.request({ signal: ctl.signal, log })),
    );
    expect(cancelledAt).toBeGreaterThan(0);
    expect(h.clock.now() - cancelledAt).toBeLessThan(3000);
    expect(r.status).toBe('error');
    expect(r.diagnosis).toBe('cancelled: job cancelled');
    expect(r.steps.map((s) => s.status)).toEqual(['pass', 'error', 'skipped']);
    expect(r.steps[1]).toMatchObject({
      applied: ['frontend-deny.yaml'],
      message: 'cancelled: job cancelled',
    });
    expect(h.ops()).toEqual(['apply frontend-deny.yaml', 'delete frontend-deny.yaml']);
  });

  it('an unreachable gateway is unavailable, not a verdict', async () => {
    const h = await harness();
    const r = valid(
      await h.runner({ timing: { ...FAST, timeoutMs: 300 } })(
        h.request({ ingressUrl: 'http://127.0.0.1:1' }),
      ),
    );
    expect(r.status).toBe('fail');
    expect(r.steps[0]?.status).toBe('unavailable');
    expect(r.steps[0]?.expectations[0]?.observed?.reason).toMatch(/connection refused/);
    expect(r.diagnosis).toMatch(/^step "baseline", GET \/: no verdict/);
  });
});

describe('a user suite end to end', () => {
  it('runs namespaced policies with a Host header and a policy swap', async () => {
    const h = await harness({ host: 'shop.example.com' });
    const runner = h.runner({
      timing: { intervalMs: 50, holdMs: 150, timeoutMs: 3000, probeTimeoutMs: 1500 },
    });
    const r = valid(await runner(h.request({ suiteFile: USER_SUITE })));
    expect(r.name).toBe('shop-products-only');
    expect(r.status).toBe('pass');
    expect(r.steps.map((s) => [s.name, s.status, s.applied, s.deleted])).toEqual([
      ['open', 'pass', [], []],
      ['products only', 'pass', ['products-only.yaml'], []],
      ['homepage instead', 'pass', ['homepage-only.yaml'], ['products-only.yaml']],
    ]);
    expect(r.steps[0]?.expectations[0]?.name).toBe('homepage before any policy');
    expect(r.steps[1]?.expectations[2]?.request.headers).toEqual({
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(h.gatewayLog.some((l) => l.endsWith('no-route'))).toBe(false);
    expect(h.ops()).toEqual([
      'apply products-only.yaml',
      'apply homepage-only.yaml',
      'delete products-only.yaml',
      'delete homepage-only.yaml',
    ]);
    expect(r.cleanup?.status).toBe('done');
  });

  it('without the Host the gateway has no route: unavailable', async () => {
    const h = await harness({ host: 'other.example.com' });
    const r = valid(
      await h.runner({ timing: { ...FAST, timeoutMs: 300 } })(h.request({ suiteFile: USER_SUITE })),
    );
    expect(r.steps[0]?.status).toBe('unavailable');
    expect(r.steps[0]?.expectations[0]?.observed?.reason).toMatch(/no route/);
  });

  it('a suite step that fails still leaves nothing behind, and continueAfterFailure runs the rest', async () => {
    const h = await harness();
    await cp(join(import.meta.dirname, '../../e2e-manifests/suites/boutique'), h.dir, { recursive: true });
    const file = join(h.dir, 'wrong.yaml');
    await writeFile(
      file,
      [
        'apiVersion: calico-istio-conformance/v1',
        'kind: Suite',
        'name: wrong-expectation',
        'continueAfterFailure: true',
        'target: { namespace: boutique }',
        'steps:',
        '  - name: deny',
        '    apply: [frontend-deny.yaml]',
        '    expect: [{ request: { path: / }, verdict: allow }]',
        '  - name: allow',
        '    apply: [frontend-allow-homepage.yaml]',
        '    expect: [{ request: { path: /cart }, verdict: deny, layer: l7 }]',
        '',
      ].join('\n'),
    );
    const r = valid(await h.runner({ timing: { ...FAST, timeoutMs: 600 } })(h.request({ suiteFile: file })));
    expect(r.status).toBe('fail');
    expect(r.steps.map((s) => s.status)).toEqual(['fail', 'pass']);
    // Before frontend-deny propagates GET / is still allowed: either the hold check sees it flip, or it
    // never agrees at all. Both are failures; neither is a pass.
    expect(r.steps[0]?.expectations[0]?.message).toMatch(
      /^(expected allow,|flapping: held allow, then) saw denied-l4 \(HTTP 503: .*reset reason: connection timeout/,
    );
    expect(r.diagnosis).toMatch(
      /^step "deny", GET \/: (expected allow,|flapping: held allow, then) saw denied-l4/,
    );
    expect(h.live()).toEqual([]);
    expect(h.ops().slice(-2)).toEqual(['delete frontend-allow-homepage.yaml', 'delete frontend-deny.yaml']);
  });

  it('a bad suite file is an error before any side effect', async () => {
    const h = await harness();
    const file = join(h.dir, 'bad.yaml');
    await writeFile(file, 'apiVersion: calico-istio-conformance/v1\nkind: Suite\nname: x\nsteps: []\n');
    const r = valid(await runSuite(h.request({ suiteFile: file })));
    expect(r.status).toBe('error');
    expect(r.diagnosis).toMatch(/bad\.yaml:1: target: is required/);
    expect(r.diagnosis).toMatch(/bad\.yaml:4: steps: must list at least one step/);
    expect(h.ops()).toEqual([]);
  });

  it('a bad gateway URL is an error before any side effect', async () => {
    const h = await harness();
    const r = valid(await runSuite(h.request({ ingressUrl: 'localhost:30080' })));
    expect(r.status).toBe('error');
    expect(r.diagnosis).toMatch(/must use http or https/);
    expect(h.ops()).toEqual([]);
  });
});

describe('--test selection in the runner', () => {
  it('an unselected earlier step still applies its manifests and waits for them; only the selected expectations count', async () => {
    const h = await harness({ propagationMs: 100 });
    const r = valid(await fast(h)(h.request({ tests: ['allow-homepage/GET /(static|product)'] })));
    expect(r.status).toBe('pass');
    expect(r.steps.map((s) => [s.name, s.status, s.skippedBy])).toEqual([
      ['baseline', 'skipped', 'selection'],
      ['deny-all', 'skipped', 'selection'],
      ['allow-homepage', 'pass', undefined],
    ]);
    // deny-all's policy is applied: allow-homepage's rules only mean something on top of it.
    expect(r.steps[1]?.applied).toEqual(['frontend-deny.yaml']);
    expect(r.steps[1]?.message).toMatch(
      /^not selected by --test .*: its manifests were applied and probed only to wait/,
    );
    // Probed as a barrier (else allow-homepage could agree with the state before deny-all and flap).
    expect(r.steps[1]?.expectations[0]).toMatchObject({ status: 'skipped', skippedBy: 'selection' });
    expect(r.steps[1]?.expectations[0]?.probes).toBeGreaterThan(0);
    // A step that changes nothing is not probed at all.
    expect(r.steps[0]?.expectations[0]).toMatchObject({ status: 'skipped', probes: 0 });
    const allow = r.steps[2]!.expectations;
    expect(allow.map((e) => [e.request.path, e.status])).toEqual([
      ['/', 'skipped'],
      ['/static/favicon.ico', 'pass'],
      ['/product/OLJCESPC7Z', 'pass'],
      ['/cart', 'skipped'],
      ['/cart', 'skipped'],
    ]);
    expect(allow[0]).toMatchObject({ skippedBy: 'selection', probes: 0 });
    expect(r.selection).toEqual({
      filters: ['allow-homepage/GET /(static|product)'],
      selectedSteps: 1,
      selectedExpectations: 2,
      totalExpectations: 7,
    });
    // The unselected requests never reached the gateway.
    expect(h.gatewayLog.some((l) => l.includes('/cart'))).toBe(false);
    expect(h.ops()).toEqual([
      'apply frontend-deny.yaml',
      'apply frontend-allow-homepage.yaml',
      'delete frontend-allow-homepage.yaml',
      'delete frontend-deny.yaml',
    ]);
  });

  it('an exclusion skips the matching step; steps after the last selected one apply nothing', async () => {
    const h = await harness();
    const r = valid(await fast(h)(h.request({ tests: ['!allow-homepage'] })));
    expect(r.status).toBe('pass');
    expect(r.steps.map((s) => s.status)).toEqual(['pass', 'pass', 'skipped']);
    expect(r.steps[2]).toMatchObject({ skippedBy: 'selection', applied: [] });
    expect(r.steps[2]?.message).toMatch(/no later step is selected, so nothing was applied/);
    expect(h.ops()).toEqual(['apply frontend-deny.yaml', 'delete frontend-deny.yaml']);
  });

  it('an unselected step whose policy never takes effect fails: later steps would run on an unknown state', async () => {
    const h = await harness();
    await cp(resolve(defaultSuiteFile(), '../frontend-deny.yaml'), join(h.dir, 'frontend-deny.yaml'));
    const suiteFile = join(h.dir, 'suite.yaml');
    await writeFile(
      suiteFile,
      [
        'apiVersion: calico-istio-conformance/v1',
        'kind: Suite',
        'name: wrong-barrier',
        'target: { namespace: boutique }',
        'steps:',
        '  - name: mistaken',
        '    apply: [frontend-deny.yaml]',
        '    expect: [{ request: { path: / }, verdict: allow }]',
        '  - name: wanted',
        '    expect: [{ request: { path: / }, verdict: deny }]',
      ].join('\n'),
    );
    const r = valid(
      await h.runner({ timing: { ...FAST, timeoutMs: 400 } })(h.request({ suiteFile, tests: ['wanted'] })),
    );
    expect(r.status).toBe('fail');
    expect(r.steps.map((s) => [s.status, s.skippedBy])).toEqual([
      ['fail', undefined],
      ['skipped', undefined],
    ]);
    expect(r.steps[0]?.message).toMatch(
      /not selected by --test wanted, but probed because later selected steps build on its policy state/,
    );
    expect(r.steps[0]?.expectations[0]?.status).toBe('fail');
  });

  it('a failure in a selected step still stops later steps, which say why rather than "not selected"', async () => {
    const h = await harness({ dikastes: 'deny-all' });
    const r = valid(
      await h.runner({ timing: { ...FAST, timeoutMs: 400 } })(h.request({ tests: ['baseline', 'allow'] })),
    );
    expect(r.status).toBe('fail');
    expect(r.steps.map((s) => [s.status, s.skippedBy])).toEqual([
      ['fail', undefined],
      ['skipped', undefined],
      ['skipped', undefined],
    ]);
  });

  it('a selection of nothing, or a bad regex, is a suite error before any side effect', async () => {
    const h = await harness();
    const none = valid(await fast(h)(h.request({ tests: ['no-such-step'] })));
    expect(none.status).toBe('error');
    expect(none.diagnosis).toMatch(/--test no-such-step selects no expectation of suite boutique/);
    const bad = valid(await fast(h)(h.request({ tests: ['('] })));
    expect(bad.diagnosis).toMatch(/^--test "\(" is not a regular expression/);
    expect(h.ops()).toEqual([]);
    expect(h.gatewayLog).toEqual([]);
  });
});
