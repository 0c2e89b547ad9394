import type { CellResult, ExpectationResult, SuiteStepResult } from '../result/schema.js';

/** Derived facts every renderer needs, computed one way. */

export interface StepExpectation {
  readonly step: SuiteStepResult;
  readonly expectation: ExpectationResult;
}

export function expectationsOf(result: CellResult): StepExpectation[] {
  return (result.suite?.steps ?? []).flatMap((step) =>
    step.expectations.map((expectation) => ({ step, expectation })),
  );
}

/** Propagation latencies (policy applied → first of the agreeing probes), in ms, in suite order. */
export function propagationsOf(result: CellResult): number[] {
  return expectationsOf(result)
    .map((e) => e.expectation.propagationMs)
    .filter((v): v is number => v !== undefined);
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx];
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m} min ${s} s`;
}

const PROBE_WORDS: Readonly<Record<string, string>> = {
  allowed: 'allowed',
  'denied-l7': 'denied at L7 (403 from Envoy ext_authz)',
  'denied-l4': 'denied at L4 (Felix dropped the connection: a connect timeout at the gateway)',
  'denied-mesh': "denied by Istio's own policy (JWT, AuthorizationPolicy or rate limit), not Calico",
  unavailable: 'unavailable',
};

/**
 * Where a request started and went, for a source inside the mesh: `from boutique/sa:frontend
 * {app=catalog-client} to productcatalogservice.boutique:3550`; empty through the ingress gateway.
 */
export function describeRoute(e: ExpectationResult): string {
  if (!e.from || !e.to) return '';
  const labels = Object.entries(e.from.labels)
    .filter(
      ([k]) =>
        !/(^|\/)(pod-template-hash|tlsMode)$/.test(k) &&
        !k.startsWith('service.istio.io/') &&
        !k.startsWith('calico-istio-conformance/'),
    )
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const who = e.from.kind === 'workload' ? `pod ${e.from.pod ?? e.from.selector ?? ''}, ` : '';
  return `from ${e.from.namespace}/${who}sa:${e.from.serviceAccount}${labels ? ` {${labels}}` : ''} to ${e.to.service}.${e.to.namespace}:${e.to.port}`;
}

/** "GET /cart" expected allow, observed denied at L7 (HTTP 403) after 5 probes: message */
export function describeExpectation(step: SuiteStepResult, e: ExpectationResult): string {
  const route = describeRoute(e);
  const req = `${e.request.method} ${e.request.path}${route ? ` ${route}` : ''}`;
  const obs = e.observed
    ? `${PROBE_WORDS[e.observed.verdict] ?? e.observed.verdict}${e.observed.status !== undefined ? ` (HTTP ${e.observed.status})` : ''}${e.observed.reason ? `, ${e.observed.reason}` : ''}`
    : 'nothing (no probe answered)';
  const head = `step "${step.name}": ${req} expected ${e.expected}${e.layer ? ` at ${e.layer.toUpperCase()}` : ''}, observed ${obs} after ${e.probes} probe${e.probes === 1 ? '' : 's'}`;
  return e.message ? `${head}: ${e.message}` : head;
}

/** Phases that stopped the run. */
export function failedPhases(result: CellResult) {
  return result.phases.filter((p) => p.status === 'failed' || p.status === 'timed-out');
}

/** What a reader should do next, from what the result says. */
export function nextStep(result: CellResult): string {
  if (result.knownDefect?.symptomObserved) {
    return `known upstream defect ${result.knownDefect.id}: ${result.knownDefect.title} (${result.knownDefect.issue}); use a Calico release outside the affected range`;
  }
  const where = result.diagnostics
    ? `diagnostics in ${result.diagnostics.artifact ?? result.diagnostics.archive ?? result.diagnostics.dir}`
    : 'rerun with keep-cluster: on-failure to inspect the cluster';
  return where;
}

/** One row of a step's truth table: what was expected (by whom), what was observed, whether they agree. */
export interface TruthRow {
  readonly name: string;
  /** Method and path, then the route when the request came from a source inside the mesh. */
  readonly request: string;
  readonly expected: string;
  /** `oracle` for `expect: auto`, `suite` for a written verdict. */
  readonly by: 'oracle' | 'suite';
  readonly observed: string;
  readonly result: 'agree' | 'disagree' | 'no verdict';
  /** Which rule the oracle says decided, for `expect: auto`. */
  readonly decidedBy?: string;
}

export interface TruthStep {
  readonly step: string;
  readonly rows: readonly TruthRow[];
  readonly agree: number;
  readonly disagree: number;
  readonly noVerdict: number;
  /** Rows whose expectation the oracle computed. */
  readonly oracle: number;
}

const expectedText = (e: ExpectationResult) =>
  e.oracle?.verdict ?? (e.expected === 'allow' ? 'allowed' : e.layer ? `denied-${e.layer}` : 'denied');

/** The oracle's decidedBy in a few words: "dikastes: default/p rule 0 Allow", "felix: end of tier default". */
export function decidedByWords(d: NonNullable<ExpectationResult['oracle']>['decidedBy']): string {
  if (d.kind === 'defect') return `${d.enforcement}: known defect`;
  if (d.kind === 'profile') return `${d.enforcement}: profile ${d.policy ?? ''}`.trimEnd();
  const policy = d.namespace ? `${d.namespace}/${d.policy}` : d.policy;
  if (d.kind === 'tier-default')
    return `${d.enforcement}: end of tier ${d.tier} (${d.action}) after ${policy}`;
  return `${d.enforcement}: ${d.tier}/${policy} rule ${d.rule} ${d.action}`;
}

/** The suite as Cyclonus shows a run: per step, expected against observed, agree or disagree. */
export function truthTableOf(result: CellResult): TruthStep[] {
  return (result.suite?.steps ?? [])
    .filter((s) => s.expectations.some((e) => e.status !== 'skipped'))
    .map((s) => {
      // Expectations `--test` left out were not tested: they are not in the table.
      const rows: TruthRow[] = s.expectations
        .filter((e) => e.status !== 'skipped')
        .map((e) => ({
          name: e.name,
          // The route rides with the request, so every table that names a request names its source.
          request: [`${e.request.method} ${e.request.path}`, describeRoute(e)].filter(Boolean).join(' '),
          expected: expectedText(e),
          by: e.oracle ? 'oracle' : 'suite',
          observed: e.observed?.verdict ?? 'nothing',
          result: e.status === 'pass' ? 'agree' : e.status === 'fail' ? 'disagree' : 'no verdict',
          ...(e.oracle ? { decidedBy: decidedByWords(e.oracle.decidedBy) } : {}),
        }));
      const count = (r: TruthRow['result']) => rows.filter((x) => x.result === r).length;
      return {
        step: s.name,
        rows,
        agree: count('agree'),
        disagree: count('disagree'),
        noVerdict: count('no verdict'),
        oracle: rows.filter((r) => r.by === 'oracle').length,
      };
    });
}

/** "3 agree, 1 disagree (2 by the oracle)": one step's line. */
export function truthLine(t: Pick<TruthStep, 'agree' | 'disagree' | 'noVerdict' | 'oracle'>): string {
  const parts = [`${t.agree} agree`, `${t.disagree} disagree`];
  if (t.noVerdict) parts.push(`${t.noVerdict} no verdict`);
  return `${parts.join(', ')}${t.oracle ? ` (${t.oracle} expected by the oracle)` : ''}`;
}
