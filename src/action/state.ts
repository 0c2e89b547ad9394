import * as core from '@actions/core';
import type { KeepCluster } from '../config/cell-config.js';
import { parseKeepCluster, type VerdictName } from '../run/cleanup.js';

/** Saved-state keys, defined once: main writes them, post reads them. */
export const State = {
  IsPost: 'isPost',
  PlanDir: 'planDir',
  ClusterName: 'clusterName',
  ClusterCreated: 'clusterCreated',
  KeepCluster: 'keepCluster',
  Kubeconfig: 'kubeconfig',
  KindPath: 'kindPath',
  Verdict: 'verdict',
  /** What main's own cleanup did (deleted, kept, failed, not-created); absent when main never got there. */
  Cleanup: 'cleanup',
} as const;

export const Outputs = {
  CellId: 'cell-id',
  PlanDir: 'plan-dir',
  Support: 'support',
  Verdict: 'verdict',
  Reason: 'reason',
  ResultsFile: 'results-file',
  JunitFile: 'junit-file',
  Diagnostics: 'diagnostics',
  ClusterName: 'cluster-name',
  Kubeconfig: 'kubeconfig',
} as const;

export const isPost = (): boolean => core.getState(State.IsPost) === 'true';

/** What post needs to know about the cluster main may have left behind. */
export interface SavedCluster {
  readonly name: string;
  readonly created: boolean;
  readonly keep: KeepCluster;
  readonly kubeconfig: string;
  readonly kind: string;
  /** Where main wrote plan.json: post runs its cleanup steps. */
  readonly planDir: string;
  readonly verdict?: VerdictName;
  readonly cleanup?: string;
}

const VERDICTS: readonly string[] = ['pass', 'fail', 'known-defect', 'error', 'unsupported'];

export function readSavedCluster(): SavedCluster | undefined {
  const name = core.getState(State.ClusterName);
  if (!name) return undefined;
  const verdict = core.getState(State.Verdict);
  const cleanup = core.getState(State.Cleanup);
  return {
    name,
    created: core.getState(State.ClusterCreated) === 'true',
    keep: parseKeepCluster(core.getState(State.KeepCluster)),
    kubeconfig: core.getState(State.Kubeconfig),
    kind: core.getState(State.KindPath),
    planDir: core.getState(State.PlanDir),
    ...(VERDICTS.includes(verdict) ? { verdict: verdict as VerdictName } : {}),
    ...(cleanup ? { cleanup } : {}),
  };
}
