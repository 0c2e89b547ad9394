import {
  BOUTIQUE,
  CALICO_MANIFESTS_URL,
  CALICO_COMPONENT_IMAGES,
  DEFAULT_CALICO,
  DIKASTES_NEGATIONS_FROM,
  defectFor,
  describeWindow,
  KIND_CONTROL_PLANE_REQUESTS,
  KIND_EXTRA_CONTROL_PLANE_REQUESTS,
  knownKindVersions,
  lookupCalico,
  lookupIstio,
  lookupNodeImage,
  PROBE_CLIENT,
  nodeImageKubernetes,
  TEMPLATES_ANNOTATION,
  toolSource,
  type Arch,
  type CalicoRelease,
  type ToolName,
  type ToolSource,
  type DikastesLogLines,
  type IstioInstallProfile,
  type KnownDefect,
  type KubeWindow,
} from '../catalog/index.js';
import type { CellConfig } from '../config/cell-config.js';
import { compareVersions, minorInRange, minorOf, parseVersion } from '../util/version.js';

/** Catalog records carried by the resolution; downstream takes their shape from here, not the catalog. */
export type { DikastesLogLines, IstioInstallProfile, KnownDefect };

export type SupportStatus = 'supported' | 'outside-window' | 'known-defect';

/** One component's standing in this cell, with the evidence a reader needs. */
export interface SupportEntry {
  readonly component: 'calico' | 'istio';
  readonly version: string;
  readonly status: SupportStatus;
  readonly detail: string;
  readonly window?: string;
  readonly defectId?: string;
}

/** An upstream file the cell applies: where it is and, when the catalog pins it, its sha256. */
export interface UpstreamFile {
  /** Path under the project's manifests/ folder, e.g. `alp/istio-app-layer-policy-envoy-v3.yaml`. */
  readonly file: string;
  readonly url: string;
  readonly sha256?: string;
}

/** A tool the cell needs, at one version, with its downloads (the checksum file is published beside each). */
export interface ToolChoice {
  readonly name: ToolName;
  readonly version: string;
  readonly downloads: Readonly<Record<Arch, ToolSource>>;
}

/** One Online Boutique Deployment as this cell runs it. */
export interface BoutiqueWorkload {
  readonly name: string;
  readonly container: string;
  /** The CPU request the kustomization sets (lowered so the default cell fits 2 vCPU). */
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  /**
   * Its native gRPC probes become `tcpSocket` probes on this port: Istio before 1.15 does not rewrite
   * gRPC probes, and under STRICT mTLS the kubelet's plaintext gRPC probe hits the sidecar and fails.
   */
  readonly tcpProbePort?: number;
}

export interface ProbeClient {
  readonly image: string;
  /** False: the reference is a tag; `pinNote` says why. */
  readonly pinned: boolean;
  readonly pinNote: string;
  readonly container: string;
  readonly command: readonly string[];
  readonly runAsUser: number;
  readonly http: { readonly binary: string; readonly timeoutExit: number };
  readonly resources: { readonly cpu: string; readonly memory: string };
}

/**
 * A cell with every version exact and every quirk decided: the only place the catalog is consulted.
 * Downstream (render, plan, run, verify, suite) reads these decisions, never the catalog.
 */
