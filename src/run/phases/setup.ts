import { executePlan } from '../../exec/executor.js';
import { Kubectl } from '../../kube/kubectl.js';
import type { PhaseResult } from '../../result/schema.js';
import type { CellPhase } from '../phase-runner.js';

/** Phase `setup`: the plan's steps as a DAG; then the record of every tool and step. */
export const setupPhase: CellPhase = {
  name: 'setup',
  stage: 'main',
  async run(run) {
    const execute = run.deps.executePlan ?? executePlan;
    const { planDir, env } = run.prepared;
    let steps: PhaseResult[];
    try {
      steps = await execute(
        run.plan.steps,
        { planDir, env, tools: run.toolPaths, signal: run.signal, drainSeconds: run.bounds.drainSeconds },
        run.executorDeps(),
      );
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      steps = [
        {
          id: 'plan',
          title: 'Run the plan',
          phase: 'plan',
          status: 'failed',
          durationMs: 0,
          attempts: 0,
          error,
        },
      ];
    }
    await run.tools?.settle();
    run.phases = [...(run.tools?.phases() ?? []), ...steps];
    run.clusterUp = run.plan.facts.clusterName
      ? steps.find((p) => p.id === 'cluster-create')?.status === 'passed'
      : true;
    const kubectl = await run.toolPaths.kubectl?.catch(() => undefined);
    if (kubectl) {
      run.kubectl = new Kubectl({
        runner: run.deps.runner,
        path: kubectl,
        env,
        timeoutMs: run.bounds.kubectlMs,
        requestTimeout: true,
      });
    }
  },
};
