import * as core from '@actions/core';
import { join } from 'node:path';
import { resolveCell } from '../catalog/resolve.js';
import { parseCellConfig } from '../config/cell-config.js';
import { actionNaming } from '../config/inputs.js';
import { buildPlan } from '../plan/build.js';
import { writePlan } from '../plan/write.js';
import { readCellInputs, readMode } from './inputs.js';
import { Outputs, State } from './state.js';

/** Main step: inputs → config → plan, written before anything touches a cluster. */
export async function main(): Promise<void> {
  core.saveState(State.IsPost, 'true');
  const mode = readMode();
  const config = parseCellConfig(readCellInputs(), actionNaming);
  const cell = resolveCell(config);
  const rendered = buildPlan(cell);
  const planDir = join(config.resultsDir, 'plan');
  await writePlan(planDir, rendered);
  core.saveState(State.PlanDir, planDir);
  core.setOutput(Outputs.CellId, cell.id);
  core.setOutput(Outputs.PlanDir, planDir);
  core.setOutput(Outputs.Support, JSON.stringify(cell.support.map(({ defect: _d, ...s }) => s)));
  core.info(`Cell ${cell.id}: ${rendered.plan.steps.length} steps planned in ${planDir}`);
  for (const s of cell.support) {
    const line = `${s.component} ${s.version}: ${s.status} — ${s.detail}`;
    if (s.status === 'supported') core.info(line);
    else core.warning(line);
  }
  if (mode === 'plan') return;
  throw new Error('mode "run" needs the executor, which this build does not include yet; use mode: plan');
}
