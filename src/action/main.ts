import * as core from '@actions/core';
import { join } from 'node:path';
import { resolveCell } from '../resolve/cell.js';
import { parseCellConfig, type CellConfig } from '../config/cell-config.js';
import { actionNaming, INPUTS } from '../config/inputs.js';
import { withKindConfig } from '../config/kind-config.js';
import { clearAfterRefusal } from '../run/owned-results.js';
import { homedir } from 'node:os';
import { actionsLog } from '../exec/log.js';
import { maskKubeconfig, userKubeconfigs } from '../exec/secrets.js';
import { neutralise } from '../exec/untrusted.js';
import { buildPlan } from '../plan/build.js';
import { writePlan } from '../plan/write.js';
import { runCell } from '../run/engine.js';
import { validateSuiteInput } from '../suite/load.js';
import { checkOutputDir } from '../util/output-dir.js';
import { realEngineDeps } from '../run/real-deps.js';
import { failsTheRun } from '../run/verdict.js';
import { actionsToolCache } from '../tools/install.js';
import { readCellInputs, readMode } from './inputs.js';
import { reportMode } from './report-mode.js';
import { Outputs, State } from './state.js';

/** `mode: plan`: render the plan, touch no cluster. */
async function planOnly(given: CellConfig): Promise<void> {
  await validateSuiteInput(given.suite, process.cwd(), actionNaming);
  const config = await withKindConfig(given, process.cwd(), actionNaming);
  const cell = resolveCell(config);
  const rendered = buildPlan(cell);
  const planDir = join(config.resultsDir, 'plan');
  await writePlan(planDir, rendered);
  core.saveState(State.PlanDir, planDir);
  core.setOutput(Outputs.CellId, cell.id);
  core.setOutput(Outputs.PlanDir, planDir);
  core.setOutput(Outputs.Support, JSON.stringify(cell.support));
  core.info(neutralise(`Cell ${cell.id}: ${rendered.plan.steps.length} steps planned in ${planDir}`));
  for (const s of cell.support) {
    const line = `${s.component} ${s.version}: ${s.status} — ${s.detail}`;
    if (s.status === 'supported') core.info(neutralise(line));
    else core.warning(line);
  }
  for (const note of rendered.plan.facts.notes) core.info(neutralise(`Note: ${note}`));
}

/** Main step: inputs → config → engine; state is saved as soon as known so post can clean up after a cancel. */
export async function main(): Promise<void> {
  core.saveState(State.IsPost, 'true');
  const mode = readMode();
  // Report mode reads results, not a cell: no cell inputs to validate, nothing for post to clean.
  if (mode === 'report') return reportMode();
  const raw = readCellInputs();
  let config: CellConfig;
  try {
    config = parseCellConfig(raw, actionNaming);
  } catch (e) {
    // A refused run must not leave an earlier run's results.json to be reported as its own.
    if (mode === 'run') {
      const fallback = INPUTS.find((i) => i.name === 'results-dir')!.default;
      await clearAfterRefusal(raw['results-dir'], fallback, process.cwd());
    }
    throw e;
  }
  await checkOutputDir(config.resultsDir, 'input "results-dir"');
  if (mode === 'plan') return planOnly(config);

  // The runner sends SIGINT then SIGTERM on cancel: stop the steps, still clean up and write results.
  const log = actionsLog();
  // An existing cluster is reached with the user's own kubeconfig: its credentials never reach the log.
  if (config.cluster === 'existing') {
    for (const k of userKubeconfigs(process.env, homedir())) await maskKubeconfig(k, log);
  }
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    core.warning(`Received ${sig}: cancelling the run; cleanup still runs`);
    controller.abort(new Error(`cancelled by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await runCell(
      {
        config,
        naming: actionNaming,
        signal: controller.signal,
        hooks: {
          onClusterPlanned: ({ name, keep, planDir, kubeconfig }) => {
            core.saveState(State.ClusterName, name);
            core.saveState(State.KeepCluster, keep);
            core.saveState(State.PlanDir, planDir);
            core.saveState(State.Kubeconfig, kubeconfig);
            core.setOutput(Outputs.ClusterName, name);
          },
          onClusterMayExist: ({ kind }) => {
            core.saveState(State.KindPath, kind);
            core.saveState(State.ClusterCreated, 'true');
          },
          onCleanup: (status) => core.saveState(State.Cleanup, status),
          onVerdict: (verdict) => core.saveState(State.Verdict, verdict),
        },
      },
      {
        ...realEngineDeps({ log, toolCache: actionsToolCache() }),
        // Downloads and the kind kubeconfig stay in the runner's temp dir, never in results-dir.
        ...(process.env.RUNNER_TEMP ? { tmpDir: process.env.RUNNER_TEMP } : {}),
      },
    );
    const { result } = outcome;
    core.setOutput(Outputs.CellId, result.cell.id);
    core.setOutput(Outputs.PlanDir, outcome.planDir);
    core.setOutput(Outputs.Support, JSON.stringify(result.support));
    core.setOutput(Outputs.Verdict, result.verdict);
    core.setOutput(Outputs.Reason, result.reason);
    core.setOutput(Outputs.ResultsFile, outcome.resultsFile);
    if (outcome.reports) {
      core.setOutput(Outputs.JunitFile, outcome.reports.junitFile);
      await core.summary.addRaw(outcome.reports.summaryMarkdown, true).write();
    }
    if (outcome.diagnosticsArchive) core.setOutput(Outputs.Diagnostics, outcome.diagnosticsArchive);
    // A kept cluster's kubeconfig stays (private dir in RUNNER_TEMP) for later steps; post removes it.
    if (outcome.kubeconfig) core.setOutput(Outputs.Kubeconfig, outcome.kubeconfig);
    if (failsTheRun(result.verdict, config.failOnKnownDefect)) {
      core.setFailed(`${result.verdict}: ${result.reason}`);
    } else if (result.verdict === 'known-defect') {
      core.warning(`known-defect (expected; fail-on-known-defect is false): ${result.reason}`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
