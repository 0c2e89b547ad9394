import { Writable } from 'node:stream';
import type { ExecutorDeps } from '../../src/exec/executor.js';
import { sleepFor } from '../../src/util/sleep.js';
import type { Fetcher } from '../../src/exec/fetch.js';
import { streamLog, type Log } from '../../src/exec/log.js';
import type { ProcessRunner, RunOptions, RunResult } from '../../src/exec/process.js';

/** What the fake cluster tool answers for one argv. */
export interface FakeAnswer {
  readonly exitCode?: number;
  readonly stdout?: string;
  readonly stderr?: string;
  readonly delayMs?: number;
  /** Runs until this settles (or the run is stopped): the test decides when a command ends. */
  readonly gate?: Promise<void>;
}

export interface Call {
  readonly argv: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly start: number;
  end: number;
  result?: RunResult;
}

/**
 * An in-process stand-in for kind/kubectl/istioctl/docker: answers by argv after a delay, honours
 * timeoutMs and the abort signal like the real runner, and records every call.
 */
export class FakeRunner implements ProcessRunner {
  readonly calls: Call[] = [];
  constructor(private readonly answer: (argv: readonly string[], n: number) => FakeAnswer) {}

  async run(argv: readonly string[], opts: RunOptions): Promise<RunResult> {
    const t0 = performance.now();
    const call: Call = { argv, cwd: opts.cwd, env: opts.env, start: t0, end: t0 };
    const n = this.calls.filter((c) => c.argv.join(' ') === argv.join(' ')).length;
    this.calls.push(call);
    const a = this.answer(argv, n);
    const bound = AbortSignal.timeout(opts.timeoutMs);
    const stop = opts.signal ? AbortSignal.any([opts.signal, bound]) : bound;
    await sleepFor(a.delayMs ?? 0, stop);
    if (a.gate) {
      const stopped = new Promise<void>((r) => stop.addEventListener('abort', () => r(), { once: true }));
      await Promise.race([a.gate, stopped]);
    }
    const timedOut = bound.aborted && !opts.signal?.aborted;
    const cancelled = !!opts.signal?.aborted;
    call.end = performance.now();
    const result: RunResult = {
      argv,
      exitCode: timedOut || cancelled ? null : (a.exitCode ?? 0),
      stdout: a.stdout ?? '',
      stderr: a.stderr ?? '',
      timedOut,
      cancelled,
      durationMs: call.end - t0,
    };
    call.result = result;
    return result;
  }
}

/** Commands that run until the test releases them: which ones run at once is seen, not timed. */
export function gatedCalls() {
  const running = new Set<string>();
  const releases = new Map<string, () => void>();
  const starts = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const startOf = (name: string) => {
    let s = starts.get(name);
    if (!s) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      starts.set(name, (s = { promise, resolve }));
    }
    return s;
  };
  return {
    /** For FakeAnswer.gate: marks `name` running until released. */
    enter(name: string): Promise<void> {
      running.add(name);
      startOf(name).resolve();
      return new Promise<void>((r) =>
        releases.set(name, () => {
          running.delete(name);
          r();
        }),
      );
    },
    started: (name: string): Promise<void> => startOf(name).promise,
    running: (): string[] => [...running].sort(),
    release: (name: string): void => releases.get(name)!(),
  };
}

/** A Log writing into a string (the real streamLog). */
export function memoryLog(): { log: Log; text: () => string } {
  let buf = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return { log: streamLog(out), text: () => buf };
}

export const noFetch: Fetcher = {
  fetchToFile: () => Promise.reject(new Error('no fetch expected in this test')),
};

export function deps(runner: ProcessRunner, log: Log, fetcher: Fetcher = noFetch): ExecutorDeps {
  return { runner, fetcher, log, now: Date.now, sleep: sleepFor };
}
