import type { Command } from 'commander';
import { homedir } from 'node:os';
import { cliNaming, INPUTS } from '../config/inputs.js';

const RESULTS_DIR_DEFAULT = INPUTS.find((i) => i.name === 'results-dir')!.default;
import { addCellOptions, rawInputs } from './cell-options.js';
import type { EngineDeps } from '../run/engine.js';
import type { CliIo } from './index.js';

/** A run that finished with a verdict other than pass/unsupported: exit 1 with its reason. */
export class VerdictError extends Error {
  override name = 'VerdictError';
}

/** `run`: the whole cell (or a suite against an existing cluster); exit 0 pass/unsupported, 1 fail/error, 2 bad input. */
/** The engine and its real effects load only when `run` runs: other commands start faster without them. */
async function realDeps(cwd: string): Promise<EngineDeps> {
  const [{ streamLog }, { realEngineDeps }, { dirToolCache }, secrets] = await Promise.all([
    import('../exec/log.js'),
    import('../run/real-deps.js'),
    import('../tools/install.js'),
    import('../exec/secrets.js'),
  ]);
  const log = streamLog(process.stderr);
  // The current context's credentials (cluster: existing) are redacted from every line.
  for (const k of secrets.userKubeconfigs(process.env, homedir())) await secrets.maskKubeconfig(k, log);
  return realEngineDeps({
    log,
    toolCache: dirToolCache(),
    cwd,
  });
}

export function registerRunCommand(
  program: Command,
  io: CliIo,
  makeDeps: (cwd: string) => Promise<EngineDeps> = realDeps,
): void {
  addCellOptions(
    program
      .command('run')
      .description(
        'Run the cell: tools, kind cluster, Calico, Istio, Dikastes, Boutique, checks, suite, reports, cleanup',
      ),
  ).action(async (opts: Record<string, unknown>) => {
    const [{ parseCellConfig }, { checkOutputDir }, { failsTheRun }] = await Promise.all([
      import('../config/cell-config.js'),
      import('../util/output-dir.js'),
      import('../run/verdict.js'),
    ]);
    const raw = rawInputs(opts);
    let config;
    try {
      config = parseCellConfig(raw, cliNaming);
    } catch (e) {
      const { clearAfterRefusal } = await import('../run/owned-results.js');
      await clearAfterRefusal(raw['results-dir'], RESULTS_DIR_DEFAULT, process.cwd());
      throw e;
    }
    await checkOutputDir(config.resultsDir, '--results-dir');
    const controller = new AbortController();
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        io.err(`${sig} again: exiting without cleanup\n`);
        process.exit(130);
      }
      io.err(`${sig}: cancelling; cleanup still runs (send it again to exit at once)\n`);
      controller.abort(new Error(`cancelled by ${sig}`));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const { runCell } = await import('../run/engine.js');
      const outcome = await runCell(
        { config, naming: cliNaming, signal: controller.signal },
        await makeDeps(process.cwd()),
      );
      const { result } = outcome;
      io.out(`${result.verdict.toUpperCase()} ${result.cell.id}: ${result.reason}\n`);
      io.out(`results: ${outcome.resultsFile}\n`);
      if (outcome.reports) io.out(`junit: ${outcome.reports.junitFile}\n`);
      if (outcome.diagnosticsArchive) io.out(`diagnostics: ${outcome.diagnosticsArchive}\n`);
      // The path only, never the contents (it holds the cluster's client key); yours to remove.
      if (outcome.kubeconfig)
        io.out(`kept kind cluster ${outcome.clusterName ?? ''}: KUBECONFIG=${outcome.kubeconfig}\n`);
      if (result.cleanup?.status === 'failed')
        io.err(`warning: cleanup failed: ${result.cleanup.detail ?? ''}\n`);
      if (failsTheRun(result.verdict, config.failOnKnownDefect)) {
        throw new VerdictError(`verdict ${result.verdict}: ${result.reason}`);
      }
      if (result.verdict === 'known-defect')
        io.err('known-defect is expected for this cell: exit 0 (--fail-on-known-defect true makes it 1)\n');
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}
