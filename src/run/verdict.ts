import type { KnownDefect } from '../plan/types.js';
import type { CellResult, CheckResult, PhaseResult, SuiteResult } from '../result/schema.js';
import { firstLine } from '../kube/objects.js';

type Verdict = CellResult['verdict'];

export interface VerdictInput {
  readonly phases: readonly PhaseResult[];
  /** Plan step ids that are speed-ups: their failure is a warning. */
  readonly optional: ReadonlySet<string>;
  readonly checks: readonly CheckResult[];
  readonly suite?: SuiteResult;
  readonly cancelled: boolean;
  readonly defect?: KnownDefect;
  /** Why the workload is not Available (Deployments, waiting containers, their log lines), if known. */
  readonly explanation?: string;
}

/** The suite's finding names this defect: it saw the defect's symptom. */
export function symptomObserved(defect: KnownDefect, suite: SuiteResult | undefined): boolean {
  return suite?.finding?.kind === 'defect-symptom' && suite.finding.defectId === defect.id;
}

/** The note a passing cell in a defect's range carries, in its reason and results. */
export function defectNotObserved(d: KnownDefect): string {
  return `Known defect ${d.id} (${d.from}–${d.to}) was NOT observed: this cell is in its range yet every expectation held (${d.issue}).`;
}

/** Whether the action or CLI should fail for this verdict. */
export function failsTheRun(verdict: CellResult['verdict'], failOnKnownDefect: boolean): boolean {
  return verdict === 'fail' || verdict === 'error' || (verdict === 'known-defect' && failOnKnownDefect);
}

/**
 * pass: every setup step, check and the suite passed; error: a setup phase failed, the run was cancelled
 * or the suite could not run; fail: a check or the suite failed. Reason: one line to act on.
 */
export function decideVerdict(v: VerdictInput): { verdict: Verdict; reason: string } {
  const blocking = v.phases.find((p) => p.status !== 'passed' && !v.optional.has(p.id));
  if (v.cancelled) {
    // every step that was running (steps overlap), in plan order
    const running = v.phases.filter((p) => p.status === 'cancelled' && p.attempts > 0);
    const at = running.length ? running.map((p) => p.id).join(', ') : blocking?.id;
    return {
      verdict: 'error',
      reason: `Cancelled${at ? ` during ${at}` : ''}; cleanup still ran per keep-cluster.`,
    };
  }
  if (blocking) {
    const why = blocking.error ? `: ${firstLine(blocking.error, 240)}` : '';
    const failedChecks = v.checks.filter((c) => c.status === 'fail').length;
    const also = failedChecks ? ` (${failedChecks} check(s) failed too; see checks and diagnostics)` : '';
    const cause = v.explanation ? `. ${v.explanation}` : '';
    return { verdict: 'error', reason: `Setup step ${blocking.id} ${blocking.status}${why}${also}${cause}` };
  }
  if (v.suite?.status === 'error') {
    return {
      verdict: 'error',
      reason: `Suite ${v.suite.name} could not run: ${firstLine(v.suite.diagnosis ?? stepMessage(v.suite) ?? 'see the suite steps')}`,
    };
  }
  const failed = v.checks.filter((c) => c.status === 'fail');
  if (v.defect && symptomObserved(v.defect, v.suite)) {
    // Expected, and counted apart from fail: a real regression must not drown in red known cells.
    return {
      verdict: 'known-defect',
      reason: `Known defect ${v.defect.id} (${v.defect.title}), ${v.defect.issue}: ${v.suite?.diagnosis ?? ''}; fixed by ${v.defect.fix}.`,
    };
  }
  if (v.suite?.status === 'fail') {
    const checks = failed.length ? `; ${failed.length} check(s) failed, first ${failed[0]!.id}` : '';
    return {
      verdict: 'fail',
      reason: `Suite ${v.suite.name} failed: ${firstLine(v.suite.diagnosis ?? stepMessage(v.suite) ?? 'see the suite steps', 240)}${checks}`,
    };
  }
  if (failed.length) {
    const first = failed[0]!;
    return {
      verdict: 'fail',
      reason: `${failed.length} check(s) failed; first ${first.id}: ${firstLine(first.evidence, 240)}`,
    };
  }
  const passed = v.checks.filter((c) => c.status === 'pass').length;
  const sel = v.suite?.selection;
  const scope = sel
    ? `${sel.selectedExpectations} of ${sel.totalExpectations} expectations, selected by --test ${sel.filters.join(',')}`
    : `${v.suite?.steps.length} steps`;
  const suite = v.suite ? ` and suite ${v.suite.name} passed (${scope})` : '';
  const unseen = v.defect ? ` ${defectNotObserved(v.defect)}` : '';
  return { verdict: 'pass', reason: `Every setup step and ${passed} checks passed${suite}.${unseen}` };
}

function stepMessage(s: SuiteResult): string | undefined {
  const step = s.steps.find((x) => x.status !== 'pass' && x.status !== 'skipped');
  if (!step) return undefined;
  const exp = step.expectations.find((e) => e.status !== 'pass' && e.status !== 'skipped');
  return `step "${step.name}" ${step.status}${step.message ? `: ${step.message}` : exp?.message ? `: ${exp.message}` : ''}`;
}
