import type { OracleSemantics } from '../oracle/model.js';
import type { DikastesLogLines, KnownDefect, ProbeClient } from '../resolve/cell.js';

/** Catalog records the plan carries; later stages take their shape from here, not from the catalog. */
export type { DikastesLogLines, KnownDefect };
import type { ClusterMode } from '../config/cell-config.js';
import type { Provenance, SupportEntry } from '../resolve/cell.js';

export type { Provenance };

export type Argv = readonly string[];
export type Phase = 'cluster' | 'calico' | 'istio' | 'alp' | 'workload';

/** A program and its arguments, run without a shell. */
export interface ExecCommand {
  readonly exec: Argv;
  /** Run in order when the program fails (not when it is stopped): a fallback the plan shows. */
  readonly orElse?: readonly PipeCommand[];
}

/** Programs whose stdout feeds the next one's stdin, joined by the runner: no shell between them. */
export interface PipeCommand {
  readonly pipe: readonly Argv[];
}

/**
 * A download into the plan directory (https, http through an insecure mirror, or a user's local
 * file:// build), verified when the catalog pins its sha256. `setImage`: after the check, every
 * `image:` line whose repository's last segment is `name` is set to `image` (at least one must be).
 */
export interface FetchCommand {
  readonly fetch: {
    readonly url: string;
    readonly dest: string;
    readonly sha256?: string;
    readonly setImage?: { readonly name: string; readonly image: string };
  };
}

export type PlanCommand = ExecCommand | FetchCommand;

export const isFetch = (c: PlanCommand): c is FetchCommand => 'fetch' in c;
export const exec = (...argv: string[]): ExecCommand => ({ exec: argv });

/** Failures worth another attempt: the API server or an upstream not there yet, never a wrong manifest. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly delaySeconds: number;
  /** Regexes (source text) matched against a failed command's output. */
  readonly transient: readonly string[];
  /** Run before each new attempt, e.g. delete a half-created cluster. */
  readonly beforeRetry?: readonly ExecCommand[];
}

