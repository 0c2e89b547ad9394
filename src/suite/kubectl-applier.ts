import type { PolicyApplier } from './contract.js';
import { execaRunner, type ProcessRunner } from '../exec/process.js';
import { Kubectl } from '../kube/kubectl.js';

export { KubectlError } from '../kube/kubectl.js';
export const KUBECTL_TIMEOUT_MS = 60_000;

/**
 * `kubectl apply -f FILE` / `kubectl delete -f FILE --ignore-not-found` through the kubectl facade
 * (argv only), each bounded by `timeoutMs` and by the caller's signal.
 */
export function kubectlPolicyApplier(
  kubectlPath: string,
  env?: Record<string, string>,
  timeoutMs = KUBECTL_TIMEOUT_MS,
  runner: ProcessRunner = execaRunner(),
): PolicyApplier {
  const k = new Kubectl({ runner, path: kubectlPath, timeoutMs, ...(env ? { env } : {}) });
  return { apply: (file, signal) => k.apply(file, signal), delete: (file, signal) => k.delete(file, signal) };
}
