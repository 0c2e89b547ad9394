import type { ProcessRunner, RunResult } from '../exec/process.js';
import { fetchedError, fetchedOk, firstLine, type Fetched } from './objects.js';

/** How one kubectl call failed, decided in one place for every caller. */
export type KubectlFailure =
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'spawn'; readonly detail: string }
  | { readonly kind: 'exit'; readonly exitCode: number; readonly stderr: string; readonly stdout: string };

export class KubectlError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'KubectlError';
  }
}

/** Why a process never started, from the runner's error text (e.g. "spawn /x ENOENT"). */
function spawnFailure(text: string): string {
  const lines = text.split('\n').map((l) => l.trim());
  return lines.find((l) => l.startsWith('spawn ')) ?? lines.find(Boolean) ?? 'spawn failed';
}

export function classify(r: RunResult, timeoutMs: number): KubectlFailure | undefined {
  if (r.cancelled) return { kind: 'cancelled' };
  if (r.timedOut) return { kind: 'timeout', timeoutMs };
  if (r.exitCode === null) return { kind: 'spawn', detail: spawnFailure(r.stderr) };
  if (r.exitCode !== 0) return { kind: 'exit', exitCode: r.exitCode, stderr: r.stderr, stdout: r.stdout };
  return undefined;
}

export interface KubectlOptions {
  readonly runner: ProcessRunner;
  /** The kubectl binary. */
  readonly path: string;
  /** KUBECONFIG of a kind cluster; empty for the current context. */
  readonly env?: Readonly<Record<string, string>>;
  /** Bound of each call unless the call says otherwise. */
  readonly timeoutMs: number;
  /** Adds `--request-timeout` to reads, so the API server gives up with the process. */
  readonly requestTimeout?: boolean;
}

/**
 * The one way the harness talks to a cluster: reads give `Fetched` (a value or one line saying why
 * not), writes throw `KubectlError`. Argv only, every call bounded and cancellable.
 */
export class Kubectl {
  constructor(readonly opts: KubectlOptions) {}

  get path(): string {
    return this.opts.path;
  }

  async run(args: readonly string[], signal: AbortSignal, timeoutMs = this.opts.timeoutMs, input?: string) {
    const r = await this.opts.runner.run([this.opts.path, ...args], {
      timeoutMs,
      signal,
      ...(this.opts.env ? { env: this.opts.env } : {}),
      ...(input !== undefined ? { input } : {}),
    });
    return { result: r, failure: classify(r, timeoutMs) };
  }

  private async read(args: readonly string[], signal: AbortSignal, json: boolean): Promise<Fetched> {
    const t = this.opts.timeoutMs;
    const extra = this.opts.requestTimeout ? [`--request-timeout=${Math.ceil(t / 1000)}s`] : [];
    // kubectl's own flags go before `--`: after it they belong to the command run in the pod.
    const dash = args.indexOf('--');
    const full = dash < 0 ? [...args, ...extra] : [...args.slice(0, dash), ...extra, ...args.slice(dash)];
    const { result, failure } = await this.run(full, signal);
    const what = args.slice(0, 3).join(' ');
    if (failure) {
      const why =
        failure.kind === 'timeout'
          ? `timed out after ${t} ms`
          : failure.kind === 'cancelled'
            ? 'cancelled'
            : failure.kind === 'spawn'
              ? failure.detail
              : firstLine(failure.stderr || failure.stdout) || `exit ${failure.exitCode}`;
      return fetchedError(`${what}: ${why}`);
    }
    if (!json) return fetchedOk(result.stdout);
    try {
      return fetchedOk(JSON.parse(result.stdout));
    } catch {
      return fetchedError(`${what}: output is not JSON`);
    }
  }

  /** `kubectl get … -o json`, parsed. */
  getJson(args: readonly string[], signal: AbortSignal): Promise<Fetched> {
    return this.read([...args, '-o', 'json'], signal, true);
  }

  logs(pod: string, container: string, namespace: string, signal: AbortSignal): Promise<Fetched> {
    return this.read(['logs', pod, '-c', container, '-n', namespace], signal, false);
  }

  exec(
    pod: string,
    container: string,
    namespace: string,
    argv: readonly string[],
    signal: AbortSignal,
  ): Promise<Fetched> {
    return this.read(['exec', pod, '-c', container, '-n', namespace, '--', ...argv], signal, false);
  }

  private async write(args: readonly string[], signal: AbortSignal, input?: string): Promise<void> {
    signal.throwIfAborted();
    const shown = `kubectl ${args.join(' ')}`;
    const { failure } = await this.run(args, signal, this.opts.timeoutMs, input);
    if (!failure) return;
    switch (failure.kind) {
      case 'cancelled':
        throw signal.reason instanceof Error ? signal.reason : new Error(`${shown} cancelled`);
      case 'timeout':
        throw new KubectlError(`${shown} did not finish within ${failure.timeoutMs / 1000} s`, '');
      case 'spawn':
        throw new KubectlError(`${shown} failed: cannot run ${this.opts.path} (${failure.detail})`, '');
      case 'exit': {
        const stderr = failure.stderr.trim();
        throw new KubectlError(
          `${shown} failed (exit ${failure.exitCode}): ${stderr || 'no error output'}`,
          stderr,
        );
      }
    }
  }

  apply(file: string, signal: AbortSignal): Promise<void> {
    return this.write(['apply', '-f', file], signal);
  }

  /** `kubectl apply -f -` of one object the harness built (JSON on stdin, no file). */
  applyObject(obj: Record<string, unknown>, signal: AbortSignal): Promise<void> {
    return this.write(['apply', '-f', '-'], signal, JSON.stringify(obj));
  }

  /** `kubectl delete <kind>/<name> -n <ns> --ignore-not-found`. */
  deleteNamed(kind: string, name: string, namespace: string, signal: AbortSignal): Promise<void> {
    return this.write(['delete', `${kind}/${name}`, '-n', namespace, '--ignore-not-found'], signal);
  }

  delete(file: string, signal: AbortSignal): Promise<void> {
    return this.write(['delete', '-f', file, '--ignore-not-found'], signal);
  }
}
