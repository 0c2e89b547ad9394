import { execa } from 'execa';
import { runPipe } from './pipe.js';

export interface RunOptions {
  readonly cwd?: string;
  /** Merged over process.env. */
  readonly env?: Readonly<Record<string, string>>;
  /** Hard bound: the whole process group is killed when it passes. */
  readonly timeoutMs: number;
  /** Aborting kills the whole process group; the result has `cancelled: true`. */
  readonly signal?: AbortSignal;
  readonly input?: string;
  /** Called with each complete output line as it arrives (for live logs). */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunResult {
  readonly argv: readonly string[];
  /** null when the process was killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  readonly durationMs: number;
}

/** Runs argv (no shell). Never throws for a non-zero exit, a timeout or a missing executable. */
export interface ProcessRunner {
  run(argv: readonly string[], opts: RunOptions): Promise<RunResult>;
  /** `a | b`, each program's stdout into the next one's stdin, no shell. Absent: this runner cannot pipe. */
  pipe?(argvs: readonly (readonly string[])[], opts: RunOptions): Promise<RunResult>;
}

/** After SIGTERM, how long a process group gets before SIGKILL. */
const KILL_GRACE_MS = 2_000;

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    // Negative pid: the group the detached child leads, so grandchildren die too.
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function lineSplitter(emit: (line: string) => void): { push(chunk: string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) emit(p.replace(/\r$/, ''));
    },
    end() {
      if (rest) emit(rest);
      rest = '';
    },
  };
}

export function execaRunner(): ProcessRunner {
  return {
    pipe: runPipe,
    async run(argv, opts) {
      const started = performance.now();
      const [file, ...args] = argv;
      if (!file) throw new Error('execaRunner: empty argv');
      let timedOut = false;
      let cancelled = false;
      if (opts.signal?.aborted) {
        return { argv, exitCode: null, stdout: '', stderr: '', timedOut, cancelled: true, durationMs: 0 };
      }
      const child = execa(file, args, {
        cwd: opts.cwd,
        env: opts.env ? { ...opts.env } : undefined,
        extendEnv: true,
        reject: false,
        detached: true,
        cleanup: true,
        stripFinalNewline: false,
        encoding: 'utf8',
        ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
      });
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (why: 'timeout' | 'cancel'): void => {
        if (timedOut || cancelled) return;
        if (why === 'timeout') timedOut = true;
        else cancelled = true;
        killGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
      };
      const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
      const onAbort = (): void => stop('cancel');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.onLine) {
        const onLine = opts.onLine;
        for (const stream of ['stdout', 'stderr'] as const) {
          const split = lineSplitter((l) => onLine(l, stream));
          child[stream]?.setEncoding('utf8');
          child[stream]?.on('data', (c: string) => split.push(c));
          child[stream]?.on('end', () => split.end());
        }
      }
      try {
        const r = await child;
        const stderr =
          r.stderr === '' && r.exitCode === undefined && !timedOut && !cancelled ? r.message : r.stderr;
        return {
          argv,
          exitCode: r.exitCode ?? null,
          stdout: typeof r.stdout === 'string' ? r.stdout : '',
          stderr: typeof stderr === 'string' ? stderr : '',
          timedOut,
          cancelled,
          durationMs: performance.now() - started,
        };
      } finally {
        clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        // A group leader that exited may leave children holding nothing we wait for; end them.
        if (timedOut || cancelled) killGroup(child.pid, 'SIGKILL');
      }
    },
  };
}
