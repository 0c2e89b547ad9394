import type { CellPhase } from '../phase-runner.js';
import { decideVerdict } from '../verdict.js';

/** Phase `verdict`: from the record so far; a fault (a phase that threw) is an `error`, named. */
export const verdictPhase: CellPhase = {
  name: 'verdict',
  stage: 'always',
  async run(run) {
    run.faultsInVerdict = run.faults.length;
    const skip = run.prepared.skip;
    if (skip !== undefined) {
      run.decided = { verdict: 'unsupported', reason: `Skipped by on-unsupported: skip: ${skip}.` };
      return;
    }
    if (run.stop) {
      run.decided = { verdict: run.stop.verdict, reason: run.stop.reason };
      return;
    }
    const fault = run.faults[0];
    if (fault) {
      run.decided = { verdict: 'error', reason: `Phase ${fault.phase} failed: ${fault.error}` };
      return;
    }
    const defect = run.plan.facts.knownDefect;
    run.decided = decideVerdict({
      phases: run.phases,
      optional: run.optionalSteps(),
      checks: run.checks,
      ...(run.suite ? { suite: run.suite } : {}),
      cancelled: run.signal.aborted,
      ...(defect ? { defect } : {}),
      ...(run.workloadExplanation ? { explanation: run.workloadExplanation } : {}),
    });
  },
};
