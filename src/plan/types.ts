import type { SupportEntry } from '../catalog/resolve.js';
import type { ClusterMode } from '../config/cell-config.js';

export type Argv = readonly string[];
export type Phase = 'cluster' | 'calico' | 'istio' | 'alp' | 'workload';

/** Failures worth another attempt: the API server or an upstream not there yet, never a wrong manifest. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly delaySeconds: number;
  /** Regexes (source text) matched against a failed command's output. */
  readonly transient: readonly string[];
  /** Run before each new attempt, e.g. delete a half-created cluster. */
  readonly beforeRetry?: readonly Argv[];
}

export interface PlanStep {
  readonly id: string;
  readonly title: string;
  readonly phase: Phase;
  /** Seed guide section this step automates, for the reader. */
  readonly guide?: string;
  readonly commands: readonly Argv[];
  /** Files written by `plan`, relative to the plan directory. */
  readonly manifests: readonly string[];
  readonly timeoutSeconds: number;
  readonly retry?: RetryPolicy;
  /** Steps that must finish first; steps whose dependencies are met may overlap. */
  readonly dependsOn: readonly string[];
  /** A failure is reported as a warning, not a failed cell (speed-ups such as image preloading). */
  readonly optional?: boolean;
}

export interface PlanCell {
  readonly id: string;
  readonly kubernetes: string;
  readonly kind: string;
  readonly nodeImage: string;
  readonly calico: string;
  readonly istio: string;
  readonly istioFlavour: string;
  readonly dikastesImage: string;
  readonly boutique: string;
  readonly strictMtls: boolean;
  readonly cluster: ClusterMode;
  readonly clusterName?: string;
  readonly install: readonly string[];
}

export interface Plan {
  readonly schemaVersion: 1;
  readonly generator: string;
  readonly cell: PlanCell;
  readonly support: readonly SupportEntry[];
  /** Environment every command runs with; paths relative to the plan directory. */
  readonly env: Readonly<Record<string, string>>;
  readonly steps: readonly PlanStep[];
  /** Run at the end according to keep-cluster (kind only). */
  readonly cleanup: readonly PlanStep[];
}

/** A plan plus the files it refers to (path relative to the plan directory → content). */
export interface RenderedPlan {
  readonly plan: Plan;
  readonly files: ReadonlyMap<string, string>;
}

/**
 * `fetch [--sha256 HEX] URL DEST`: the one built-in command. The executor downloads and verifies it
 * itself; the runbook defines a bash function of the same name.
 */
export const FETCH = 'fetch';
