import type { CellResult } from '../result/schema.js';

/**
 * A results.json is a claim; the report checks that its verdict agrees with the evidence it carries,
 * as decideVerdict (src/run/verdict.ts) derives it: `pass` needs every check and the whole suite to
 * pass; `fail` needs a failed check or a failed suite expectation or step. A file that says otherwise
 * was edited or written by something else, and is listed as invalid instead of counted.
 */
export function contradictions(r: CellResult): string[] {
  const out: string[] = [];
  const failedChecks = r.checks.filter((c) => c.status === 'fail').map((c) => `check ${c.id}`);
  const steps = r.suite?.steps ?? [];
  const failedExpectations = steps.flatMap((s) =>
    s.expectations
      .filter((e) => e.status === 'fail' || e.status === 'unavailable')
      .map((e) => `expectation "${s.name}" › "${e.name}" (${e.status})`),
  );
  const brokenSteps = steps
    .filter((s) => s.status === 'fail' || s.status === 'unavailable' || s.status === 'error')
    .map((s) => `step "${s.name}" (${s.status})`);
  const evidence = [...failedChecks, ...failedExpectations, ...brokenSteps];
  const list = (xs: readonly string[]) =>
    `${xs.slice(0, 3).join(', ')}${xs.length > 3 ? ` and ${xs.length - 3} more` : ''}`;

  if (r.verdict === 'pass') {
    if (evidence.length > 0) out.push(`verdict: "pass" although ${list(evidence)} did not pass`);
    else if (r.suite && r.suite.status !== 'pass')
      out.push(`verdict: "pass" although the suite's status is "${r.suite.status}"`);
  }
  if (r.verdict === 'fail' && evidence.length === 0 && r.suite?.status !== 'fail')
    out.push('verdict: "fail" although no check, suite step or expectation failed');
  if (r.suite?.status === 'pass') {
    const bad = [...failedExpectations, ...brokenSteps];
    if (bad.length > 0) out.push(`suite.status: "pass" although ${list(bad)} did not pass`);
  }
  return out;
}
