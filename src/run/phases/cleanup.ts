import { executePlan } from '../../exec/executor.js';
import { removeKubeconfig } from '../../exec/secrets.js';
import { UNCANCELLABLE } from '../cell-run.js';
import { keepCluster, runCleanupSteps } from '../cleanup.js';
import type { CellPhase } from '../phase-runner.js';

/** Phase `cleanup`: only what this run created, per keep-cluster; a failure is reported, never thrown. */
export const cleanupPhase: CellPhase = {
  name: 'cleanup',
  stage: 'always',
  async run(run) {
    const cluster = run.plan.facts.clusterName;
    const keep = run.req.config.keepCluster;
    const kubeconfig = run.prepared.env.KUBECONFIG;
    if (!cluster || !run.clusterMayExist) {
      run.cleanup = { status: 'not-created' };
    } else if (keepCluster(keep, run.decided?.verdict)) {
      const detail = `keep-cluster ${keep}: kind cluster ${cluster} kept; KUBECONFIG=${kubeconfig ?? ''}`;
      run.cleanup = { status: 'kept', detail };
      run.log.info(detail);
    } else {
      const failure = await runCleanupSteps(run.plan, {
        planDir: run.prepared.planDir,
        env: run.prepared.env,
        tools: run.toolPaths,
        execute: run.deps.executePlan ?? executePlan,
        deps: run.executorDeps(),
        signal: UNCANCELLABLE,
      });
      if (failure) {
        run.cleanup = { status: 'failed', detail: failure };
        run.log.warn(`Cleanup failed: ${failure}`);
      } else {
        run.cleanup = { status: 'deleted', detail: `kind cluster ${cluster} deleted` };
        // The kubeconfig of a deleted cluster is useless, and holds its client key.
        if (kubeconfig) await removeKubeconfig(kubeconfig);
      }
    }
    if (run.cleanup.status === 'not-created' && kubeconfig) await removeKubeconfig(kubeconfig);
    run.req.hooks?.onCleanup?.(run.cleanup.status);
  },
};
