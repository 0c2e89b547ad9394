import type { KeepCluster } from '../config/cell-config.js';
import type { executePlan, ExecutorDeps } from '../exec/executor.js';
import type { Plan } from '../plan/types.js';
import type { PhaseResult } from '../result/schema.js';

export type VerdictName = 'pass' | 'fail' | 'known-defect' | 'error' | 'unsupported';

/** keep-cluster: `never` deletes, `always` keeps, `on-failure` keeps unless the cell passed (unknown counts as not). */
export function keepCluster(policy: KeepCluster, verdict: VerdictName | undefined): boolean {
  if (policy === 'always') return true;
  if (policy === 'never') return false;
  return verdict !== 'pass';
}

export function parseKeepCluster(v: string): KeepCluster {
  return v === 'always' || v === 'on-failure' ? v : 'never';
}

export interface CleanupRequest {
  readonly planDir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly tools: Readonly<Record<string, string | Promise<string>>>;
  readonly execute: typeof executePlan;
  readonly deps: ExecutorDeps;
  readonly signal: AbortSignal;
}

/**
 * The plan's cleanup steps: the one definition of cleanup, run by the engine and by the action's post
 * step alike. Resolves to what failed (one line), or undefined when every step passed.
 */
export async function runCleanupSteps(plan: Plan, req: CleanupRequest): Promise<string | undefined> {
  const done = await req
    .execute(
      plan.cleanup,
      { planDir: req.planDir, env: req.env, tools: req.tools, signal: req.signal },
      req.deps,
    )
    .catch((e: unknown): PhaseResult[] => [
      {
        id: plan.cleanup[0]?.id ?? 'cleanup',
        title: plan.cleanup[0]?.title ?? 'Cleanup',
        phase: 'cluster',
        status: 'failed',
        durationMs: 0,
        attempts: 0,
        error: e instanceof Error ? e.message : String(e),
      },
    ]);
  const bad = done.find((p) => p.status !== 'passed');
  return bad ? `${bad.id}: ${bad.error ?? bad.status}` : undefined;
}
