import { resolve } from 'node:path';
import { checkOutputDir } from '../util/output-dir.js';
import { CommanderError, type Command } from 'commander';
import { VERSION } from '../version.js';
import type { CliIo } from './index.js';

interface ReportOptions {
  readonly out: string;
  readonly previous?: string;
  readonly planned?: string;
}

/**
 * `report [paths/globs...] --out DIR [--previous matrix.json] [--planned matrix-plan.json]`.
 * Exit 2 when an input cannot be read (nothing is written), 1 when some results files are invalid
 * (the report is written and lists them), 0 otherwise.
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
    .action(async (inputs: string[], opts: ReportOptions) => {
      const [{ ReportInputError }, { writeReport }] = await Promise.all([
        import('../report/load-results.js'),
        import('../report/write-report.js'),
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
      const { report, files } = outcome;
      const s = report.summary;
      io.out(
        `${report.badge.label}: ${report.badge.message} — ${s.cells} cells from ${report.cells.reduce((n, c) => n + c.runs.length, 0)} results\n`,
      );
      for (const f of Object.values(files)) io.out(`  wrote ${f}\n`);
      for (const u of report.unmatched) io.err(`warning: ${JSON.stringify(u)} matched no file\n`);
      for (const c of report.cells.filter((x) => x.status === 'conflict')) {
        io.err(`warning: conflict in ${c.id}: ${c.note}\n`);
      }
      if (report.invalid.length > 0) {
        for (const f of report.invalid)
          io.err(`invalid results file ${f.file}:\n${f.problems.map((p) => `  ${p}\n`).join('')}`);
        throw new Error(
          `${report.invalid.length} results file${report.invalid.length === 1 ? ' is' : 's are'} invalid (listed above and in the report)`,
        );
      }
    });
}
