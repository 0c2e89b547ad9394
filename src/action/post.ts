import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { executePlan } from '../exec/executor.js';
import type { Fetcher } from '../exec/fetch.js';
import { actionsLog } from '../exec/log.js';
import { execaRunner, type ProcessRunner } from '../exec/process.js';
import { removeKubeconfig } from '../exec/secrets.js';
import { neutralise } from '../exec/untrusted.js';
import { planEnv } from '../run/plan-env.js';
import type { Plan } from '../plan/types.js';
import { keepCluster, runCleanupSteps } from '../run/cleanup.js';
import { sleepFor } from '../util/sleep.js';
import { readSavedCluster, type SavedCluster } from './state.js';

/** Cleanup steps download nothing; the HTTP client stays out of the post step's bundle. */
const NO_DOWNLOADS: Fetcher = {
  fetchToFile: () => Promise.reject(new Error('the cleanup steps download nothing')),
};

/** Saved names came from inputs: never a workflow command. */
const info = (text: string): void => core.info(neutralise(text));

/**
 * Post step: runs at job end, also after main failed or was cancelled. Runs the saved plan's cleanup
 * steps (the same ones main runs) when main's own cleanup did not, per keep-cluster. A failure is a
 * warning, never a failed job.
 */
export async function post(runner: ProcessRunner = execaRunner()): Promise<void> {
  const saved = readSavedCluster();
  try {
    await deleteCluster(runner, saved);
  } finally {
    // The job ends here: its kubeconfig (a client key) must not outlive it on the runner.
    if (saved?.kubeconfig) {
      await removeKubeconfig(saved.kubeconfig).catch((e: unknown) =>
        core.warning(`Could not remove the kubeconfig: ${e instanceof Error ? e.message : String(e)}`),
      );
    }
  }
}

async function deleteCluster(runner: ProcessRunner, saved: SavedCluster | undefined): Promise<void> {
  if (!saved || !saved.created) {
    info('Nothing to clean up: main created no cluster.');
    return;
  }
  if (saved.cleanup === 'deleted' || saved.cleanup === 'kept') {
    info(`Cluster ${saved.name}: ${saved.cleanup} by the main step.`);
    return;
  }
  if (keepCluster(saved.keep, saved.verdict)) {
    info(
      `keep-cluster ${saved.keep} (verdict ${saved.verdict ?? 'unknown: main did not finish'}): keeping kind cluster ${saved.name}.`,
    );
    return;
  }
  if (!saved.kind) {
    core.warning(`Cannot delete kind cluster ${saved.name}: main saved no kind binary path.`);
    return;
  }
  info(
    `Deleting kind cluster ${saved.name} (main ${saved.cleanup ? `cleanup ${saved.cleanup}` : 'did not finish'}).`,
  );
  try {
    const plan = JSON.parse(await readFile(join(saved.planDir, 'plan.json'), 'utf8')) as Plan;
    const env = planEnv(plan, saved.planDir);
    // main kept the kubeconfig outside results-dir; the plan's own path is the runbook's.
    if (saved.kubeconfig) env.KUBECONFIG = saved.kubeconfig;
    const failure = await runCleanupSteps(plan, {
      planDir: saved.planDir,
      env,
      tools: { kind: saved.kind },
      execute: executePlan,
      deps: { runner, fetcher: NO_DOWNLOADS, log: actionsLog(), now: Date.now, sleep: sleepFor },
      signal: new AbortController().signal,
    });
    if (failure) core.warning(`Cleanup failed: ${failure}`);
    else info(`kind cluster ${saved.name} deleted.`);
  } catch (e) {
    core.warning(`Cleanup failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
