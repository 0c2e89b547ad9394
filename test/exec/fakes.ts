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
