import { CommanderError, type Command } from 'commander';
import { oracleSemanticsFor } from '../resolve/oracle-semantics.js';
import type { CliIo } from './index.js';

interface CheckOptions {
  readonly calico?: string;
  readonly json?: boolean;
}

interface GenerateOptions {
  readonly policies: string[];
  readonly target: string;
  readonly out?: string;
  readonly name?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/**
 * `suite check SUITE.yaml [--calico VERSION] [--json]`: a suite's expectations against the policy
 * oracle only (no cluster, no Docker, no network); exit 0, 1 (a written verdict disagrees), 2 (bad input).
 * `suite generate --policies DIR --target NS/SELECTOR [--out FILE]`: boundary requests for every HTTP rule.
 */
export function registerSuiteCommand(program: Command, io: CliIo): void {
  const suite = program.command('suite').description('Offline work on suites: check them, generate them');
  const bad = (text: string): never => {
    io.err(`${text}\n`);
    throw new CommanderError(2, 'suite.input', 'bad input');
  };

  suite
    .command('check')
    .description(
      "Evaluate every expectation of SUITE.yaml with the policy oracle, from the suite's manifests alone: no cluster",
    )
    .argument('<suite>', 'suite file (YAML)')
    .option('--calico <version>', 'Calico version whose semantics apply (default: the catalog default)')
    .option('--json', 'one JSON object instead of the truth table')
    .action(async (file: string, opts: CheckOptions) => {
      const [
        { loadSuite, SuiteError },
        { checkSuite, checkText, SuiteCheckError },
        { resolveBoutiquePods, resolveBoutiqueServices },
      ] = await Promise.all([
        import('../suite/load.js'),
        import('../suite/check.js'),
        import('../resolve/cell.js'),
      ]);
      const found = oracleSemanticsFor(opts.calico);
      if (!found.ok)
        return bad(`--calico: ${JSON.stringify(opts.calico)} ${found.why}; known: ${found.known.join(', ')}`);
      let report;
      try {
        const loaded = await loadSuite(file);
        report = await checkSuite(loaded, found.sem, resolveBoutiquePods(), resolveBoutiqueServices());
      } catch (e) {
        if (e instanceof SuiteError || e instanceof SuiteCheckError) return bad(e.message);
        throw e;
      }
      io.out(opts.json ? `${JSON.stringify(report)}\n` : checkText(report, found.sem, file));
      if (report.summary.disagree > 0)
        throw new CommanderError(1, 'suite.disagree', 'an expectation disagrees with the oracle');
    });

  suite
    .command('generate')
    .description(
      'Write a suite of boundary requests for every HTTP rule of the policies (each with expect: auto)',
    )
    .requiredOption('--policies <path>', 'policy file or directory (repeatable)', collect)
    .requiredOption('--target <ns/selector>', 'the workload behind the gateway, e.g. boutique/app=frontend')
    .option('--out <file>', 'where to write the suite (default: stdout); manifests are named relative to it')
    .option('--name <name>', 'suite name', 'boundary probes')
    .action(async (opts: GenerateOptions) => {
      const { generateSuite, GenerateError } = await import('../suite/generate.js');
      let text;
      try {
        text = await generateSuite({
          policies: opts.policies,
          target: opts.target,
          name: opts.name ?? 'boundary probes',
          ...(opts.out ? { out: opts.out } : {}),
        });
      } catch (e) {
        if (e instanceof GenerateError) return bad(e.message);
        throw e;
      }
      if (opts.out) {
        const { writeFile } = await import('node:fs/promises');
        await writeFile(opts.out, text);
        io.out(`Wrote ${opts.out}\n`);
      } else io.out(text);
    });
}
