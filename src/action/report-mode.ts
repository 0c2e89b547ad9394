import * as core from '@actions/core';
import { neutralise } from '../exec/untrusted.js';
import { VERSION } from '../version.js';

/** Inputs and outputs of `mode: report`, named once. */
export const ReportInputs = {
  Results: 'results',
  PreviousMatrix: 'previous-matrix',
  ReportDir: 'report-dir',
  PlannedMatrix: 'planned-matrix',
  History: 'history',
  AllowMissing: 'allow-missing',
} as const;

export const ReportOutputs = {
  MatrixFile: 'matrix-file',
  BadgeFile: 'badge-file',
  ReportDir: 'report-dir',
  BadgeMessage: 'badge-message',
} as const;

export const DEFAULT_REPORT_DIR = 'conformance-report';

/**
 * `mode: report`: results.json files (multi-line paths/globs) → matrix.md/json/html, badge.svg/json and
 * junit.xml in report-dir; the matrix markdown goes to the job summary. Invalid results files are
 * annotated and fail the step after every output is written.
 */
export async function reportMode(): Promise<void> {
  const inputs = core.getMultilineInput(ReportInputs.Results).filter((l) => !l.trim().startsWith('#'));
  const previous = core.getInput(ReportInputs.PreviousMatrix);
  const planned = core.getInput(ReportInputs.PlannedMatrix);
  const outDir = core.getInput(ReportInputs.ReportDir) || DEFAULT_REPORT_DIR;
  const history = core.getInput(ReportInputs.History);
  const allowMissing = core.getInput(ReportInputs.AllowMissing) === 'true';
  if (inputs.length === 0) {
    throw new Error(
      `Invalid input "${ReportInputs.Results}": empty. Accepted: one results.json path, directory or glob per line.`,
    );
  }
  // Loaded here, not at the top: run and post never pay for the report code.
  const [{ reportFailures }, { ReportInputError }, { writeReport }] = await Promise.all([
    import('../report/exit-status.js'),
    import('../report/load-results.js'),
    import('../report/write-report.js'),
  ]);
  let outcome;
  try {
    outcome = await writeReport({
      inputs,
      outDir,
      cwd: process.cwd(),
      ...(previous ? { previousFile: previous } : {}),
      ...(planned ? { planned } : {}),
      ...(history ? { historyFile: history } : {}),
      ...(process.env.GITHUB_RUN_ID && process.env.GITHUB_REPOSITORY
        ? {
            runUrl: `${process.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${process.env.GITHUB_REPOSITORY}/actions/runs/${process.env.GITHUB_RUN_ID}`,
          }
        : {}),
      generator: `calico-istio-conformance ${VERSION}`,
      now: () => new Date(),
    });
  } catch (e) {
    if (e instanceof ReportInputError) throw new Error(`mode report: ${e.message}`, { cause: e });
    throw e;
  }
  const { report, files, markdown, gaps } = outcome;
  core.setOutput(ReportOutputs.MatrixFile, files.matrixJson);
  core.setOutput(ReportOutputs.BadgeFile, files.badgeJson);
  core.setOutput(ReportOutputs.ReportDir, outDir);
  core.setOutput(ReportOutputs.BadgeMessage, report.badge.message);
  await core.summary.addRaw(markdown).write();
  core.info(neutralise(`${report.badge.label}: ${report.badge.message}; outputs in ${outDir}`));

  for (const u of report.unmatched) core.warning(`results pattern ${JSON.stringify(u)} matched no file`);
  for (const c of report.cells.filter((x) => x.status === 'conflict')) {
    core.warning(`conflicting results for ${c.id}: ${c.note}`);
  }
  for (const f of report.invalid) {
    core.error(`invalid results file: ${f.problems.join('; ')}`, {
      file: f.file,
      title: 'Invalid results.json',
    });
  }
  for (const id of gaps.missing) core.warning(`planned cell ${id} has no result`);
  const failures = reportFailures(report.invalid.length, gaps, allowMissing);
  if (failures.length > 0) core.setFailed(failures.join('; '));
}