export interface ResolvedCell {
  readonly id: string;
  readonly kubernetes: { readonly version: string; readonly minor: string };
  readonly kind: { readonly version: string; readonly nodeImage: string; readonly customImage: boolean };
  readonly calico: {
    readonly version: string;
    readonly minor: string;
    /** Created in this order: the operator (and CRDs), then `custom-resources.yaml`. */
    readonly operatorManifests: readonly UpstreamFile[];
    readonly customResources: UpstreamFile;
    /** The ServiceEntry, DestinationRule and ext_authz EnvoyFilter. */
    readonly alpEnvoy: UpstreamFile;
    readonly apiServerNamespace: string;
    readonly dikastesImage: string;
    /** The operator's image and the Calico images it rolls out first, in pull order. */
    readonly images: readonly string[];
    readonly dikastesLog: DikastesLogLines;
    /** How Dikastes matches HTTP paths in this version (UPSTREAM.md §1 "Policy semantics"). */
    readonly httpPaths: 'normalised' | 'raw-prefix';
    readonly defect?: KnownDefect;
  };
  readonly istio: {
    readonly version: string;
    readonly minor: string;
    readonly profile: IstioInstallProfile;
    /** The pod annotation that selects injection templates, whether or not this profile uses it. */
    readonly templatesAnnotation: string;
    /** Calico's legacy injector patch, for patch flavours. */
    readonly legacyInjectorPatch?: UpstreamFile;
    readonly extraValues: Readonly<Record<string, unknown>>;
    /** Values only a render without a cluster (`istioctl manifest generate`, the GitOps bundle) needs. */
    readonly offlineRenderValues?: Readonly<Record<string, unknown>>;
  };
  readonly boutique: {
    readonly version: string;
    readonly manifest: UpstreamFile;
    readonly images: readonly string[];
    readonly drop: typeof BOUTIQUE.drop;
    /** Kept Deployments with what the kustomization changes in each. */
    readonly workloads: readonly BoutiqueWorkload[];
    /** Moving image tags of the release file → the pinned reference the kustomization substitutes. */
    readonly pinnedImages: Readonly<Record<string, string>>;
  };
  /** The client a suite deploys as a source inside the mesh (image, how it idles, how it asks). */
  readonly probeClient: ProbeClient;
  /** Requests the cluster must hold before any add-on (kind's control plane). */
  readonly controlPlaneRequests?: {
    readonly cpuMillis: number;
    readonly memoryMiB: number;
    /** kind nodes sharing the Docker host (each node's allocatable is the whole host). */
    readonly nodes: number;
  };
  /** kind, kubectl and istioctl: the version each must have, and where each is published per arch. */
  readonly tools: readonly ToolChoice[];
  /** Components whose images exist for amd64 only. */
  readonly amd64Only: readonly string[];
  readonly support: readonly SupportEntry[];
  /** Catalog facts the user should see with this cell (plan, run log, results). */
  readonly notes: readonly string[];
  readonly config: CellConfig;
}

function must<T>(res: { ok: true; value: T } | { ok: false; why: string }, what: string): T {
  if (!res.ok) throw new Error(`${what}: ${res.why} (the config was validated: this is a bug)`);
  return res.value;
}

function windowEntry(
  component: 'calico' | 'istio',
  version: string,
  window: KubeWindow,
  k8sMinor: string,
): SupportEntry {
  const w = describeWindow(window);
  const inside = minorInRange(k8sMinor, window.min, window.max);
  return {
    component,
    version,
    status: inside ? 'supported' : 'outside-window',
    window: w,
    detail: inside
      ? `Kubernetes ${k8sMinor} is within ${w}`
      : `Kubernetes ${k8sMinor} is outside window ${w}`,
  };
}

function newestKind(): string {
  return [...knownKindVersions()].sort(compareVersions).at(-1)!;
}

export function cellId(k8s: string, calico: string, istio: string): string {
  return `k8s-${k8s}_calico-${calico}_istio-${istio}`;
}

function calicoFile(version: string, release: CalicoRelease, file: string): UpstreamFile {
  const sha256 = release.digests[`${version}/${file}`];
  return {
    file,
    url: `${CALICO_MANIFESTS_URL.replace('{version}', version)}/${file}`,
    ...(sha256 ? { sha256 } : {}),
  };
}

/** kind's control plane, once per control-plane node of the user's kind config (one by default). */
function controlPlaneRequests(config: CellConfig): NonNullable<ResolvedCell['controlPlaneRequests']> {
  const nodes = config.kindConfig?.nodes ?? [];
  const count = Math.max(1, nodes.filter((n) => (n.role ?? 'control-plane') === 'control-plane').length);
  const extra = count - 1;
  return {
    cpuMillis: KIND_CONTROL_PLANE_REQUESTS.cpuMillis + extra * KIND_EXTRA_CONTROL_PLANE_REQUESTS.cpuMillis,
    memoryMiB: KIND_CONTROL_PLANE_REQUESTS.memoryMiB + extra * KIND_EXTRA_CONTROL_PLANE_REQUESTS.memoryMiB,
    nodes: nodes.length || 1,
  };
}

