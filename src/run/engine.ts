import { access, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { isSupported, resolveCell, type ResolvedCell } from '../catalog/resolve.js';
import { InputError, type CellConfig, type KeepCluster } from '../config/cell-config.js';
import type { InputNaming } from '../config/inputs.js';
import type { PolicyApplier, SuiteRunner, SuiteTarget, SuiteTargetLoader } from '../contracts.js';
import { collectDiagnostics } from '../diagnostics/collect.js';
import { executePlan as realExecutePlan, type ExecutorDeps } from '../exec/executor.js';
import type { Fetcher } from '../exec/fetch.js';
import type { Log } from '../exec/log.js';
import type { ProcessRunner } from '../exec/process.js';
import { privateKubeconfigPath, removeKubeconfig } from '../exec/secrets.js';
import { buildPlan } from '../plan/build.js';
import type { Plan } from '../plan/types.js';
import { writePlan } from '../plan/write.js';
import { INGRESS_HOST_PORT, ISTIO_NAMESPACE } from '../render/constants.js';
import { workloadTemplates } from '../render/workload.js';
import {
  CellResultSchema,
  RESULT_SCHEMA_VERSION,
  type CellResult,
  type CheckResult,
  type PhaseResult,
  type SuiteResult,
} from '../result/schema.js';
import { hostArch, type Arch, type ToolCache } from '../tools/install.js';
import { VERSION } from '../version.js';
import { CHECK_IDS, CHECK_TITLES, skipped } from '../verify/checks.js';
import { collectChecks, type CheckReport, type HttpGet } from '../verify/collect.js';
import { keepCluster } from './cleanup.js';
import { ToolSet, type InstallToolFn } from './tools.js';
import { decideVerdict, symptomObserved } from './verdict.js';

/** The built-in suite, relative to the package root (the folder above the bundle). */
export const DEFAULT_SUITE = 'e2e-manifests/suites/boutique/suite.yaml';

export interface CellReportFiles {
  readonly junitFile: string;
  readonly summaryMarkdown: string;
}

/** Bounds the engine uses; tests shrink them. */
export interface Timing {
  readonly kubectlMs: number;
  readonly ingressWaitMs: number;
  readonly ingressAttemptMs: number;
  readonly diagnosticsCommandMs: number;
  /** How long running steps may go on after a required one failed. */
  readonly drainSeconds: number;
}

export const DEFAULT_TIMING: Timing = {
  kubectlMs: 30_000,
  ingressWaitMs: 60_000,
  ingressAttemptMs: 5_000,
  diagnosticsCommandMs: 60_000,
  drainSeconds: 60,
};

/** Everything that touches the world, injected: the entry points bind the real ones. */
export interface EngineDeps {
  readonly runner: ProcessRunner;
  readonly fetcher: Fetcher;
  readonly log: Log;
  readonly toolCache: ToolCache;
  readonly now: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly httpGet: HttpGet;
  readonly runSuite: SuiteRunner;
  readonly loadSuiteTarget: SuiteTargetLoader;
  readonly policyApplier: (kubectl: string, env: Record<string, string>) => PolicyApplier;
  readonly writeReports: (result: CellResult, dir: string) => Promise<CellReportFiles>;
  readonly runnerInfo: CellResult['runner'];
  /** Folder holding e2e-manifests (the built-in suite). */
  readonly packageRoot: string;
  /** Relative config paths (results-dir, suite) resolve against this. */
  readonly cwd: string;
  readonly arch?: Arch;
  readonly pathEnv?: string;
  readonly tmpDir?: string;
  readonly timing?: Partial<Timing>;
  readonly executePlan?: typeof realExecutePlan;
  readonly installTool?: InstallToolFn;
}

/** Lets the action save state as soon as facts are known (the post step relies on them). */
export interface RunHooks {
  /** The kind cluster this run will create, its kubeconfig and the keep policy. */
  readonly onClusterPlanned?: (c: {
    name: string;
    keep: KeepCluster;
    planDir: string;
    kubeconfig: string;
  }) => void;
  /** kind was handed to the plan: from now on the cluster may exist. */
  readonly onClusterMayExist?: (c: { name: string; kind: string }) => void;
  readonly onVerdict?: (verdict: CellResult['verdict']) => void;
  readonly onCleanup?: (status: NonNullable<CellResult['cleanup']>['status']) => void;
}

export interface RunRequest {
  readonly config: CellConfig;
  readonly naming: InputNaming;
  readonly signal: AbortSignal;
  readonly hooks?: RunHooks;
}

export interface RunOutcome {
  readonly cell: ResolvedCell;
  readonly result: CellResult;
  readonly planDir: string;
  readonly resultsFile: string;
  readonly reports?: CellReportFiles;
  readonly diagnosticsArchive?: string;
}

interface Prepared {
  readonly cell: ResolvedCell;
  readonly suiteFile: string;
  readonly target: SuiteTarget;
  readonly ingressUrl: string;
  readonly resultsDir: string;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** Everything that can be refused is refused here, before any side effect. */
export async function prepareRun(
  config: CellConfig,
  naming: InputNaming,
  deps: Pick<EngineDeps, 'packageRoot' | 'cwd' | 'loadSuiteTarget'>,
): Promise<Prepared> {
  if (config.cluster === 'existing' && !config.ingressUrl) {
    throw new InputError(
      [
        {
          input: 'ingress-url',
          value: '',
          why: 'is required with cluster "existing" (the harness cannot know where your gateway listens)',
          accepted: 'the base URL of your ingress gateway, e.g. http://127.0.0.1:8080',
        },
      ],
      naming,
    );
  }
  const suiteFile = config.suite ? resolve(deps.cwd, config.suite) : resolve(deps.packageRoot, DEFAULT_SUITE);
  if (!(await exists(suiteFile))) {
    if (!config.suite)
      throw new Error(`the built-in suite ${suiteFile} is missing: the package is incomplete`);
    throw new InputError(
      [
        {
          input: 'suite',
          value: config.suite,
          why: `does not exist (${suiteFile})`,
          accepted: 'a path to a suite YAML file',
        },
      ],
      naming,
    );
  }
  let target: SuiteTarget;
  try {
    target = await deps.loadSuiteTarget(suiteFile);
  } catch (e) {
    throw new InputError(
      [
        {
          input: 'suite',
          value: config.suite ?? suiteFile,
          why: `is not a valid suite: ${e instanceof Error ? e.message : String(e)}`,
          accepted: 'a suite YAML file (apiVersion calico-istio-conformance/v1, kind Suite)',
        },
      ],
      naming,
    );
  }
  return {
    cell: resolveCell(config),
    suiteFile,
    target,
    ingressUrl: config.ingressUrl ?? `http://127.0.0.1:${INGRESS_HOST_PORT}`,
    resultsDir: isAbsolute(config.resultsDir) ? config.resultsDir : resolve(deps.cwd, config.resultsDir),
  };
}

/** plan.env values are paths relative to the plan directory. */
function planEnv(plan: Plan, planDir: string): Record<string, string> {
  return Object.fromEntries(Object.entries(plan.env).map(([k, v]) => [k, resolve(planDir, v)]));
}

function usesTool(plan: Plan, tool: string): boolean {
  return [...plan.steps, ...plan.cleanup].some((s) =>
    [...s.commands, ...(s.retry?.beforeRetry ?? [])].some((c) => c[0] === tool),
  );
}

/** The plan already names the exact versions; results.json keeps the same facts, minus plan-only ones. */
function resultCell(plan: Plan): CellResult['cell'] {
  const { clusterName: _name, install: _install, ...cell } = plan.cell;
  return cell;
}

function support(cell: ResolvedCell): CellResult['support'] {
  return cell.support.map((s) => ({
    component: s.component,
    version: s.version,
    status: s.status,
    detail: s.detail,
    ...(s.window ? { window: s.window } : {}),
    ...(s.defect ? { defectId: s.defect.id } : {}),
  }));
}

const allSkipped = (why: string): CheckResult[] => CHECK_IDS.map((id) => skipped(id, CHECK_TITLES[id], why));

/**
 * One cell, end to end: plan → tools → steps → checks → suite → diagnostics → cleanup → results.json →
 * reports. Never throws over a result once side effects began: failures become the verdict.
 */
export async function runCell(req: RunRequest, deps: EngineDeps): Promise<RunOutcome> {
  const timing = { ...DEFAULT_TIMING, ...deps.timing };
  const { log } = deps;
  const prepared = await prepareRun(req.config, req.naming, deps);
  const { cell, resultsDir } = prepared;
  const startedMs = deps.now();
  const startedAt = new Date(startedMs).toISOString();
  const rendered = buildPlan(cell);
  const { plan } = rendered;
  const planDir = join(resultsDir, 'plan');
  await mkdir(resultsDir, { recursive: true });
  await writePlan(planDir, rendered);
  const resultsFile = join(resultsDir, 'results.json');
  const defect = cell.calico.defect;

  const finish = async (
    partial: Pick<CellResult, 'verdict' | 'reason'> & Partial<CellResult>,
    diagnosticsArchive?: string,
  ): Promise<RunOutcome> => {
    const finishedMs = deps.now();
    const result = CellResultSchema.parse({
      schemaVersion: RESULT_SCHEMA_VERSION,
      generator: `calico-istio-conformance ${VERSION}`,
      cell: resultCell(plan),
      support: support(cell),
      startedAt,
      finishedAt: new Date(finishedMs).toISOString(),
      durationMs: Math.max(0, finishedMs - startedMs),
      runner: deps.runnerInfo,
      ...partial,
    });
    await writeFile(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
    req.hooks?.onVerdict?.(result.verdict);
    let reports: CellReportFiles | undefined;
    try {
      reports = await deps.writeReports(result, resultsDir);
    } catch (e) {
      log.error(`Could not write the reports: ${e instanceof Error ? e.message : String(e)}`);
    }
    const line = `Cell ${cell.id}: ${result.verdict.toUpperCase()} — ${result.reason}`;
    if (result.verdict === 'pass' || result.verdict === 'unsupported') log.info(line);
    else log.error(line);
    return {
      cell,
      result,
      planDir,
      resultsFile,
      ...(reports ? { reports } : {}),
      ...(diagnosticsArchive ? { diagnosticsArchive } : {}),
    };
  };

  for (const s of cell.support) {
    const line = `${s.component} ${s.version}: ${s.status} — ${s.detail}`;
    if (s.status === 'supported') log.info(line);
    else log.warn(line);
  }
  if (!isSupported(cell) && req.config.onUnsupported === 'skip') {
    const why = cell.support
      .filter((s) => s.status !== 'supported')
      .map((s) => `${s.component} ${s.version} ${s.status} (${s.detail})`)
      .join('; ');
    return finish({
      verdict: 'unsupported',
      reason: `Skipped by on-unsupported: skip: ${why}.`,
      cleanup: { status: 'not-created' },
      ...(defect
        ? { knownDefect: { id: defect.id, title: defect.title, issue: defect.issue, symptomObserved: false } }
        : {}),
    });
  }

  const env = planEnv(plan, planDir);
  // kind's kubeconfig holds the cluster's client key: keep it out of results-dir (users upload that).
  if (env.KUBECONFIG) env.KUBECONFIG = await privateKubeconfigPath(deps.tmpDir ?? tmpdir());
  const kindCluster = plan.cell.clusterName;
  const tools = new ToolSet(
    cell,
    {
      arch: deps.arch ?? hostArch(),
      mirrors: req.config.mirrors,
      cache: deps.toolCache,
      fromPath: req.config.toolsFromPath,
      fetcher: deps.fetcher,
      runner: deps.runner,
      log,
      signal: req.signal,
      ...(deps.tmpDir ? { tmpDir: deps.tmpDir } : {}),
      ...(deps.pathEnv !== undefined ? { pathEnv: deps.pathEnv } : {}),
    },
    deps.now,
    deps.installTool,
  );
  // kind first (the cluster waits on it); the others download while the cluster is created.
  let clusterMayExist = false;
  const toolMap: Record<string, Promise<string>> = {};
  if (kindCluster) {
    req.hooks?.onClusterPlanned?.({
      name: kindCluster,
      keep: req.config.keepCluster,
      planDir,
      kubeconfig: env.KUBECONFIG ?? '',
    });
    toolMap.kind = tools.get('kind').then((path) => {
      clusterMayExist = true;
      req.hooks?.onClusterMayExist?.({ name: kindCluster, kind: path });
      return path;
    });
    toolMap.kind.catch(() => undefined);
  }
  toolMap.kubectl = tools.get('kubectl');
  if (usesTool(plan, 'istioctl')) toolMap.istioctl = tools.get('istioctl');

  const execDeps: ExecutorDeps = {
    runner: deps.runner,
    fetcher: deps.fetcher,
    log,
    now: deps.now,
    sleep: deps.sleep,
  };
  const execute = deps.executePlan ?? realExecutePlan;
  let stepPhases: PhaseResult[];
  try {
    stepPhases = await execute(
      plan.steps,
      { planDir, env, tools: toolMap, signal: req.signal, drainSeconds: timing.drainSeconds },
      execDeps,
    );
  } catch (e) {
    stepPhases = [
      {
        id: 'plan',
        title: 'Run the plan',
        phase: 'plan',
        status: 'failed',
        durationMs: 0,
        attempts: 0,
        error: e instanceof Error ? e.message : String(e),
      },
    ];
  }
  await tools.settle();
  const phases = [...tools.phases(), ...stepPhases];
  const optional = new Set(plan.steps.filter((s) => s.optional).map((s) => s.id));
  const cancelled = req.signal.aborted;
  const setupOk = phases.every((p) => p.status === 'passed' || optional.has(p.id));

  const kubectl = await toolMap.kubectl.catch(() => undefined);
  const clusterUp = kindCluster
    ? stepPhases.find((p) => p.id === 'cluster-create')?.status === 'passed'
    : true;

  // Checks: whenever there is a cluster to look at, even after a failed step (they say what is wrong).
  let report: CheckReport | undefined;
  let checks: CheckResult[];
  if (cancelled) checks = allSkipped('the run was cancelled');
  else if (!kubectl) checks = allSkipped('kubectl is not available');
  else if (!clusterUp) checks = allSkipped('the kind cluster was not created');
  else {
    report = await log.group('Verification checks', () =>
      collectChecks(
        {
          runner: deps.runner,
          kubectl,
          env,
          httpGet: deps.httpGet,
          sleep: deps.sleep,
          now: deps.now,
          signal: req.signal,
        },
        {
          target: prepared.target,
          flavour: cell.istio.release.flavour,
          templates: workloadTemplates(cell),
          canary: !!workloadTemplates(cell) && req.config.install.includes('workload'),
          ingressUrl: prepared.ingressUrl,
          kubectlTimeoutMs: timing.kubectlMs,
          ingressWaitMs: setupOk ? timing.ingressWaitMs : 0,
          ingressAttemptMs: timing.ingressAttemptMs,
        },
      ),
    );
    checks = report.checks;
    for (const c of checks) {
      const line = `${c.status.toUpperCase()} ${c.id}: ${c.evidence}`;
      if (c.status === 'fail') log.warn(line);
      else log.info(line);
    }
  }

  let suite: SuiteResult | undefined;
  if (setupOk && !cancelled && kubectl && !req.signal.aborted) {
    const dikastesReady = report?.dikastesReady ?? { ready: false, evidence: 'the checks did not run' };
    suite = await log.group(`Suite ${prepared.target.name}`, async () => {
      try {
        return await deps.runSuite({
          suiteFile: prepared.suiteFile,
          ingressUrl: prepared.ingressUrl,
          calicoVersion: cell.calico.version,
          dikastesReady,
          policies: deps.policyApplier(kubectl, env),
          signal: req.signal,
          log: (line) => log.info(line),
        });
      } catch (e) {
        return {
          name: prepared.target.name,
          file: prepared.suiteFile,
          status: 'error' as const,
          diagnosis: e instanceof Error ? e.message : String(e),
          steps: [],
        };
      }
    });
  }

  const decided = decideVerdict({
    phases,
    optional,
    checks,
    ...(suite ? { suite } : {}),
    cancelled: cancelled || req.signal.aborted,
    ...(defect ? { defect } : {}),
  });

  // Diagnostics: after a failure, from a cluster that exists, before it is deleted.
  let diagnostics: CellResult['diagnostics'];
  let archive: string | undefined;
  const failed = decided.verdict === 'fail' || decided.verdict === 'error';
  if (failed && !req.signal.aborted && clusterUp && (kubectl || kindCluster)) {
    const kindPath = kindCluster ? await toolMap.kind?.catch(() => undefined) : undefined;
    const got = await log.group('Diagnostics', () =>
      collectDiagnostics(
        deps.runner,
        {
          dir: join(resultsDir, 'diagnostics'),
          archive: join(resultsDir, 'diagnostics.tar.gz'),
          ...(kubectl ? { kubectl } : {}),
          ...(kindPath && kindCluster ? { kind: { path: kindPath, cluster: kindCluster } } : {}),
          istioctl: () => tools.get('istioctl'),
          env,
          namespace: prepared.target.namespace,
          ...(report?.targetPod ? { targetPod: report.targetPod } : {}),
          ...(prepared.target.selector ? { targetLabel: prepared.target.selector } : {}),
          timeoutMs: timing.diagnosticsCommandMs,
          ...(log.redact ? { redact: (t: string) => log.redact!(t) } : {}),
          // A user's own cluster: only what the harness touched, unless they opted in.
          clusterWide: !!kindCluster || req.config.diagnosticsClusterWide,
          namespaces: [ISTIO_NAMESPACE, 'calico-system'],
        },
        new AbortController().signal,
      ),
    );
    archive = got.archive;
    diagnostics = { dir: got.dir, ...(got.archive ? { archive: got.archive } : {}) };
    const failures = got.entries.filter((e) => !e.ok);
    log.info(
      `Diagnostics in ${got.dir}${got.archive ? ` (archive ${got.archive})` : ''}: ${got.entries.length - failures.length}/${got.entries.length} collected`,
    );
    for (const f of failures) log.warn(`diagnostics: ${f.file}: ${f.detail ?? 'failed'}`);
  }

  // Cleanup: only what this run created; its failure is reported, never thrown over the result.
  let cleanup: NonNullable<CellResult['cleanup']>;
  if (!kindCluster || !clusterMayExist) {
    cleanup = { status: 'not-created' };
  } else if (keepCluster(req.config.keepCluster, decided.verdict)) {
    cleanup = {
      status: 'kept',
      detail: `keep-cluster ${req.config.keepCluster}: kind cluster ${kindCluster} kept; KUBECONFIG=${env.KUBECONFIG ?? ''}`,
    };
    log.info(cleanup.detail!);
  } else {
    const done = await execute(
      plan.cleanup,
      { planDir, env, tools: toolMap, signal: new AbortController().signal },
      execDeps,
    ).catch((e: unknown): PhaseResult[] => [
      {
        id: 'cluster-delete',
        title: 'Delete the kind cluster',
        phase: 'cluster',
        status: 'failed',
        durationMs: 0,
        attempts: 0,
        error: String(e),
      },
    ]);
    const bad = done.find((p) => p.status !== 'passed');
    if (bad) {
      cleanup = { status: 'failed', detail: `${bad.id}: ${bad.error ?? bad.status}` };
      log.warn(`Cleanup failed: ${cleanup.detail}`);
    } else {
      cleanup = { status: 'deleted', detail: `kind cluster ${kindCluster} deleted` };
      // The kubeconfig of a deleted cluster is useless, and holds its client key: do not leave it in the results.
      if (env.KUBECONFIG) await removeKubeconfig(env.KUBECONFIG);
    }
  }
  if (cleanup.status === 'not-created' && env.KUBECONFIG) await removeKubeconfig(env.KUBECONFIG);
  req.hooks?.onCleanup?.(cleanup.status);

  const knownDefect = defect
    ? {
        id: defect.id,
        title: defect.title,
        issue: defect.issue,
        symptomObserved: symptomObserved(defect, suite),
      }
    : undefined;
  return finish(
    {
      ...decided,
      tools: tools.results(),
      phases,
      checks,
      ...(suite ? { suite } : {}),
      ...(knownDefect ? { knownDefect } : {}),
      ...(diagnostics ? { diagnostics } : {}),
      cleanup,
    },
    archive,
  );
}
