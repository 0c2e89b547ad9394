import { isAbsolute, resolve } from 'node:path';
import {
  isFetch,
  type FetchCommand,
  type PipeCommand,
  type PlanCommand,
  type PlanStep,
} from '../plan/types.js';
import { checkSteps, commandLine, pipeLine } from '../plan/validate.js';
import { shellJoin } from '../util/shell.js';
import { setImageLines } from './set-image.js';
import { readFile, writeFile } from 'node:fs/promises';
import type { PhaseResult } from '../result/schema.js';
import type { Fetcher } from './fetch.js';
import { TransientFetchError } from './fetch-errors.js';
import type { Log } from './log.js';
import type { ProcessRunner, RunResult } from './process.js';
import { kubeconfigWatcher } from './secrets.js';

export interface ExecutorDeps {
  readonly runner: ProcessRunner;
  readonly fetcher: Fetcher;
  readonly log: Log;
  readonly now: () => number;
  /** Resolves after ms, or early (resolve or reject) when signal aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface ExecuteOptions {
  /** Commands run with cwd = planDir; fetch DEST is relative to it. */
  readonly planDir: string;
  /** Extra env for every command (the caller resolves plan.env paths). */
  readonly env: Readonly<Record<string, string>>;
  /** argv[0] → absolute binary path; a step awaits each tool it uses before its first command. */
  readonly tools: Readonly<Record<string, string | Promise<string>>>;
  /** Cancellation: running commands are killed, nothing new starts, remaining steps 'cancelled'. */
  readonly signal: AbortSignal;
  readonly onStep?: (r: PhaseResult) => void;
  /** A step is starting (its result comes through onStep). */
  readonly onStart?: (step: PlanStep) => void;
  /** After a required step fails, how long steps still running may go on before they are stopped (default 60). */
  readonly drainSeconds?: number;
  /** The run's deadline for these steps (deps.now() clock): each step's bound is cut to what is left. */
  readonly deadlineAt?: number;
  /** Every file fetched, with the sha256 of the bytes received (for the results). */
  readonly onFetched?: (f: { url: string; dest: string; sha256: string; bytes: number }) => void;
}

/** Lines of stderr (or stdout) kept in a PhaseResult error. */
const ERROR_TAIL_LINES = 15;
const ERROR_TAIL_CHARS = 2_000;
/** Of a failed fallback's tail, the lines kept from the command it replaced. */
const FIRST_COMMAND_TAIL_LINES = 5;
const DEFAULT_DRAIN_SECONDS = 60;

function tail(text: string, maxLines = ERROR_TAIL_LINES): string {
  const lines = text.trimEnd().split('\n').slice(-maxLines).join('\n');
  return lines.length > ERROR_TAIL_CHARS ? `…${lines.slice(-ERROR_TAIL_CHARS)}` : lines;
}

/** What one command did, reduced to what the step needs. */
interface CommandOutcome {
  readonly ok: boolean;
  /** One line: which command, how it failed. */
  readonly reason: string;
  /** Text the transient regexes are matched against, and whose tail goes into the error. */
  readonly output: string;
  readonly errorTail: string;
  readonly transientHint: boolean;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
}

/** How a program (or a pipe) ended, for the step's one-line reason. */
function howItEnded(r: RunResult): string {
  if (r.timedOut) return 'was killed at the step time bound';
  if (r.cancelled) return 'was stopped';
  return r.exitCode === null ? 'could not run or was killed' : `exited ${r.exitCode}`;
}

const SUCCEEDED: CommandOutcome = {
  ok: true,
  reason: '',
  output: '',
  errorTail: '',
  transientHint: false,
  timedOut: false,
  cancelled: false,
};

type StopReason = 'cancelled' | 'timed-out' | 'drained' | 'finished';