function nodeChoice(config: CellConfig): { k8s: string; kind: ResolvedCell['kind'] } {
  if (config.nodeImage) {
    // A custom image still needs a kind binary: the one asked for, else the newest we know.
    return {
      k8s: nodeImageKubernetes(config.nodeImage) ?? config.kubernetes,
      kind: { version: config.kindVersion ?? newestKind(), nodeImage: config.nodeImage, customImage: true },
    };
  }
  const choice = must(lookupNodeImage(config.kubernetes, config.kindVersion), 'kubernetes');
  return {
    k8s: choice.kubernetes,
    kind: { version: choice.kind, nodeImage: choice.image, customImage: false },
  };
}

/** Config → every decision the cell needs. Unsupported cells still resolve: they are reported, not skipped. */
export function resolveCell(config: CellConfig): ResolvedCell {
  const calico = must(lookupCalico(config.calico), 'calico');
  const istio = must(lookupIstio(config.istio), 'istio');
  const { k8s, kind } = nodeChoice(config);
  const k8sMinor = minorOf(parseVersion(k8s)!);

  const defect = defectFor(calico.version);
  const calicoWindow = windowEntry('calico', calico.version, calico.release.kubernetes, k8sMinor);
  const calicoEntry: SupportEntry = defect
    ? {
        ...calicoWindow,
        status: 'known-defect',
        detail: `${calico.version} carries known defect ${defect.id} (${defect.from}–${defect.to}): ${defect.title}; ${calicoWindow.detail}`,
        defectId: defect.id,
      }
    : calicoWindow;
  const istioEntry = windowEntry('istio', istio.version, istio.release.kubernetes, k8sMinor);

  const { profile } = istio.release;
  const httpPaths = httpPathsFor(calico.version, calico.release);
  const amd64Only = [
    ...(BOUTIQUE.amd64Only ? [`Online Boutique ${BOUTIQUE.version}`] : []),
    ...(istio.release.amd64Only ? [`Istio ${istio.version}`] : []),
  ];
  const tcpProbes = !istio.release.rewritesGrpcProbes;
  const workloads: BoutiqueWorkload[] = BOUTIQUE.workloads.map((w) => ({
    name: w.name,
    container: w.container,
    cpuMillis: Math.min(w.cpuMillis, BOUTIQUE.loweredCpuMillis),
    memoryMiB: w.memoryMiB,
    ...('grpcPort' in w && tcpProbes ? { tcpProbePort: w.grpcPort } : {}),
  }));
  const notes = [
    ...(istio.release.note ? [`Istio ${istio.release.minor}: ${istio.release.note}`] : []),
    ...(tcpProbes
      ? [
          `Istio ${istio.release.minor} does not rewrite gRPC probes: Online Boutique's gRPC liveness/readiness probes run as tcpSocket probes on the same ports`,
        ]
      : []),
    // What is pinned by tag only: upstream's own manifests name these images by tag.
    `Images pinned by tag, not digest (as upstream's manifests name them): Calico ${calico.version}, Istio ${istio.version}, Online Boutique ${BOUTIQUE.version}; results record each container's image ID`,
    httpPaths === 'normalised'
      ? `Calico ${calico.version}: HTTP paths are normalised and prefixes match at segment boundaries`
      : `Calico ${calico.version}: HTTP path prefixes match the raw path as a string prefix`,
  ];

  const tool = (name: ToolName, version: string): ToolChoice => ({
    name,
    version,
    downloads: { amd64: toolSource(name, version, 'amd64'), arm64: toolSource(name, version, 'arm64') },
  });
  return {
    id: cellId(k8s, calico.version, istio.version),
    // kubectl at the node's Kubernetes patch, istioctl at the Istio release, kind at the release the image is for.
    tools: [tool('kind', kind.version), tool('kubectl', `v${k8s}`), tool('istioctl', istio.version)],
    kubernetes: { version: k8s, minor: k8sMinor },
    kind,
    calico: {
      version: calico.version,
      minor: calico.release.minor,
      operatorManifests: calico.release.operatorManifests.map((f) =>
        calicoFile(calico.version, calico.release, f),
      ),
      customResources: calicoFile(calico.version, calico.release, 'custom-resources.yaml'),
      alpEnvoy: calicoFile(calico.version, calico.release, 'alp/istio-app-layer-policy-envoy-v3.yaml'),
      apiServerNamespace: calico.release.apiServerNamespace,
      dikastesImage: `${calico.release.dikastesImage}:${calico.version}`,
      images: [
        calico.release.operatorImage,
        ...CALICO_COMPONENT_IMAGES.map((c) => `${calico.release.imageRegistry}calico/${c}:${calico.version}`),
      ],
      dikastesLog: calico.release.dikastesLog,
      httpPaths,
      ...(defect ? { defect } : {}),
    },
    istio: {
      version: istio.version,
      minor: istio.release.minor,
      profile,
      templatesAnnotation: TEMPLATES_ANNOTATION,
      ...(profile.legacyInjectorPatch
        ? {
            legacyInjectorPatch: calicoFile(
              calico.version,
              calico.release,
              `alp/${profile.legacyInjectorPatch}`,
            ),
          }
        : {}),
      extraValues: istio.release.extraValues,
      ...(istio.release.offlineRenderValues
        ? { offlineRenderValues: istio.release.offlineRenderValues }
        : {}),
    },
    boutique: {
      version: BOUTIQUE.version,
      manifest: { file: 'kubernetes-manifests.yaml', url: BOUTIQUE.manifestUrl, sha256: BOUTIQUE.sha256 },
      images: [
        ...BOUTIQUE.services.map((s) => `${BOUTIQUE.imageRepository}/${s}:${BOUTIQUE.version}`),
        ...Object.values(BOUTIQUE.pinnedImages),
      ],
      drop: BOUTIQUE.drop,
      workloads,
      pinnedImages: BOUTIQUE.pinnedImages,
    },
    probeClient: {
      image: PROBE_CLIENT.imageTemplate.replace('{istio}', istio.version),
      pinned: PROBE_CLIENT.pinned,
      pinNote: PROBE_CLIENT.pinNote,
      container: PROBE_CLIENT.container,
      command: PROBE_CLIENT.command,
      runAsUser: PROBE_CLIENT.runAsUser,
      http: PROBE_CLIENT.http,
      resources: PROBE_CLIENT.resources,
    },
    ...(config.cluster === 'kind' ? { controlPlaneRequests: controlPlaneRequests(config) } : {}),
    amd64Only,
    support: [calicoEntry, istioEntry],
    notes,
    config,
  };
}

