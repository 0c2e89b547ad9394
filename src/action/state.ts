import * as core from '@actions/core';

/** Saved-state keys, defined once: main writes them, post reads them. */
export const State = {
  IsPost: 'isPost',
  PlanDir: 'planDir',
  ClusterName: 'clusterName',
  ClusterCreated: 'clusterCreated',
  KeepCluster: 'keepCluster',
  Verdict: 'verdict',
} as const;

export const Outputs = {
  CellId: 'cell-id',
  PlanDir: 'plan-dir',
  Support: 'support',
  Verdict: 'verdict',
  ResultsFile: 'results-file',
  JunitFile: 'junit-file',
} as const;

export const isPost = (): boolean => core.getState(State.IsPost) === 'true';