class StepRun {
  /** 1 + the retries the step took (0 until its first command runs), not the number of commands. */
  attempts = 0;
  private readonly timeout: AbortSignal;
  readonly signal: AbortSignal;
  private readonly deadline: number;
  /** The bound this step got: its own, or what was left of the run's deadline. */
  readonly boundSeconds: number;
  readonly cutToDeadline: boolean;

  constructor(
    readonly step: PlanStep,
    private readonly opts: ExecuteOptions,
    private readonly deps: ExecutorDeps,
    private readonly transient: readonly RegExp[],
    drain: AbortSignal,
    private readonly finished: AbortSignal,
    private readonly maskCredentials: () => void = () => undefined,
  ) {
    const own = step.timeoutSeconds * 1000;
    const left = opts.deadlineAt === undefined ? Infinity : Math.max(1, opts.deadlineAt - deps.now());
    const ms = Math.min(own, left);
    this.cutToDeadline = left < own;
    this.boundSeconds = Math.round(ms / 100) / 10;
    this.timeout = AbortSignal.timeout(ms);
    this.deadline = performance.now() + ms;
    this.signal = AbortSignal.any([opts.signal, this.timeout, drain, ...(step.background ? [finished] : [])]);
  }

  stopReason(): StopReason | undefined {
    if (this.opts.signal.aborted) return 'cancelled';
    if (this.timeout.aborted) return 'timed-out';
    if (this.step.background && this.finished.aborted) return 'finished';
    if (this.signal.aborted) return 'drained';
    return undefined;
  }

  private remainingMs(): number {
    return Math.max(1, Math.ceil(this.deadline - performance.now()));
  }

