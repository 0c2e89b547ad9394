import type { KeepCluster } from '../config/cell-config.js';
import type { ProcessRunner } from '../exec/process.js';

export type VerdictName = 'pass' | 'fail' | 'error' | 'unsupported';

/** keep-cluster: `never` deletes, `always` keeps, `on-failure` keeps unless the cell passed (unknown counts as not). */
export function keepCluster(policy: KeepCluster, verdict: VerdictName | undefined): boolean {
  if (policy === 'always') return true;
  if (policy === 'never') return false;
  return verdict !== 'pass';
}

export function parseKeepCluster(v: string): KeepCluster {
  return v === 'always' || v === 'on-failure' ? v : 'never';
}

/** `kind delete cluster`, bounded; resolves to the failure text, or undefined when it worked. */
export async function deleteKindCluster(
  runner: ProcessRunner,
  kind: string,
  name: string,
  env: Record<string, string>,
  timeoutMs = 180_000,
): Promise<string | undefined> {
  const r = await runner.run([kind, 'delete', 'cluster', '--name', name], { env, timeoutMs });
  if (r.exitCode === 0) return undefined;
  if (r.timedOut) return `kind delete cluster --name ${name} timed out after ${timeoutMs} ms`;
  return `kind delete cluster --name ${name} exited ${r.exitCode ?? 'by signal'}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`;
}
