import { spawn, type ChildProcess } from 'node:child_process';
import type { RunOptions, RunResult } from './process.js';

const KILL_GRACE_MS = 2_000;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * `a | b | …` without a shell: each program's stdout is piped into the next one's stdin by this
 * process, so no argument is ever parsed by a shell. Exit status as with `pipefail`: the last
 * non-zero one. stdout is the last program's; stderr is every program's, in order.
 */
export async function runPipe(argvs: readonly (readonly string[])[], opts: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const flat = argvs.flatMap((a) => [...a, '|']).slice(0, -1);
  if (argvs.length === 0 || argvs.some((a) => !a[0])) throw new Error('runPipe: an empty program');
  if (opts.signal?.aborted)
    return {
      argv: flat,
      exitCode: null,
      stdout: '',
      stderr: '',
      timedOut: false,
      cancelled: true,
      durationMs: 0,
    };
  const env = { ...process.env, ...(opts.env ?? {}) };
  const children = argvs.map((argv, i) =>
    spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
      env,
      detached: true,
      stdio: [i === 0 ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    }),
  );
  const stderr: string[] = children.map(() => '');
  let stdout = '';
  const spawnErrors: string[] = [];
  children.forEach((c, i) => {
    c.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr[i] += d;
      for (const l of d.split('\n')) if (l) opts.onLine?.(l, 'stderr');
    });
    c.on('error', (e) => spawnErrors.push(`${argvs[i]![0]}: ${e.message}`));
    const next = children[i + 1];
    if (next) {
      // The reader may end first (it failed): the writer then sees EPIPE, reported by its own exit.
      next.stdin!.on('error', () => undefined);
      c.stdout!.pipe(next.stdin!);
      // Nothing reads any more: close the writer's pipe so it gets EPIPE instead of blocking forever.
      next.on('close', () => c.stdout!.destroy());
    } else {
      c.stdout!.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        for (const l of d.split('\n')) if (l) opts.onLine?.(l, 'stdout');
      });
    }
  });
  let timedOut = false;
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'timeout' | 'cancel'): void => {
    if (timedOut || cancelled) return;
    if (why === 'timeout') timedOut = true;
    else cancelled = true;
    for (const c of children) killGroup(c, 'SIGTERM');
    killTimer = setTimeout(() => children.forEach((c) => killGroup(c, 'SIGKILL')), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
  const onAbort = (): void => stop('cancel');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const codes = await Promise.all(
      children.map(
        (c) =>
          new Promise<number | null>((resolve) => {
            c.on('close', (code) => resolve(code));
            c.on('error', () => resolve(null));
          }),
      ),
    );
    const failed = [...codes].reverse().find((c) => c !== 0);
    return {
      argv: flat,
      exitCode: failed === undefined ? 0 : failed,
      stdout,
      stderr: [...stderr, ...spawnErrors.map((e) => `${e}\n`)].join(''),
      timedOut,
      cancelled,
      durationMs: performance.now() - started,
    };
  } finally {
    clearTimeout(timer);
    if (killTimer) clearTimeout(killTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    if (timedOut || cancelled) for (const c of children) killGroup(c, 'SIGKILL');
  }
}
