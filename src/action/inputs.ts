import * as core from '@actions/core';
import { INPUTS, type RawInputs } from '../config/inputs.js';

/** Inputs only the action has (the CLI uses subcommands instead). */
export const ACTION_INPUTS = [
  {
    name: 'mode',
    default: 'run',
    description: '`run`: plan and run the cell. `plan`: only render the plan into results-dir/plan.',
  },
] as const;

export type ActionMode = 'run' | 'plan';

export function readCellInputs(): RawInputs {
  const raw: RawInputs = {};
  for (const i of INPUTS) raw[i.name] = core.getInput(i.name);
  return raw;
}

export function readMode(): ActionMode {
  const mode = core.getInput('mode') || 'run';
  if (mode !== 'run' && mode !== 'plan') {
    throw new Error(
      `Invalid input "mode": ${JSON.stringify(mode)} is not one of the choices. Accepted: run, plan.`,
    );
  }
  return mode;
}
