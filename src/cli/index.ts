import { Command, CommanderError } from 'commander';
import { resolve as resolvePath } from 'node:path';
import { cliNaming } from '../config/inputs.js';
import { fsReason } from '../util/output-dir.js';
import { neutralise } from '../exec/untrusted.js';
import { VERSION } from '../version.js';
import { addCellOptions, rawInputs } from './cell-options.js';
import { registerEvaluateCommand } from './evaluate-command.js';
import { registerProbeCommand } from './probe-command.js';
import { registerRunCommand } from './run-command.js';
import { registerReportCommand } from './report-command.js';
import type { VersionsMatrixOptions } from './versions-matrix.js';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** stdout/stderr; a CLI run inside a workflow must not turn a result's text into a workflow command. */
const processIo: CliIo = {
  out: (t) => process.stdout.write(neutralise(t)),
  err: (t) => process.stderr.write(neutralise(t)),
};

export function buildProgram(io: CliIo): Command {
  const program = new Command('calico-istio-conformance')
    .description('Calico application-layer policy conformance through Istio + Dikastes, on kind.')
    .version(VERSION)
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  addCellOptions(
    program
      .command('plan')
      .description('Render the cell offline: plan.json, manifests/ and runbook.sh')
      .option('--out <dir>', 'output directory', 'plan')
      .option(
        '--bundle',
        'a GitOps bundle in --out instead: every manifest fetched and verified now, Istio rendered by istioctl, one kustomization per stage, a runbook that downloads nothing and ends with the verdict',
      ),
  ).action(async (opts: Record<string, unknown>) => {
    // Loaded when the command runs: other commands (and --help) start without the schemas.
    const [
      { parseCellConfig },
      { withKindConfig },
      { validateSuiteInput },
      { checkOutputDir },
      { resolveCell },
      { buildPlan },
      { writePlan },
    ] = await Promise.all([
      import('../config/cell-config.js'),
      import('../config/kind-config.js'),
      import('../suite/load.js'),
      import('../util/output-dir.js'),
      import('../resolve/cell.js'),
      import('../plan/build.js'),
      import('../plan/write.js'),
    ]);
    const given = parseCellConfig(rawInputs(opts), cliNaming);
    await validateSuiteInput(given.suite, process.cwd(), cliNaming);
    const config = await withKindConfig(given, process.cwd(), cliNaming);
    const dir = resolvePath(String(opts.out));
    await checkOutputDir(dir, '--out');
    if (opts.bundle) return (await import('./plan-bundle.js')).planBundle(config, dir, io);
    const cell = resolveCell(config);
    const rendered = buildPlan(cell);
    const files = await writePlan(dir, rendered);
    io.out(`Planned cell ${cell.id}: ${rendered.plan.steps.length} steps, ${files.length} files in ${dir}\n`);
    for (const s of cell.support) io.out(`  ${s.component} ${s.version}: ${s.status} — ${s.detail}\n`);
    for (const note of rendered.plan.facts.notes) io.out(`  note: ${note}\n`);
    if (config.kindConfigFile && rendered.plan.facts.nodes)
      io.out(
        `  kind config ${config.kindConfigFile} merged into manifests/kind-config.yaml: ${rendered.plan.facts.nodes.join(', ')}\n`,
      );
  });

  registerRunCommand(program, io);
  registerProbeCommand(program, io);

  program
    .command('versions')
    .description('Print the version catalog')
    .option('--json', 'as JSON')
    .option('--matrix', 'print a GitHub Actions matrix {"include": [...]} as one JSON line')
    .option('--calico <range>', "with --matrix: Calico range, e.g. '>=3.29', 3.29-3.31, '*' (default)")
    .option('--istio <range>', "with --matrix: Istio range, e.g. 1.22-1.28, '>=1.27', 1.28.1, '*' (default)")
    .option('--kubernetes <range>', 'with --matrix: Kubernetes range, e.g. 1.34 (default), 1.33-1.35')
    .action(async (opts: VersionsMatrixOptions & { json?: boolean; matrix?: boolean }) => {
      if (opts.matrix) return io.out((await import('./versions-matrix.js')).versionsMatrixLine(opts));
      const { catalogJson, catalogTable } = await import('./versions.js');
      io.out(opts.json ? `${JSON.stringify(catalogJson(), null, 2)}\n` : catalogTable());
    });

  registerReportCommand(program, io);
  registerEvaluateCommand(program, io);

  return program;
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 failed, 2 bad usage or input). */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // `evaluate` exits 1 when a case disagrees; every other commander error is bad usage.
      if (e.code === 'evaluate.disagree') return 1;
      return e.exitCode === 0 ? 0 : 2;
    }
    // Refusals carry their own sentence; their classes are named, not imported, so the CLI starts light.
    if (
      e instanceof Error &&
      ['InputError', 'OutputPathError', 'PlanDirError', 'BundleRefusedError'].includes(e.name)
    ) {
      io.err(`${e.message}\n`);
      return 2;
    }
    // A file the run had to write and could not: a sentence, not errno text.
    const fsError = e as NodeJS.ErrnoException;
    if (typeof fsError?.code === 'string' && typeof fsError.path === 'string') {
      io.err(`Cannot write ${fsError.path}: ${fsReason(fsError.code)}.\n`);
      return 2;
    }
    io.err(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
