import type { PolicyApplier } from '../contracts.js';
import { execaRunner, type ProcessRunner } from '../exec/process.js';

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

/** Why a process never started, from the runner's error text (e.g. "spawn /x ENOENT"). */
function spawnFailure(text: string): string {
  const lines = text.split('\n').map((l) => l.trim());
  return lines.find((l) => l.startsWith('spawn ')) ?? lines.find(Boolean) ?? 'spawn failed';
}

/**
 * `kubectl apply -f FILE` / `kubectl delete -f FILE --ignore-not-found` through the process runner
 * (argv only), each bounded by `timeoutMs` and by the caller's signal.
 */
export function kubectlPolicyApplier(
  kubectlPath: string,
  env?: Record<string, string>,
  timeoutMs = KUBECTL_TIMEOUT_MS,
  runner: ProcessRunner = execaRunner(),
): PolicyApplier {
  const run = async (args: readonly string[], signal: AbortSignal): Promise<void> => {
    signal.throwIfAborted();
    const shown = `kubectl ${args.join(' ')}`;
    const r = await runner.run([kubectlPath, ...args], { timeoutMs, signal, ...(env ? { env } : {}) });
    const stderr = r.stderr.trim();
    if (r.cancelled) throw signal.reason instanceof Error ? signal.reason : new Error(`${shown} cancelled`);
    if (r.timedOut) throw new KubectlError(`${shown} did not finish within ${timeoutMs / 1000} s`, stderr);
    if (r.exitCode === null) {
      throw new KubectlError(`${shown} failed: cannot run ${kubectlPath} (${spawnFailure(stderr)})`, stderr);
    }
    if (r.exitCode !== 0) {
      throw new KubectlError(`${shown} failed (exit ${r.exitCode}): ${stderr || 'no error output'}`, stderr);
    }
  };
  return {
    apply: (file, signal) => run(['apply', '-f', file], signal),
    delete: (file, signal) => run(['delete', '-f', file, '--ignore-not-found'], signal),
  };
}