export interface PlanStep {
  readonly id: string;
  readonly title: string;
  readonly phase: Phase;
  /** Seed guide section this step automates, for the reader. */
  readonly guide?: string;
  readonly commands: readonly PlanCommand[];
  /** Files written by `plan`, relative to the plan directory. */
  readonly manifests: readonly string[];
  readonly timeoutSeconds: number;
  readonly retry?: RetryPolicy;
  /** Steps that must finish first; steps whose dependencies are met may overlap. */
  readonly dependsOn: readonly string[];
  /** A failure is reported as a warning, not a failed cell (speed-ups such as image preloading). */
  readonly optional?: boolean;
  /** A speed-up nothing waits on: stopped (or never started) once every other step is done. */
  readonly background?: boolean;
  /** A rollout wait: while it runs, the pods are watched and a stuck one ends it (fail fast). */
  readonly watchPods?: boolean;
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

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

/** The gateway canary this plan deploys, or why there is none. */
export type CanaryFacts =
  | {
      readonly deployed: true;
      readonly name: string;
      readonly namespace: string;
      readonly labels: Readonly<Record<string, string>>;
      readonly annotation: KeyValue;
    }
  | { readonly deployed: false; readonly why: string };

/** What the checks verify and with which parameters: decided with the plan, read by verify/. */
export interface CheckFacts {
  readonly namespaceLabel: KeyValue;
  /** The annotation that selects injection templates (Istio's `inject.istio.io/templates`). */
  readonly templatesAnnotation: string;
  /** Every workload pod must carry it; absent: pods must name no Dikastes template (legacy patch). */
  readonly podAnnotation?: KeyValue;
  readonly injector: {
    readonly namespace: string;
    readonly configMap: string;
    readonly expect:
      | { readonly kind: 'template-keys'; readonly keys: readonly string[] }
      | { readonly kind: 'sidecar-container'; readonly container: string };
  };
  readonly dikastes: { readonly container: string; readonly log: DikastesLogLines };
  readonly csiDriver: { readonly namespace: string; readonly selector: string };
  /** Calico's per-node DaemonSet pods: one Ready on every node. */
  readonly calicoNode: { readonly namespace: string; readonly selector: string };
  readonly policySyncPrefix: string;
  readonly canary: CanaryFacts;
  /** The harness's own canary's labels, so a canary left on an existing cluster is never a workload pod. */
  readonly canaryLabels: Readonly<Record<string, string>>;
}

/**
 * The gateway's route to the target and how long a Felix drop takes to surface through it:
 * (1 + retries) × connect timeout, each attempt a new connection (UPSTREAM.md §6).
 */
export interface RouteFacts {
  /** The harness applied this route (DestinationRule and VirtualService); else Istio's defaults apply. */
  readonly owned: boolean;
  readonly connectTimeoutMs: number;
  readonly retries: number;
  /** Every request opens a new upstream connection, so a drop is never hidden by a pooled one. */
  readonly newConnectionPerRequest: boolean;
  readonly l4DenialMs: number;
  /** Default bound on one probe: above l4DenialMs with margin. A suite may set its own. */
  readonly probeTimeoutMs: number;
  /** Owned but deployed earlier (`harness-workload`): the objects these facts assume, checked before any probe. */
  readonly onCluster?: RouteOnCluster;
}

/** The harness's route objects and the fields the route facts rest on, as rendered. */
export interface RouteOnCluster {
  readonly namespace: string;
  readonly destinationRule: {
    readonly name: string;
    readonly connectTimeout: string;
    readonly maxRequestsPerConnection: number;
  };
  readonly virtualService: {
    readonly name: string;
    readonly retries: { readonly attempts: number; readonly retryOn: string };
  };
}

/** What later stages (engine, checks, suite, diagnostics, cleanup) need, so none of them re-decides it. */
export interface PlanFacts {
  readonly workloadNamespace: string;
  readonly istioNamespace: string;
  readonly ingressUrl: string;
  readonly route: RouteFacts;
  readonly istioFlavour: string;
  readonly checks: CheckFacts;
  /** Envoy's ext_authz counters: the inbound sidecar's container and how to read them. */
  readonly envoyStats: { readonly container: string; readonly command: readonly string[] };
  /** The client a suite deploys as a source inside the mesh (from the catalog, through the resolution). */
  readonly probeClient: ProbeClientFacts;
  /** The catalog's known defect for this Calico version, as a record the suite and verdict read. */
  readonly knownDefect?: KnownDefect;
  /** What the policy oracle applies for this Calico version (a suite's `expect: auto`). */
  readonly policyOracle: OracleSemantics;
  /** The ingress gateway's pods: the default source of a suite's requests. */
  readonly gatewayPods: { readonly namespace: string; readonly selector: string };
  /** Catalog facts the user should see (printed with the plan and the run, kept in results). */
  readonly notes: readonly string[];
  /** Components whose images exist for amd64 only. */
  readonly amd64Only: readonly string[];
  /** The kind cluster this plan creates and deletes (kind clusters only). */
  readonly clusterName?: string;
  /** The kind node containers, as kind names them from the plan's kind config (kind clusters). */
  readonly nodes?: readonly string[];
  /** Host port the gateway is mapped to (kind clusters). */
  readonly hostPort?: number;
  /** The node label carrying the cell id (kind clusters). */
  readonly cellLabel?: KeyValue;
  /** What the cluster must hold: summed requests of what the plan installs (the preflight compares). */
  readonly capacity: CapacityFacts;
  /** Fail fast: pod states that end a rollout wait once they last longer than the grace period. */
  readonly stuckReasons: readonly string[];
  /** Images the user built, which must be in the runner's Docker before the cluster is created. */
  readonly localImages?: readonly string[];
  /** Registry → mirror the node's containerd tries first (kind clusters). */
  readonly imageMirrors?: readonly { readonly registry: string; readonly mirror: string }[];
}

/** The probe client as resolved: what the suite deploys and how it sends a request. */
export type ProbeClientFacts = ProbeClient;

export interface CapacityFacts {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly parts: readonly {
    readonly what: string;
    readonly cpuMillis: number;
    readonly memoryMiB: number;
  }[];
}

/** A tool the plan's commands run: the runbook downloads and verifies it into its own bin/. */
export interface PlanTool {
  readonly name: string;
  readonly version: string;
  /** Per arch: the download (through the mirrors) and the published checksum file beside it. */
  readonly downloads: Readonly<
    Record<
      'amd64' | 'arm64',
      { readonly url: string; readonly checksumUrl: string; readonly archivePath?: string }
    >
  >;
  /** How the checksum is read: the first field of the checksum file (`hex` or `hex  name`). */
  readonly checksumSource: string;
  /** The user's own build, used instead of the downloads: a local path, or a URL with its sha256. */
  readonly given?:
    | { readonly path: string; readonly sha256?: string }
    | { readonly url: string; readonly sha256: string; readonly archivePath?: string };
}

export interface Plan {
  readonly schemaVersion: 1;
  readonly generator: string;
  readonly cell: PlanCell;
  /** kind, kubectl, istioctl: exact versions, where from, how verified. */
  readonly tools: readonly PlanTool[];
  readonly support: readonly SupportEntry[];
  /** Where Calico and Istio come from (release, newer patch, inherited minor, the user's builds). */
  readonly provenance?: Provenance;
  readonly facts: PlanFacts;
  /** Environment every command runs with; paths relative to the plan directory. */
  readonly env: Readonly<Record<string, string>>;
  readonly steps: readonly PlanStep[];
  /** Run at the end according to keep-cluster (kind only); the action's post step runs the same steps. */
  readonly cleanup: readonly PlanStep[];
}

/** A plan plus the files it refers to (path relative to the plan directory → content). */
export interface RenderedPlan {
  readonly plan: Plan;
  readonly files: ReadonlyMap<string, string>;
}
