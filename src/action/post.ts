import * as core from '@actions/core';
import { execaRunner, type ProcessRunner } from '../exec/process.js';
import { deleteKindCluster, keepCluster } from '../run/cleanup.js';
import { readSavedCluster } from './state.js';

/**
 * Post step: runs at job end, also after main failed or was cancelled. Deletes the kind cluster main
 * created when main's own cleanup did not, per keep-cluster. A failure is a warning, never a failed job.
 */
export async function post(runner: ProcessRunner = execaRunner()): Promise<void> {
  const saved = readSavedCluster();
  if (!saved || !saved.created) {
    core.info('Nothing to clean up: main created no cluster.');
    return;
  }
  if (saved.cleanup === 'deleted' || saved.cleanup === 'kept') {
    core.info(`Cluster ${saved.name}: ${saved.cleanup} by the main step.`);
    return;
  }
  if (keepCluster(saved.keep, saved.verdict)) {
    core.info(
      `keep-cluster ${saved.keep} (verdict ${saved.verdict ?? 'unknown: main did not finish'}): keeping kind cluster ${saved.name}.`,
    );
    return;
  }
  if (!saved.kind) {
    core.warning(`Cannot delete kind cluster ${saved.name}: main saved no kind binary path.`);
    return;
  }
  core.info(
    `Deleting kind cluster ${saved.name} (main ${saved.cleanup ? `cleanup ${saved.cleanup}` : 'did not finish'}).`,
  );
  try {
    const failure = await deleteKindCluster(
      runner,
      saved.kind,
      saved.name,
      saved.kubeconfig ? { KUBECONFIG: saved.kubeconfig } : {},
    );
    if (failure) core.warning(`Cleanup failed: ${failure}`);
    else core.info(`kind cluster ${saved.name} deleted.`);
  } catch (e) {
    core.warning(`Cleanup failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
