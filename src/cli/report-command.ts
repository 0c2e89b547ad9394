import { resolve } from 'node:path';
import { checkOutputDir } from '../util/output-dir.js';
import { CommanderError, type Command } from 'commander';
import { VERSION } from '../version.js';
import type { CliIo } from './index.js';

interface ReportOptions {
  readonly out: string;
  readonly previous?: string;
  readonly planned?: string;
  readonly history?: string;
  readonly historyNights: string;
  readonly allowMissing?: boolean;
}

/**
 * `report [paths/globs...] --out DIR [--previous matrix.json] [--planned matrix-plan.json]`.
 * Exit 2 when an input cannot be read (nothing is written); 1 when some results files are invalid,
 * no result was found, or planned in-window cells have no result (unless --allow-missing): the
 * report is written either way; 0 otherwise.
 */
export function registerReportCommand(program: Command, io: CliIo): void {
  program
    .command('report')
    .description(
      'Compatibility matrix (matrix.md, matrix.json, matrix.html), badge (badge.svg, badge.json) and junit.xml from results.json files',
    )
    .argument(
      '<results...>',
      'results.json files, directories (searched recursively for results.json) or quoted globs such as "artifacts/**/results.json"',
    )
    .option('--out <dir>', 'output directory', 'conformance-report')
    .option('--previous <matrix.json>', 'matrix.json of the last report, for "changed since last run"')
    .option(
      '--planned <file>',
      'the `versions --matrix` JSON the run was planned from: planned cells without a result show as not run',
    )
    .option(
      '--history <history.json>',
      'history.json of the published site: the page shows each cell’s last nights',
    )
    .option('--history-nights <n>', 'nights history.json keeps', '30')
    .option('--allow-missing', 'exit 0 even when planned cells have no result')
    .action(async (inputs: string[], opts: ReportOptions) => {
      const nights = Number(opts.historyNights);
      if (!Number.isInteger(nights) || nights < 1) {
        io.err(`error: --history-nights ${JSON.stringify(opts.historyNights)} is not a whole number ≥ 1\n`);
        throw new CommanderError(2, 'report.input', 'bad --history-nights');
      }
      const [{ ReportInputError }, { writeReport }, { reportFailures }] = await Promise.all([
        import('../report/load-results.js'),
        import('../report/write-report.js'),
        import('../report/exit-status.js'),
      ]);
      await checkOutputDir(resolve(process.cwd(), opts.out), '--out');
      let outcome;
      try {
        outcome = await writeReport({
          inputs,
          outDir: opts.out,
          cwd: process.cwd(),
          ...(opts.previous ? { previousFile: opts.previous } : {}),
          ...(opts.planned ? { planned: opts.planned } : {}),
          ...(opts.history ? { historyFile: opts.history } : {}),
          historyNights: nights,
          ...(runUrl() ? { runUrl: runUrl()! } : {}),
          generator: `calico-istio-conformance ${VERSION}`,
          now: () => new Date(),
        });
      } catch (e) {
        if (e instanceof ReportInputError) {
          io.err(`error: ${e.message}\n`);
          throw new CommanderError(2, 'report.input', e.message);
        }
        throw e;
      }
      const { report, files, gaps } = outcome;
      const s = report.summary;
      io.out(
        `${report.badge.label}: ${report.badge.message} — ${s.cells} cells from ${report.cells.reduce((n, c) => n + c.runs.length, 0)} results\n`,
      );
      for (const f of Object.values(files)) io.out(`  wrote ${f}\n`);
      for (const u of report.unmatched) io.err(`warning: ${JSON.stringify(u)} matched no file\n`);
      for (const c of report.cells.filter((x) => x.status === 'conflict')) {
        io.err(`warning: conflict in ${c.id}: ${c.note}\n`);
      }
      for (const f of report.invalid)
        io.err(`invalid results file ${f.file}:\n${f.problems.map((p) => `  ${p}\n`).join('')}`);
      const failures = reportFailures(report.invalid.length, gaps, opts.allowMissing === true);
      if (failures.length > 0) throw new Error(failures.join('; '));
    });
}

/** The workflow run, when on GitHub Actions. */
function runUrl(): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = process.env;
  return server && repo && id ? `${server}/${repo}/actions/runs/${id}` : undefined;
}
