import type { CellConfig, KeepCluster } from '../config/cell-config.js';
import type { InputNaming } from '../config/inputs.js';
import type { executePlan, ExecutorDeps } from '../exec/executor.js';
import type { Fetcher } from '../exec/fetch.js';
import type { Log } from '../exec/log.js';
import type { ProcessRunner } from '../exec/process.js';
import type { Kubectl } from '../kube/kubectl.js';
import type { Plan, RenderedPlan } from '../plan/types.js';
import type { ResolvedCell } from '../resolve/cell.js';
import type { CellResult, CheckResult, PhaseResult, SuiteResult } from '../result/schema.js';
import type { PolicyApplier, SuiteRunner, SuiteTarget, SuiteTargetLoader } from '../suite/contract.js';
import type { Arch, ToolCache } from '../tools/install.js';
import type { CheckReport, HttpGet } from '../verify/collect-checks.js';
import type { ToolSet, InstallToolFn } from './tools.js';

export interface CellReportFiles {
  readonly junitFile: string;
  readonly summaryMarkdown: string;
}

/** Bounds the engine uses; tests shrink them. */
export interface EngineBounds {
  readonly kubectlMs: number;
  readonly ingressWaitMs: number;
  readonly ingressAttemptMs: number;
  readonly diagnosticsCommandMs: number;
  /** How long running steps may go on after a required one failed. */
  readonly drainSeconds: number;
  /** `docker info` in the preflight. */
  readonly dockerInfoMs: number;
  /** Fail fast: how often pods are read, and how long a pod may stay stuck before the wait ends. */
  readonly podWatchPollMs: number;
  readonly podStuckGraceMs: number;
}

export const DEFAULT_BOUNDS: EngineBounds = {
  kubectlMs: 30_000,
  ingressWaitMs: 60_000,
  ingressAttemptMs: 5_000,
  diagnosticsCommandMs: 60_000,
  drainSeconds: 60,
  dockerInfoMs: 20_000,
  podWatchPollMs: 5_000,
  podStuckGraceMs: 45_000,
};

/**
 * Of the run's deadline, what the main phases may never use: diagnostics, cleanup and the record get
 * at least this share (and at least the floor), whatever the main phases did.
 */
export const RESERVED_SHARE = 0.15;
export const RESERVED_FLOOR_MS = 3 * 60_000;

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
  /** Relative config paths (results-dir, suite) resolve against this. */
  readonly cwd: string;
  readonly arch?: Arch;
  readonly pathEnv?: string;
  readonly tmpDir?: string;
  readonly bounds?: Partial<EngineBounds>;
  readonly executePlan?: typeof executePlan;
  readonly installTool?: InstallToolFn;
  /** Draws this run's id (unique cluster name); default 6 random hex digits. */
  readonly runId?: () => string;
  /** A free TCP port on 127.0.0.1 for the gateway mapping; default: one the OS hands out. */
  readonly freePort?: () => Promise<number>;
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
  /** The user's cancellation: one signal, one meaning. Phases that must finish ignore it. */
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
  /** The kind cluster this run created (kind clusters). */
  readonly clusterName?: string;
  /** Its kubeconfig, set only when the cluster was kept: in a private temp dir, never in results-dir. */
  readonly kubeconfig?: string;
}

/** What must run to the end whatever happened (diagnostics, cleanup) runs under this: never aborted. */
export const UNCANCELLABLE: AbortSignal = new AbortController().signal;

/** What prepare decided: the cell, its plan and where everything goes. */
export interface Prepared {
  readonly cell: ResolvedCell;
  readonly rendered: RenderedPlan;
  readonly plan: Plan;
  readonly planDir: string;
  readonly resultsDir: string;
  readonly resultsFile: string;
  readonly suiteFile: string;
  readonly target: SuiteTarget;
  /** plan.env with paths resolved against the plan directory. */
  readonly env: Record<string, string>;
  readonly startedMs: number;
  /** The whole run's deadline, and the earlier one the main phases end by (the rest is reserved). */
  readonly deadlineMs: number;
  readonly mainDeadlineMs: number;
  readonly runId: string;
  readonly hostPort?: number;
  /** Set when on-unsupported: skip keeps this cell from running. */
  readonly skip?: string;
}

/** A verdict decided before the steps end (preflight, fail-fast): later main phases are skipped. */
export interface EarlyStop {
  readonly verdict: 'error' | 'unsupported';
  readonly reason: string;
}

/** One cell's run: each phase reads what earlier ones left and adds its own part. */
export class CellRun {
  readonly bounds: EngineBounds;
  tools?: ToolSet;
  /** Tool name → path, as the plan's commands await them. */
  readonly toolPaths: Record<string, Promise<string>> = {};
  clusterMayExist = false;
  phases: PhaseResult[] = [];
  kubectl?: Kubectl;
  clusterUp = false;
  checkReport?: CheckReport;
  checks: CheckResult[] = [];
  /** Why the workload did not become Available, when a workload step failed. */
  workloadExplanation?: string;
  suite?: SuiteResult;
  /** cluster existing: what the cluster runs (the result is labelled with it). */
  detected?: CellResult['detected'];
  decided?: Pick<CellResult, 'verdict' | 'reason'>;
  /** How many faults the verdict already accounts for; later ones are added to the reason. */
  faultsInVerdict = 0;
  diagnostics?: CellResult['diagnostics'];
  diagnosticsArchive?: string;
  cleanup?: NonNullable<CellResult['cleanup']>;
  /** Set by a phase that decided the verdict early; the main phases after it are skipped. */
  stop?: EarlyStop;
  host?: CellResult['host'];
  observed?: CellResult['observed'];
  readonly fetched: NonNullable<CellResult['fetched']> = [];
  /** A phase that threw: the later main phases are skipped, the verdict says so. */
  readonly faults: { phase: string; error: string }[] = [];
  outcome?: RunOutcome;

  constructor(
    readonly req: RunRequest,
    readonly deps: EngineDeps,
    readonly prepared: Prepared,
  ) {
    this.bounds = { ...DEFAULT_BOUNDS, ...deps.bounds };
  }

  get log(): Log {
    return this.deps.log;
  }

  get signal(): AbortSignal {
    return this.req.signal;
  }

  get plan(): Plan {
    return this.prepared.plan;
  }

  executorDeps(): ExecutorDeps {
    const { runner, fetcher, log, now, sleep } = this.deps;
    return { runner, fetcher, log, now, sleep };
  }

  /** Milliseconds the main phases have left (never negative). */
  mainRemainingMs(): number {
    return Math.max(0, this.prepared.mainDeadlineMs - this.deps.now());
  }

  /** The namespaces the harness uses: all that diagnostics and observation read on a user's cluster. */
  touchedNamespaces(): string[] {
    const { facts } = this.plan;
    return [
      ...new Set([this.prepared.target.namespace, facts.istioNamespace, facts.checks.csiDriver.namespace]),
    ];
  }

  /** Steps that are speed-ups: their failure is a warning. */
  optionalSteps(): Set<string> {
    return new Set(this.plan.steps.filter((s) => s.optional).map((s) => s.id));
  }
}
