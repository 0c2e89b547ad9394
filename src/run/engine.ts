import { CellRun, type EngineDeps, type RunOutcome, type RunRequest } from './cell-run.js';
import { runPhases, type CellPhase } from './phase-runner.js';
import { checksPhase } from './phases/checks.js';
import { cleanupPhase } from './phases/cleanup.js';
import { detectPhase } from './phases/detect.js';
import { diagnosticsPhase } from './phases/diagnostics.js';
import { preflightPhase } from './phases/preflight.js';
import { prepare } from './phases/prepare.js';
import { observePhase } from './phases/observe.js';
import { recordPhase } from './phases/record.js';
import { setupPhase } from './phases/setup.js';
import { suitePhase } from './phases/suite.js';
import { toolsPhase } from './phases/tools.js';
import { verdictPhase } from './phases/verdict.js';

export type {
  CellReportFiles,
  EngineBounds,
  EngineDeps,
  RunHooks,
  RunOutcome,
  RunRequest,
} from './cell-run.js';

/**
 * A cell, after `prepare` (which refuses bad input before any side effect and writes the plan):
 * `main` phases stop at the first fault; `always` phases run whatever happened before them.
 */
export const CELL_PHASES: readonly CellPhase[] = [
  preflightPhase, //    main:   Docker answers, the cell fits this runner (CPU, memory, arch)
  toolsPhase, //        main:   kind, kubectl, istioctl, all at once
  detectPhase, //       main:   cluster existing: what it runs, or error before any probe
  setupPhase, //        main:   the plan's steps as a DAG, watched for stuck pods, cut to the deadline
  observePhase, //      always: what the cluster reports (versions, image IDs), before it goes
  checksPhase, //       main:   the guide's troubleshooting checks
  suitePhase, //        main:   probes, deny-then-allow
  verdictPhase, //      always: pass, fail, error or unsupported, with one reason
  diagnosticsPhase, //  always: after a failure, before the cluster goes
  cleanupPhase, //      always: the plan's cleanup steps, per keep-cluster
  recordPhase, //       always: results.json and the reports
];

/** One cell, end to end. Throws only InputError (from prepare); afterwards every failure becomes the verdict. */
export async function runCell(req: RunRequest, deps: EngineDeps): Promise<RunOutcome> {
  const run = new CellRun(req, deps, await prepare(req, deps));
  await runPhases(run, CELL_PHASES);
  if (!run.outcome)
    throw new Error(`the record phase failed: ${run.faults.at(-1)?.error ?? 'no results written'}`);
  return run.outcome;
}
