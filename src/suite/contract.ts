import type { OracleSemantics } from '../oracle/model.js';
import type { Identity, TargetIdentity } from '../oracle/suite-oracle.js';
import type { ClassifyContext } from '../probe/classify.js';
import type { SuiteResult } from '../result/schema.js';
import type { KnownDefectInCell } from './diagnosis.js';
import type { EnvoyStatsReader } from './envoy-evidence.js';
import type { ProbeClientFacts } from '../plan/types.js';
import type { ExecOutcome } from '../probe/exec-prober.js';
import type { SourceSpec } from './schema.js';
import type { ProbeSource } from './sources.js';

export interface DikastesReadiness {
  readonly ready: boolean;
  readonly evidence: string;
}

/**
 * The suite's interface to the run engine (src/run): the engine depends on these types only; the
 * bindings are made in one place (the entry points).
 */

/** Applies and deletes suite manifests on the cluster (kubectl apply/delete -f FILE). */
export interface PolicyApplier {
  apply(file: string, signal: AbortSignal): Promise<void>;
  delete(file: string, signal: AbortSignal): Promise<void>;
}

/** The pod a source's requests start from: an existing workload's, or a probe client's. */
export interface SourcePod {
  readonly namespace: string;
  readonly pod: string;
  /** The container that runs the HTTP client. */
  readonly container: string;
  /** What a policy sees of the source (labels and service account as the pod has them). */
  readonly identity: ProbeSource;
}

/**
 * Sources inside the mesh (issue 16): finds workload pods, deploys and removes probe clients, runs one
 * command in a source pod. Every call is bounded; a setup call that fails throws an Error saying
 * which source and why.
 */
export interface SourceDriver {
  /** The probe client: image (and whether it is pinned), container, HTTP client (plan facts). */
  readonly client: ProbeClientFacts;
  /** A Ready pod of the workload `source.selector` selects, with an Istio sidecar and curl in its container. */
  findWorkload(source: SourceSpec, signal: AbortSignal): Promise<SourcePod>;
  /** Checks the service account, applies the client Deployment `name`, waits for its pod to be Ready. */
  deployClient(source: SourceSpec, name: string, signal: AbortSignal): Promise<SourcePod>;
  /** Deletes the client Deployment `name` (absent is fine). */
  removeClient(source: SourceSpec, name: string, signal: AbortSignal): Promise<void>;
  /** `kubectl exec` of argv in the pod's container; rejects only when `signal` aborts. */
  exec(pod: SourcePod, argv: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<ExecOutcome>;
}

/** Where a suite points: read from the suite file before the run, for the trust gate. */
export interface SuiteTarget {
  readonly name: string;
  readonly namespace: string;
  /** Pod label selector of the workload behind the gateway (e.g. app=frontend), if the suite names one. */
  readonly selector?: string;
  readonly host?: string;
  /** What `--test` selects of the suite (only when filters were given): refused up front when nothing. */
  readonly selection?: { readonly expectations: number; readonly total: number };
}

/** What `expect: auto` needs from the run: the Calico version's semantics and who the pods are. */
export interface SuiteOracleBinding {
  readonly semantics: OracleSemantics;
  /** The target workload as the cluster shows it (a pod's labels, namespace, service account, IP). */
  readonly readTarget: (signal: AbortSignal) => Promise<TargetIdentity>;
  /** The default source (the ingress gateway pod as the cluster shows it); absent: its usual identity. */
  readonly readSource?: (signal: AbortSignal) => Promise<Identity>;
  /** The pods behind a Service and the port `to.port` reaches (for requests from sources inside the mesh). */
  readonly readService?: (
    to: { readonly service: string; readonly port: number; readonly namespace: string },
    signal: AbortSignal,
  ) => Promise<TargetIdentity>;
  /** Who the pods a selector picks are (a workload source), with their namespace's labels. */
  readonly readPods?: (namespace: string, selector: string, signal: AbortSignal) => Promise<Identity>;
}

export interface SuiteRunRequest {
  /** Path of the suite YAML; manifests are relative to it. */
  readonly suiteFile: string;
  /** Base URL of the ingress gateway, e.g. http://127.0.0.1:30080. */
  readonly ingressUrl: string;
  /** The cell's known defect (from the plan), so a deny-all run can name it. */
  readonly knownDefect?: KnownDefectInCell;
  /** Trust gate: a 403 only counts as a policy denial once Dikastes was seen Ready in the target pods. */
  readonly dikastesReady: DikastesReadiness;
  /** Reads the trust gate again; called before every step (Dikastes may stop syncing mid-suite). */
  readonly recheckTrust?: (signal: AbortSignal) => Promise<DikastesReadiness>;
  /** The target pods' ext_authz counters; absent or unreadable, denials are "not confirmed by Envoy". */
  readonly envoyStats?: EnvoyStatsReader;
  /** What the classifier knows of the cluster: Felix's deny action, the route's connect timeout. */
  readonly classify?: ClassifyContext;
  /** The plan's derived bound on one probe (facts.route); the suite's own timing still wins. */
  readonly defaultProbeTimeoutMs?: number;
  /** `--test` filters (regexes on `step/expectation`, `!` excludes); empty or absent, everything runs. */
  readonly tests?: readonly string[];
  /** For `expect: auto`; a suite that uses it without a binding ends in a step error. */
  readonly oracle?: SuiteOracleBinding;
  readonly policies: PolicyApplier;
  /** Sources inside the mesh; a suite that names any fails (before any side effect) without it. */
  readonly sources?: SourceDriver;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}

export type SuiteRunner = (req: SuiteRunRequest) => Promise<SuiteResult>;
export type SuiteTargetLoader = (suiteFile: string, tests?: readonly string[]) => Promise<SuiteTarget>;
