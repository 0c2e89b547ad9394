import { CommanderError, type Command } from 'commander';
import { oracleSemanticsFor } from '../resolve/oracle-semantics.js';
import type { CliIo } from './index.js';

export { oracleSemanticsFor };

interface EvaluateOptions {
  readonly calico?: string;
  readonly json?: boolean;
}

/**
 * `evaluate CASES.yaml [--calico VERSION] [--json]`: the policy oracle, offline. Exit 0 when no case
 * disagrees with its `expect`, 1 when one does, 2 for bad input (file, line and field named).
 */
export function registerEvaluateCommand(program: Command, io: CliIo): void {
  program
    .command('evaluate')
    .description(
      'Compute what Calico (Felix at L3/L4, Dikastes at L7) decides for each case in CASES.yaml, from the policies alone: no cluster',
    )
    .argument('<cases>', 'cases file (YAML): calico, mtls, policies, objects, namespaces, cases')
    .option('--calico <version>', "Calico version whose semantics apply (overrides the file's calico:)")
    .option('--json', 'one JSON object instead of the truth table')
    .action(async (file: string, opts: EvaluateOptions) => {
      // The oracle loads only when `evaluate` runs: other commands start faster without it.
      const { loadCases, evaluateCases, truthTable, OracleInputError } = await import('../oracle/index.js');
      const bad = (text: string): never => {
        io.err(`${text}\n`);
        throw new CommanderError(2, 'evaluate.input', 'bad input');
      };
      let loaded;
      try {
        loaded = await loadCases(file);
      } catch (e) {
        if (e instanceof OracleInputError) return bad(e.message);
        throw e;
      }
      const spec = opts.calico ?? loaded.calico?.spec;
      const found = oracleSemanticsFor(spec);
      if (!found.ok) {
        const where =
          opts.calico !== undefined ? '--calico' : `${loaded.file}:${loaded.calico?.line ?? 1}: calico`;
        return bad(`${where}: ${JSON.stringify(spec)} ${found.why}; known: ${found.known.join(', ')}`);
      }
      const { sem } = found;
      let report;
      try {
        report = evaluateCases(loaded, sem);
      } catch (e) {
        if (e instanceof OracleInputError) return bad(e.message);
        throw e;
      }
      if (opts.json) io.out(`${JSON.stringify(report)}\n`);
      else {
        const paths =
          sem.httpPaths === 'normalised'
            ? 'normalised paths, segment-boundary prefixes'
            : 'raw path prefixes';
        const defect = sem.denyAllDefect ? `, known defect ${sem.denyAllDefect.id}` : '';
        const mtls = loaded.world.mtls ? 'mTLS' : 'no mTLS';
        const notes = loaded.ignored.map((i) => `  ignored: ${i}\n`).join('');
        io.out(
          truthTable(report, `Calico ${sem.calico} (${paths}${defect}), ${mtls}: ${loaded.file}`) + notes,
        );
      }
      if (report.summary.disagree > 0) throw new CommanderError(1, 'evaluate.disagree', 'a case disagrees');
    });
}