  /** Waits for every tool the step's commands name, within the step's bound. */
  async resolveTools(): Promise<Map<string, string>> {
    const names = new Set<string>();
    for (const c of [...this.step.commands, ...(this.step.retry?.beforeRetry ?? [])]) {
      const tool = isFetch(c) ? undefined : c.exec[0];
      if (tool && tool in this.opts.tools) names.add(tool);
    }
    const paths = new Map<string, string>();
    const aborted = new Promise<never>((_, reject) => {
      const fail = (): void => reject(new Error('stopped while waiting for tools'));
      if (this.signal.aborted) fail();
      else this.signal.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => undefined);
    for (const name of names) {
      try {
        paths.set(name, await Promise.race([Promise.resolve(this.opts.tools[name]!), aborted]));
      } catch (e) {
        if (this.signal.aborted) throw e;
        throw new Error(`tool ${name} is not available: ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        });
      }
    }
    return paths;
  }

  async command(c: PlanCommand, tools: ReadonlyMap<string, string>): Promise<CommandOutcome> {
    const printed = commandLine(c);
    this.deps.log.info(`$ ${printed}`);
    if (isFetch(c)) return this.fetch(c, printed);
    const argv = c.exec;
    const resolved = [tools.get(argv[0]!) ?? argv[0]!, ...argv.slice(1)];
    this.maskCredentials();
    let streamed = false;
    const r: RunResult = await this.deps.runner.run(resolved, {
      cwd: this.opts.planDir,
      env: this.opts.env,
      timeoutMs: this.remainingMs(),
      signal: this.signal,
      onLine: (line) => {
        streamed = true;
        this.maskCredentials();
        this.deps.log.info(line);
      },
    });
    // kind writes the kubeconfig during a command: its credentials are masked before any output is kept.
    this.maskCredentials();
    const output = [r.stdout, r.stderr].filter(Boolean).join('\n');
    if (!streamed && output.trim()) for (const l of output.trimEnd().split('\n')) this.deps.log.info(l);
    const ok = r.exitCode === 0 && !r.timedOut && !r.cancelled;
    if (!ok && c.orElse?.length && !r.timedOut && !r.cancelled && !this.signal.aborted) {
      this.deps.log.warn(`${shellJoin(argv)} failed; falling back to ${c.orElse.map(pipeLine).join(' && ')}`);
      return this.fallback(c.orElse, output);
    }
    const how = howItEnded(r);
    return {
      ok,
      reason: `${printed} ${how}`,
      output,
      errorTail: tail(r.stderr || r.stdout),
      transientHint: false,
      timedOut: r.timedOut,
      cancelled: r.cancelled,
    };
  }

  /** Each pipe in order; the first failure is the command's. The first program's output stays in the record. */
  private async fallback(pipes: readonly PipeCommand[], firstOutput: string): Promise<CommandOutcome> {
    for (const p of pipes) {
      const printed = pipeLine(p);
      this.deps.log.info(`$ ${printed}`);
      const resolved = p.pipe.map((argv) => [argv[0]!, ...argv.slice(1)]);
      const r: RunResult = this.deps.runner.pipe
        ? await this.deps.runner.pipe(resolved, {
            cwd: this.opts.planDir,
            env: this.opts.env,
            timeoutMs: this.remainingMs(),
            signal: this.signal,
            onLine: (line) => this.deps.log.info(line),
          })
        : {
            argv: resolved.flat(),
            exitCode: null,
            stdout: '',
            stderr: 'this process runner cannot pipe one program into another',
            timedOut: false,
            cancelled: false,
            durationMs: 0,
          };
      const ok = r.exitCode === 0 && !r.timedOut && !r.cancelled;
      if (ok) continue;
      const how = howItEnded(r);
      const output = [firstOutput, r.stdout, r.stderr].filter(Boolean).join('\n');
      return {
        ok: false,
        reason: `${printed} ${how} (the fallback)`,
        output,
        // Each program keeps its own share: a pipe's noise (a writer's EPIPE trace) must not hide why the
        // first command failed.
        errorTail: `${tail(firstOutput, FIRST_COMMAND_TAIL_LINES)}\n${tail(r.stderr || r.stdout, ERROR_TAIL_LINES - FIRST_COMMAND_TAIL_LINES)}`,
        transientHint: false,
        timedOut: r.timedOut,
        cancelled: r.cancelled,
      };
    }
    return SUCCEEDED;
  }

  private async fetch({ fetch: f }: FetchCommand, printed: string): Promise<CommandOutcome> {
    const fail = (msg: string, transientHint: boolean): CommandOutcome => ({
      ok: false,
      reason: `${printed} failed`,
      output: msg,
      errorTail: msg,
      transientHint,
      timedOut: false,
      cancelled: this.signal.aborted,
    });
    const dest = isAbsolute(f.dest) ? f.dest : resolve(this.opts.planDir, f.dest);
    try {
      const got = await this.deps.fetcher.fetchToFile(f.url, dest, {
        ...(f.sha256 ? { sha256: f.sha256 } : {}),
        signal: this.signal,
      });
      this.deps.log.info(`${got.bytes} bytes, sha256 ${got.sha256}`);
      this.opts.onFetched?.({ url: f.url, dest: f.dest, sha256: got.sha256, bytes: got.bytes });
      if (f.setImage) {
        // After the check: the sha256 recorded is the upstream file's, the edit is the plan's.
        const { name, image } = f.setImage;
        const edited = setImageLines(await readFile(dest, 'utf8'), name, image);
        if (edited.replaced === 0)
          return fail(`${f.url} names no ${name} image: cannot set it to ${image}`, false);
        await writeFile(dest, edited.text);
        this.deps.log.info(`set ${edited.replaced} ${name} image line(s) to ${image}`);
      }
      return SUCCEEDED;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.deps.log.info(msg);
      return fail(msg, e instanceof TransientFetchError);
    }
  }

  isTransient(o: CommandOutcome): RegExp | 'network' | undefined {
    if (o.transientHint) return 'network';
    return this.transient.find((re) => re.test(o.output));
  }

  async sleep(ms: number): Promise<void> {
    try {
      await this.deps.sleep(ms, this.signal);
    } catch {
      // Aborted: the caller checks stopReason().
    }
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

async function runStep(
  run: StepRun,
  deps: ExecutorDeps,
): Promise<Pick<PhaseResult, 'status' | 'error' | 'attempts'>> {
  const { step } = run;
  const stopped = (
    reason: StopReason,
    detail?: string,
  ): Pick<PhaseResult, 'status' | 'error' | 'attempts'> => {
    const base =
      reason === 'timed-out'
        ? run.cutToDeadline
          ? `timed out after ${run.boundSeconds} s, its bound cut to what was left of the run's deadline (timeout-minutes)`
          : `timed out after ${step.timeoutSeconds} s`
        : reason === 'cancelled'
          ? 'cancelled'
          : reason === 'finished'
            ? 'stopped: every other step had finished (a speed-up nothing waits on)'
            : 'stopped after another step failed';
    return {
      status: reason === 'timed-out' ? 'timed-out' : 'cancelled',
      error: detail ? `${base}: ${detail}` : base,
      attempts: run.attempts,
    };
  };
  let tools: Map<string, string>;
  try {
    tools = await run.resolveTools();
  } catch (e) {
    const why = run.stopReason();
    if (why) return stopped(why, 'while waiting for tools');
    return { status: 'failed', error: oneLine((e as Error).message), attempts: 0 };
  }
  const policy = step.retry;
  const maxAttempts = Math.max(1, policy?.attempts ?? 1);
  run.attempts = step.commands.length > 0 ? 1 : 0;
  for (const command of step.commands) {
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) run.attempts++;
      const o = await run.command(command, tools);
      if (o.ok) break;
      const why = run.stopReason();
      if (why) return stopped(why, oneLine(o.reason) + (o.errorTail ? `\n${o.errorTail}` : ''));
      const transient = policy ? run.isTransient(o) : undefined;
      if (!transient || attempt >= maxAttempts) {
        const note = transient ? ` (${attempt} attempts)` : '';
        return {
          status: 'failed',
          error: `${oneLine(o.reason)}${note}${o.errorTail ? `\n${o.errorTail}` : ''}`,
          attempts: run.attempts,
        };
      }
      const matched = transient === 'network' ? 'a network error' : `/${transient.source}/`;
      deps.log.warn(
        `${step.id}: attempt ${attempt}/${maxAttempts} failed with ${matched}; retrying in ${policy!.delaySeconds} s`,
      );
      await run.sleep(policy!.delaySeconds * 1000);
      const whyNow = run.stopReason();
      if (whyNow) return stopped(whyNow, oneLine(o.reason));
      for (const before of policy!.beforeRetry ?? []) {
        const b = await run.command(before, tools);
        if (!b.ok) deps.log.warn(`${step.id}: before retry: ${oneLine(b.reason)} (going on)`);
        const whyB = run.stopReason();
        if (whyB) return stopped(whyB, oneLine(o.reason));
      }
    }
  }
  return { status: 'passed', attempts: run.attempts };
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Runs the plan's steps as a DAG: a step starts once each dependency passed (or failed while
 * optional). After a required step fails nothing new starts, running steps get drainSeconds to
 * finish, and the rest are skipped. Results come back in plan order.
 */
export async function executePlan(
  steps: readonly PlanStep[],
  opts: ExecuteOptions,
  deps: ExecutorDeps,
): Promise<PhaseResult[]> {
  const transient = checkSteps(steps);
  // A tool promise no step ends up awaiting (the run stopped first) must not reject unhandled.
  for (const t of Object.values(opts.tools)) if (typeof t !== 'string') t.catch(() => undefined);
  const results = new Map<string, PhaseResult>();
  const running = new Map<string, Promise<void>>();
  const drain = new AbortController();
  const maskCredentials = kubeconfigWatcher(opts.env.KUBECONFIG, deps.log);
  // Background steps (speed-ups) stop once every other step has a result.
  const finished = new AbortController();
  const isBackground = new Map(steps.map((s) => [s.id, s.background === true]));
  let blockedBy: string | undefined;
  let drainTimer: NodeJS.Timeout | undefined;

  const settled = (id: string): boolean => {
    const r = results.get(id);
    if (!r) return false;
    const step = steps.find((s) => s.id === id)!;
    return (
      r.status === 'passed' || (step.optional === true && r.status !== 'skipped' && r.status !== 'cancelled')
    );
  };

  const finish = (r: PhaseResult): void => {
    results.set(r.id, r);
    opts.onStep?.(r);
  };

  const start = (step: PlanStep): void => {
    const run = new StepRun(
      step,
      opts,
      deps,
      transient.get(step.id) ?? [],
      drain.signal,
      finished.signal,
      maskCredentials,
    );
    opts.onStart?.(step);
    const startedMs = deps.now();
    const p = deps.log
      .group(`${step.id} — ${step.title}`, async () => {
        const outcome = await runStep(run, deps);
        const durationMs = Math.max(0, deps.now() - startedMs);
        const line = `${step.id}: ${outcome.status} in ${formatSeconds(durationMs)} (${outcome.attempts} attempt${outcome.attempts === 1 ? '' : 's'})`;
        if (outcome.status === 'passed') deps.log.info(line);
        else if (step.optional) deps.log.warn(`${line}; optional, going on: ${outcome.error ?? ''}`);
        else deps.log.error(`${line}: ${outcome.error ?? ''}`);
        return { ...outcome, durationMs };
      })
      .then((o) => {
        const error = o.error ? (deps.log.redact?.(o.error) ?? o.error) : undefined;
        const r: PhaseResult = {
          id: step.id,
          title: step.title,
          phase: step.phase,
          status: o.status,
          startedAt: new Date(startedMs).toISOString(),
          durationMs: o.durationMs,
          attempts: o.attempts,
          ...(error ? { error } : {}),
        };
        finish(r);
        if (r.status !== 'passed' && !step.optional && !blockedBy) {
          blockedBy = step.id;
          const grace = (opts.drainSeconds ?? DEFAULT_DRAIN_SECONDS) * 1000;
          drainTimer = setTimeout(() => drain.abort(new Error(`step ${step.id} failed`)), grace);
        }
      })
      .finally(() => running.delete(step.id));
    running.set(step.id, p);
  };

  try {
    for (;;) {
      if (!blockedBy && !opts.signal.aborted) {
        for (const s of steps) {
          if (results.has(s.id) || running.has(s.id)) continue;
          if (s.background && finished.signal.aborted) continue;
          if (s.dependsOn.every(settled)) start(s);
        }
      }
      if (running.size === 0) break;
      // No foreground step running after scheduling: none can start any more (none depends on a background one).
      if (!finished.signal.aborted && [...running.keys()].every((id) => isBackground.get(id))) {
        finished.abort(new Error('every other step finished'));
      }
      await Promise.race(running.values());
    }
  } finally {
    if (drainTimer) clearTimeout(drainTimer);
  }

  for (const s of steps) {
    if (results.has(s.id)) continue;
    const cancelled = opts.signal.aborted;
    if (s.background && finished.signal.aborted && !cancelled) {
      finish({
        id: s.id,
        title: s.title,
        phase: s.phase,
        status: 'skipped',
        durationMs: 0,
        attempts: 0,
        error: 'not started: every other step had finished (a speed-up nothing waits on)',
      });
      continue;
    }
    finish({
      id: s.id,
      title: s.title,
      phase: s.phase,
      status: cancelled ? 'cancelled' : 'skipped',
      durationMs: 0,
      attempts: 0,
      error: cancelled
        ? 'not started: the run was cancelled'
        : blockedBy
          ? `not started: step ${blockedBy} failed`
          : 'not started: a dependency did not pass',
    });
  }
  return steps.map((s) => results.get(s.id)!);
}
