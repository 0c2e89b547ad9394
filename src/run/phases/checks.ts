import type { CheckResult } from '../../result/schema.js';
import { collectChecks } from '../../verify/collect-checks.js';
import { explainWorkload } from '../../verify/explain-workload.js';
import { CHECK_IDS, CHECK_TITLES, skipped } from '../../verify/checks.js';
import type { CellRun } from '../cell-run.js';
import type { CellPhase } from '../phase-runner.js';

const allSkipped = (why: string): CheckResult[] => CHECK_IDS.map((id) => skipped(id, CHECK_TITLES[id], why));

/** Every setup step passed (optional ones may have failed). */
export function setupOk(run: CellRun): boolean {
  const optional = run.optionalSteps();
  return run.phases.every((p) => p.status === 'passed' || optional.has(p.id));
}

/** Phase `checks`: whenever there is a cluster to look at, even after a failed step (they say what is wrong). */
export const checksPhase: CellPhase = {
  name: 'checks',
  stage: 'main',
  async run(run) {
    if (run.signal.aborted) return void (run.checks = allSkipped('the run was cancelled'));
    if (!run.kubectl) return void (run.checks = allSkipped('kubectl is not available'));
    if (!run.clusterUp) return void (run.checks = allSkipped('the kind cluster was not created'));
    const { deps, bounds, plan } = run;
    const kubectl = run.kubectl;
    const report = await run.log.group('Verification checks', () =>
      collectChecks(
        { kubectl, httpGet: deps.httpGet, sleep: deps.sleep, now: deps.now, signal: run.signal },
        {
          target: run.prepared.target,
          facts: plan.facts.checks,
          ingressUrl: plan.facts.ingressUrl,
          ingressWaitMs: setupOk(run) ? bounds.ingressWaitMs : 0,
          ingressAttemptMs: bounds.ingressAttemptMs,
        },
      ),
    );
    run.checkReport = report;
    run.checks = report.checks;
    // A workload step failed: name the Deployments, the waiting containers and why.
    if (run.phases.some((p) => p.phase === 'workload' && p.status !== 'passed')) {
      run.workloadExplanation = await explainWorkload(
        kubectl,
        run.prepared.target.namespace,
        plan.facts.checks,
        run.signal,
      );
      if (run.workloadExplanation) run.log.warn(`Workload: ${run.workloadExplanation}`);
    }
    for (const c of report.checks) {
      const line = `${c.status.toUpperCase()} ${c.id}: ${c.evidence}`;
      if (c.status === 'fail') run.log.warn(line);
      else run.log.info(line);
    }
  },
};
