import { execa } from 'execa';
import type { PolicyApplier } from '../contracts.js';

export const KUBECTL_TIMEOUT_MS = 60_000;

export class KubectlError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'KubectlError';
  }
}

/**
 * `kubectl apply -f FILE` / `kubectl delete -f FILE --ignore-not-found` as a child process (argv only),
 * each bounded by `timeoutMs` and by the caller's signal.
 */
export function kubectlPolicyApplier(
  kubectlPath: string,
  env?: Record<string, string>,
  timeoutMs = KUBECTL_TIMEOUT_MS,
): PolicyApplier {
  const run = async (args: readonly string[], signal: AbortSignal): Promise<void> => {
    signal.throwIfAborted();
    const shown = `kubectl ${args.join(' ')}`;
    const r = await execa(kubectlPath, args, {
      reject: false,
      timeout: timeoutMs,
      cancelSignal: signal,
      forceKillAfterDelay: 2000,
      stdin: 'ignore',
      ...(env ? { env } : {}),
    });
    if (r.isCanceled) throw signal.reason instanceof Error ? signal.reason : new Error(`${shown} cancelled`);
    if (r.timedOut)
      throw new KubectlError(`${shown} did not finish within ${timeoutMs / 1000} s`, r.stderr ?? '');
    if (r.failed) {
      const stderr = (r.stderr ?? '').trim();
      if (r.exitCode === undefined) {
        const why = r.originalMessage || (r.shortMessage ?? 'spawn failed').split('\n')[0];
        throw new KubectlError(`${shown} failed: cannot run ${kubectlPath} (${why})`, stderr);
      }
      throw new KubectlError(`${shown} failed (exit ${r.exitCode}): ${stderr || 'no error output'}`, stderr);
    }
  };
  return {
    apply: (file, signal) => run(['apply', '-f', file], signal),
    delete: (file, signal) => run(['delete', '-f', file, '--ignore-not-found'], signal),
  };
}
