import { executePlan } from '../../exec/executor.js';
import { Kubectl } from '../../kube/kubectl.js';
import type { PhaseResult } from '../../result/schema.js';
import type { CellRun } from '../cell-run.js';
import type { CellPhase } from '../phase-runner.js';
import { describeStuck, watchPods } from '../pod-watch.js';

function kubectlFor(run: CellRun, path: string): Kubectl {
  return new Kubectl({
    runner: run.deps.runner,
    path,
    env: run.prepared.env,
    timeoutMs: run.bounds.kubectlMs,
    requestTimeout: true,
  });
}

/**
 * Fail fast: while the steps run, a pod stuck (ImagePullBackOff, CrashLoopBackOff, Unschedulable …)
 * longer than the grace period stops them, instead of every rollout wait running to its bound.
 */
function startPodWatch(
  run: CellRun,
  stopSteps: AbortController,
  done: AbortSignal,
  whenActive: () => Promise<void>,
): Promise<void> {
  const signal = AbortSignal.any([done, run.signal]);
  const kubectl = async () => {
    const path = await run.toolPaths.kubectl?.catch(() => undefined);
    return path ? kubectlFor(run, path) : undefined;
  };
  return watchPods({
    kubectl,
    reasons: run.plan.facts.stuckReasons,
    graceMs: run.bounds.podStuckGraceMs,
    pollMs: run.bounds.podWatchPollMs,
    now: run.deps.now,
    sleep: run.deps.sleep,
    signal,
    whenActive,
  }).then((stuck) => {
    if (!stuck || done.aborted) return;
    const line = describeStuck(stuck);
    run.log.error(`Fail fast: ${line}`);
    run.stop = { verdict: 'error', reason: `The rollout cannot finish: ${line}.` };
    stopSteps.abort(new Error(`fail fast: ${line}`));
  });
}

/** Phase `setup`: the plan's steps as a DAG, cut to the run's deadline, watched for stuck pods. */
export const setupPhase: CellPhase = {
  name: 'setup',
  stage: 'main',
  async run(run) {
    const execute = run.deps.executePlan ?? executePlan;
    const { planDir, env } = run.prepared;
    const stopSteps = new AbortController();
    const stepsDone = new AbortController();
    // Pods are read only while a rollout wait runs; the watch sleeps on this between them.
    const watched = new Set<string>();
    let wake: (() => void) | undefined;
    const whenActive = () =>
      watched.size > 0 || stepsDone.signal.aborted ? Promise.resolve() : new Promise<void>((r) => (wake = r));
    stepsDone.signal.addEventListener('abort', () => wake?.(), { once: true });
    const watch = startPodWatch(run, stopSteps, stepsDone.signal, whenActive);
    let steps: PhaseResult[];
    try {
      steps = await execute(
        run.plan.steps,
        {
          planDir,
          env,
          tools: run.toolPaths,
          signal: AbortSignal.any([run.signal, stopSteps.signal]),
          drainSeconds: run.bounds.drainSeconds,
          deadlineAt: run.prepared.mainDeadlineMs,
          onFetched: (f) => run.fetched.push(f),
          onStart: (step) => {
            if (!step.watchPods) return;
            watched.add(step.id);
            wake?.();
          },
          onStep: (r) => watched.delete(r.id),
        },
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
    } finally {
      stepsDone.abort();
    }
    await watch;
    await run.tools?.settle();
    run.phases = [...(run.tools?.phases() ?? []), ...steps];
    run.clusterUp = run.plan.facts.clusterName
      ? steps.find((p) => p.id === 'cluster-create')?.status === 'passed'
      : true;
    const kubectl = await run.toolPaths.kubectl?.catch(() => undefined);
    if (kubectl) run.kubectl = kubectlFor(run, kubectl);
  },
};