/** True when every component is within its window and free of known defects. */
export function isSupported(cell: ResolvedCell): boolean {
  return cell.support.every((s) => s.status === 'supported');
}

/** The worst standing of any component: known-defect > outside-window > supported. */
export function worstSupport(cell: ResolvedCell): SupportStatus {
  const rank: Record<SupportStatus, number> = { supported: 0, 'outside-window': 1, 'known-defect': 2 };
  return cell.support.reduce<SupportStatus>((w, s) => (rank[s.status] > rank[w] ? s.status : w), 'supported');
}

/** How Dikastes compares HTTP paths in a Calico version: the catalog's `pathNormalisationFrom`. */
function httpPathsFor(version: string, release: CalicoRelease): 'normalised' | 'raw-prefix' {
  const from = release.pathNormalisationFrom;
  return from && compareVersions(version, from) >= 0 ? 'normalised' : 'raw-prefix';
}

/** What the policy oracle needs to know about a Calico version, or why the version is not known. */
export type CalicoSemanticsLookup =
  | {
      readonly ok: true;
      readonly version: string;
      readonly httpPaths: 'normalised' | 'raw-prefix';
      /** Whether Dikastes checks a rule's notNets and notPorts (Felix always does). */
      readonly dikastesChecksNegations: boolean;
      readonly defect?: KnownDefect;
    }
  | { readonly ok: false; readonly why: string; readonly known: readonly string[] };

/** A Calico version spec (`v3.32.1`, `3.31`; default: the catalog's default) → its policy-relevant facts. */
export function resolveCalicoSemantics(spec: string | undefined): CalicoSemanticsLookup {
  const found = lookupCalico(spec ?? DEFAULT_CALICO);
  if (!found.ok) return found;
  const { version, release } = found.value;
  const defect = defectFor(version);
  return {
    ok: true,
    version,
    httpPaths: httpPathsFor(version, release),
    dikastesChecksNegations: compareVersions(version, DIKASTES_NEGATIONS_FROM) >= 0,
    ...(defect ? { defect } : {}),
  };
}
