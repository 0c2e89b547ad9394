import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { executePlan } from '../exec/executor.js';
import { undiciFetcher } from '../exec/fetch.js';
import { actionsLog } from '../exec/log.js';
import { execaRunner, type ProcessRunner } from '../exec/process.js';
import type { Plan } from '../plan/types.js';
import { keepCluster, runCleanupSteps } from '../run/cleanup.js';
import { sleepFor } from '../util/sleep.js';
import { readSavedCluster } from './state.js';

/**
 * Post step: runs at job end, also after main failed or was cancelled. Runs the saved plan's cleanup
 * steps (the same ones main runs) when main's own cleanup did not, per keep-cluster. A failure is a
 * warning, never a failed job.
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
    const plan = JSON.parse(await readFile(join(saved.planDir, 'plan.json'), 'utf8')) as Plan;
    const env = Object.fromEntries(Object.entries(plan.env).map(([k, v]) => [k, resolve(saved.planDir, v)]));
    const failure = await runCleanupSteps(plan, {
      planDir: saved.planDir,
      env,
      tools: { kind: saved.kind },
      execute: executePlan,
      deps: { runner, fetcher: undiciFetcher(), log: actionsLog(), now: Date.now, sleep: sleepFor },
      signal: new AbortController().signal,
    });
    if (failure) core.warning(`Cleanup failed: ${failure}`);
    else core.info(`kind cluster ${saved.name} deleted.`);
  } catch (e) {
    core.warning(`Cleanup failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
