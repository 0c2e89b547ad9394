import * as core from '@actions/core';
import { INPUTS, type RawInputs } from '../config/inputs.js';
import { DEFAULT_REPORT_DIR, ReportInputs } from './report-mode.js';

/** Inputs only the action has (the CLI uses subcommands instead). */
export const ACTION_INPUTS = [
  {
    name: 'mode',
    default: 'run',
    description:
      "`run`: plan and run the cell. `plan`: only render the plan into results-dir/plan. `report`: build the matrix, reports and badge from `results`. `check`: evaluate the suite's expectations with the policy oracle for `calico-version`, no cluster (fails when one disagrees).",
  },
  {
    name: ReportInputs.Results,
    default: '',
    description:
      '`mode: report`: results.json files, directories (searched recursively) or globs, one per line.',
  },
  {
    name: ReportInputs.PreviousMatrix,
    default: '',
    description:
      '`mode: report`: matrix.json of the previous report, for the "changed since last run" section.',
  },
  {
    name: ReportInputs.PlannedMatrix,
    default: '',
    description:
      '`mode: report`: the `versions --matrix` JSON (inline or a path), so planned cells without results show as not run.',
  },
  {
    name: ReportInputs.History,
    default: '',
    description:
      "`mode: report`: history.json of the published site, so the page shows each cell's last nights.",
  },
  {
    name: ReportInputs.AllowMissing,
    default: 'false',
    description: '`mode: report`: do not fail when planned in-window cells have no result.',
  },
  {
    name: ReportInputs.ReportDir,
    default: DEFAULT_REPORT_DIR,
    description: '`mode: report`: where matrix.md/json/html, badge.svg/json and junit.xml are written.',
  },
] as const;

const MODES = ['run', 'plan', 'report', 'check'] as const;
export type ActionMode = (typeof MODES)[number];

export function readCellInputs(): RawInputs {
  const raw: RawInputs = {};
  for (const i of INPUTS) raw[i.name] = core.getInput(i.name);
  return raw;
}

export function readMode(): ActionMode {
  const mode = core.getInput('mode') || 'run';
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new Error(
      `Invalid input "mode": ${JSON.stringify(mode)} is not one of the choices. Accepted: ${MODES.join(', ')}.`,
    );
  }
  return mode as ActionMode;
}
