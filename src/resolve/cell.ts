import {
  BOUTIQUE,
  BOUTIQUE_PODS,
  BOUTIQUE_SERVICE_PORTS,
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
  lookupCalicoMinor,
  lookupIstio,
  lookupIstioMinor,
  lookupNodeImage,
  PROBE_CLIENT,
  nodeImageKubernetes,
  TEMPLATES_ANNOTATION,
  toolSource,
  type Arch,
  type CalicoRelease,
  type IstioRelease,
  type ToolName,
  type ToolSource,
  type DikastesLogLines,
  type IstioInstallProfile,
  type KnownDefect,
  type KubeWindow,
} from '../catalog/index.js';
import { pathToFileURL } from 'node:url';
import type { CellConfig, IstioctlSource } from '../config/cell-config.js';
import { compareVersions, minorInRange, minorOf, parseVersion } from '../util/version.js';

/** Catalog records carried by the resolution; downstream takes their shape from here, not the catalog. */
export type { DikastesLogLines, IstioInstallProfile, KnownDefect };

/** `unknown`: a minor the catalog does not know, run with another minor's facts; never `supported`. */
export type SupportStatus = 'supported' | 'outside-window' | 'known-defect' | 'unknown';

/** One component's standing in this cell, with the evidence a reader needs. */
export interface SupportEntry {
  readonly component: 'calico' | 'istio';
  readonly version: string;
  readonly status: SupportStatus;
  readonly detail: string;
  readonly window?: string;
  readonly defectId?: string;
  /** The known minor whose facts were applied to a version the catalog does not know. */
  readonly inheritedFrom?: string;
  /** False when the catalog pins none of this version's upstream files (a newer patch, a newer minor, a label). */
  readonly pinned?: boolean;
}

/**
 * How a version relates to the catalog: a patch it knows, a newer patch of a known minor (the minor's
 * facts, nothing pinned), a newer minor inheriting a known minor's facts, or a user's build label.
 */
export type CatalogStanding = 'catalog' | 'newer-patch' | 'inherited' | 'label';

/** Where the cell's Calico and Istio came from: what results and the summary say about the builds. */
export interface Provenance {
  readonly calico: {
    readonly version: string;
    readonly standing: CatalogStanding;
    /** The known minor whose facts apply. */
    readonly factsFrom: string;
    /** Which of its facts a build of an unknown minor (or a label) inherits. */
    readonly inheritedFacts?: readonly string[];
    /** Every manifest pinned by sha256 in the catalog. */
    readonly pinned: boolean;
    readonly manifests: {
      readonly source: 'release-tag' | 'git-ref' | 'url' | 'directory';
      readonly location: string;
    };
    readonly images: {
      readonly dikastes: string;
      readonly dikastesSource: 'release' | 'user';
      readonly operator?: string;
      readonly registry?: string;
      readonly imagePath?: string;
      readonly imagePrefix?: string;
    };
  };
  readonly istio: {
    readonly version: string;
    readonly standing: CatalogStanding;
    readonly factsFrom: string;
    readonly inheritedFacts?: readonly string[];
    readonly istioctl: {
      readonly source: 'release' | 'path' | 'url';
      readonly location: string;
      readonly sha256?: string;
    };
    readonly hub?: string;
    readonly tag?: string;
  };
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
  /** The user's own build (a path, or a URL with its sha256) instead of the release downloads. */
  readonly given?: IstioctlSource;
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
    /** The user gave the Dikastes image: the legacy patch's image lines are set to it too. */
    readonly dikastesImageGiven: boolean;
    /** The user's tigera-operator image, set on the Deployment before anything else is created. */
    readonly operatorImage?: string;
    /** Installation `spec.registry` / `imagePath` / `imagePrefix` the user asked for. */
    readonly installationImages?: {
      readonly registry?: string;
      readonly imagePath?: string;
      readonly imagePrefix?: string;
    };
    /** The operator's image and the Calico images it rolls out first, in pull order. */
    readonly images: readonly string[];
    readonly dikastesLog: DikastesLogLines;
    /** How Dikastes matches HTTP paths in this version (UPSTREAM.md §1 "Policy semantics"). */
    readonly httpPaths: 'normalised' | 'raw-prefix';
    /** Whether Dikastes checks a rule's notNets and notPorts (the policy oracle reads it). */
    readonly dikastesChecksNegations: boolean;
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
    /** IstioOperator `spec.hub` / `spec.tag` the user asked for. */
    readonly hub?: string;
    readonly tag?: string;
    /** Istio's control-plane and proxy images, when their tag is known (for the preload). */
    readonly images: readonly string[];
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
  readonly provenance: Provenance;
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

/** Where one of Calico's manifests/ files comes from: the release tag (pinned when the catalog pins it) or the user's source. */
function calicoFileFor(config: CellConfig, version: string, release: CalicoRelease) {
  const src = config.builds.calicoManifests;
  const tagUrl = (ref: string, file: string) => `${CALICO_MANIFESTS_URL.replace('{version}', ref)}/${file}`;
  return (file: string): UpstreamFile => {
    if (src?.kind === 'directory')
      return { file, url: pathToFileURL(`${src.path.replace(/\/+$/, '')}/${file}`).href };
    if (src?.kind === 'url') return { file, url: `${src.base}/${file}` };
    if (src?.kind === 'git') return { file, url: tagUrl(src.ref, file) };
    const sha256 = release.digests[`${version}/${file}`];
    return { file, url: tagUrl(version, file), ...(sha256 ? { sha256 } : {}) };
  };
}

function manifestsProvenance(
  config: CellConfig,
  version: string,
  standing: CatalogStanding,
): Provenance['calico']['manifests'] {
  const src = config.builds.calicoManifests;
  // A label names a git ref of the Calico repository (a branch, a pre-release tag, a commit).
  if (!src)
    return {
      source: standing === 'label' ? 'git-ref' : 'release-tag',
      location: CALICO_MANIFESTS_URL.replace('{version}', version),
    };
  if (src.kind === 'directory') return { source: 'directory', location: src.path };
  if (src.kind === 'url') return { source: 'url', location: src.base };
  return { source: 'git-ref', location: CALICO_MANIFESTS_URL.replace('{version}', src.ref) };
}

interface Chosen<R> {
  readonly version: string;
  readonly release: R;
  readonly standing: CatalogStanding;
  /** The version the minor's version-ranged facts are compared with (a label: the minor's newest patch). */
  readonly factsVersion: string;
}

function pick<R extends { minor: string; latest: string }>(
  version: string,
  inherit: string | undefined,
  exact: (
    v: string,
  ) => { ok: true; value: { version: string; release: R; newerPatch: boolean } } | { ok: false; why: string },
  minor: (m: string) => { ok: true; value: R } | { ok: false; why: string },
  what: string,
): Chosen<R> {
  if (inherit) {
    const release = must(minor(inherit), `${what} inherit`);
    const label = !parseVersion(version);
    return {
      version,
      release,
      standing: label ? 'label' : 'inherited',
      factsVersion: label ? release.latest : version,
    };
  }
  const found = must(exact(version), what);
  return {
    version: found.version,
    release: found.release,
    standing: found.newerPatch ? 'newer-patch' : 'catalog',
    factsVersion: found.version,
  };
}

/** The support entry of a version the catalog does not know exactly: never `supported` when inherited. */
function standingEntry(
  entry: SupportEntry,
  project: string,
  p: Chosen<{ minor: string; latest: string }>,
  pinned: boolean,
): SupportEntry {
  if (p.standing === 'catalog') return pinned ? entry : { ...entry, pinned: false };
  if (p.standing === 'newer-patch')
    return {
      ...entry,
      pinned: false,
      detail: `${entry.detail}; ${p.version} is newer than the catalog's ${p.release.latest}: the ${p.release.minor} facts apply, its files are not pinned`,
    };
  const what =
    p.standing === 'label' ? `build ${p.version}` : `${p.version} (a minor the catalog does not know)`;
  return {
    component: entry.component,
    version: p.version,
    status: 'unknown',
    ...(entry.window ? { window: entry.window } : {}),
    inheritedFrom: p.release.minor,
    pinned: false,
    detail: `${project} ${what}: facts inherited from ${p.release.minor} (tested window ${entry.window ?? 'none'}); support unknown, nothing pinned`,
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

/** What a build of an unknown minor takes from the minor it inherits (said in results and the summary). */
const CALICO_INHERITED_FACTS = [
  'manifest file names',
  'API server namespace',
  'Dikastes image repository, template and log lines',
  'HTTP path matching',
  'Kubernetes window',
];
const ISTIO_INHERITED_FACTS = [
  'install flavour and injection templates',
  'extra IstioOperator values',
  'gRPC probe rewriting',
  'Kubernetes window',
];
const inherits = (p: { standing: CatalogStanding }) => p.standing === 'inherited' || p.standing === 'label';

/** Istio's images as the IstioOperator names them (`<hub>/pilot:<tag>`), when the tag is known. */
const ISTIO_DEFAULT_HUB = 'docker.io/istio';

/** Config → every decision the cell needs. Unsupported cells still resolve: they are reported, not skipped. */
export function resolveCell(config: CellConfig): ResolvedCell {
  const { builds } = config;
  const calico = pick(
    config.calico,
    config.calicoInherit,
    (v) => lookupCalico(v, { allowNewerPatch: true }),
    lookupCalicoMinor,
    'calico',
  );
  const istio = pick<IstioRelease>(
    config.istio,
    config.istioInherit,
    (v) => lookupIstio(v, { allowNewerPatch: true }),
    lookupIstioMinor,
    'istio',
  );
  const { k8s, kind } = nodeChoice(config);
  const k8sMinor = minorOf(parseVersion(k8s)!);

  // Defects are catalogued per tag: a label matches none.
  const defect = calico.standing === 'label' ? undefined : defectFor(calico.version);
  const calicoWindow = windowEntry('calico', calico.version, calico.release.kubernetes, k8sMinor);
  const calicoDefectEntry: SupportEntry = defect
    ? {
        ...calicoWindow,
        status: 'known-defect',
        detail: `${calico.version} carries known defect ${defect.id} (${defect.from}–${defect.to}): ${defect.title}; ${calicoWindow.detail}`,
        defectId: defect.id,
      }
    : calicoWindow;
  const file = calicoFileFor(config, calico.version, calico.release);
  const operatorManifests = calico.release.operatorManifests.map(file);
  const customResources = file('custom-resources.yaml');
  const alpEnvoy = file('alp/istio-app-layer-policy-envoy-v3.yaml');
  const { profile } = istio.release;
  const legacyInjectorPatch = profile.legacyInjectorPatch
    ? file(`alp/${profile.legacyInjectorPatch}`)
    : undefined;
  const calicoFiles = [
    ...operatorManifests,
    customResources,
    alpEnvoy,
    ...(legacyInjectorPatch ? [legacyInjectorPatch] : []),
  ];
  const calicoPinned = calicoFiles.every((f) => f.sha256);
  const calicoEntry = standingEntry(calicoDefectEntry, 'Calico', calico, calicoPinned);
  const istioEntry = standingEntry(
    windowEntry('istio', istio.version, istio.release.kubernetes, k8sMinor),
    'Istio',
    istio,
    istio.standing === 'catalog',
  );

  const httpPaths = httpPathsFor(calico.factsVersion, calico.release);
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

  const dikastesImage = builds.dikastesImage ?? `${calico.release.dikastesImage}:${calico.version}`;
  const installationImages = {
    ...(builds.calicoRegistry ? { registry: builds.calicoRegistry } : {}),
    ...(builds.calicoImagePath ? { imagePath: builds.calicoImagePath } : {}),
    ...(builds.calicoImagePrefix ? { imagePrefix: builds.calicoImagePrefix } : {}),
  };
  const hasInstallationImages = Object.keys(installationImages).length > 0;
  // `<registry><imagePath>/<imagePrefix><imageName>:<image-tag>` (operator-crds.yaml @ v3.32.1,
  // installations.operator.tigera.io spec.registry/imagePath/imagePrefix). The tag is the operator's:
  // with the user's operator it is unknown, so nothing is preloaded for it.
  const componentImages = builds.calicoOperatorImage
    ? []
    : CALICO_COMPONENT_IMAGES.map(
        (c) =>
          `${installationImages.registry ?? calico.release.imageRegistry}${installationImages.imagePath ?? 'calico'}/${installationImages.imagePrefix ?? ''}${c}:${calico.version}`,
      );
  const operatorImage =
    builds.calicoOperatorImage ?? (calico.standing === 'catalog' ? calico.release.operatorImage : undefined);

  const istioTag = builds.istioTag ?? (istio.standing === 'label' ? undefined : istio.version);
  const istioHub = builds.istioHub ?? ISTIO_DEFAULT_HUB;
  const istioImages = istioTag ? [`${istioHub}/pilot:${istioTag}`, `${istioHub}/proxyv2:${istioTag}`] : [];

  const notes = [
    ...buildNotes(config, calico, istio, calicoPinned),
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

  const tool = (name: ToolName, version: string, given?: IstioctlSource): ToolChoice => ({
    name,
    version,
    downloads: { amd64: toolSource(name, version, 'amd64'), arm64: toolSource(name, version, 'arm64') },
    ...(given ? { given } : {}),
  });
  const istioctl = builds.istioctl;
  const provenance: Provenance = {
    calico: {
      version: calico.version,
      standing: calico.standing,
      factsFrom: calico.release.minor,
      pinned: calicoPinned,
      manifests: manifestsProvenance(config, calico.version, calico.standing),
      ...(inherits(calico) ? { inheritedFacts: CALICO_INHERITED_FACTS } : {}),
      images: {
        dikastes: dikastesImage,
        dikastesSource: builds.dikastesImage ? 'user' : 'release',
        ...(builds.calicoOperatorImage ? { operator: builds.calicoOperatorImage } : {}),
        ...installationImages,
      },
    },
    istio: {
      version: istio.version,
      standing: istio.standing,
      factsFrom: istio.release.minor,
      ...(inherits(istio) ? { inheritedFacts: ISTIO_INHERITED_FACTS } : {}),
      istioctl: istioctl
        ? istioctl.kind === 'path'
          ? {
              source: 'path',
              location: istioctl.path,
              ...(istioctl.sha256 ? { sha256: istioctl.sha256 } : {}),
            }
          : { source: 'url', location: istioctl.url, sha256: istioctl.sha256 }
        : { source: 'release', location: toolSource('istioctl', istio.version, 'amd64').url },
      ...(builds.istioHub ? { hub: builds.istioHub } : {}),
      ...(builds.istioTag ? { tag: builds.istioTag } : {}),
    },
  };
  return {
    id: cellId(k8s, calico.version, istio.version),
    // kubectl at the node's Kubernetes patch, istioctl at the Istio release, kind at the release the image is for.
    tools: [
      tool('kind', kind.version),
      tool('kubectl', `v${k8s}`),
      tool('istioctl', istio.version, istioctl),
    ],
    kubernetes: { version: k8s, minor: k8sMinor },
    kind,
    calico: {
      version: calico.version,
      minor: calico.release.minor,
      operatorManifests,
      customResources,
      alpEnvoy,
      apiServerNamespace: calico.release.apiServerNamespace,
      dikastesImage,
      dikastesImageGiven: builds.dikastesImage !== undefined,
      ...(builds.calicoOperatorImage ? { operatorImage: builds.calicoOperatorImage } : {}),
      ...(hasInstallationImages ? { installationImages } : {}),
      images: [...(operatorImage ? [operatorImage] : []), ...componentImages],
      dikastesLog: calico.release.dikastesLog,
      httpPaths,
      dikastesChecksNegations: compareVersions(calico.factsVersion, DIKASTES_NEGATIONS_FROM) >= 0,
      ...(defect ? { defect } : {}),
    },
    istio: {
      version: istio.version,
      minor: istio.release.minor,
      profile,
      templatesAnnotation: TEMPLATES_ANNOTATION,
      ...(legacyInjectorPatch ? { legacyInjectorPatch } : {}),
      extraValues: istio.release.extraValues,
      ...(builds.istioHub ? { hub: builds.istioHub } : {}),
      ...(builds.istioTag ? { tag: builds.istioTag } : {}),
      images: istioImages,
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
    provenance,
    config,
  };
}

/** What the user should read first about a build the catalog does not pin or know. */
function buildNotes(
  config: CellConfig,
  calico: Chosen<CalicoRelease>,
  istio: Chosen<IstioRelease>,
  calicoPinned: boolean,
): string[] {
  const b = config.builds;
  const standing = (project: string, p: Chosen<{ minor: string; latest: string }>): string[] => {
    if (p.standing === 'newer-patch')
      return [
        `${project} ${p.version} is newer than the catalog's ${p.release.latest}: NOT PINNED (files fetched at that tag, sha256 recorded in results); the ${p.release.minor} facts and support window apply`,
      ];
    if (p.standing === 'inherited' || p.standing === 'label')
      return [
        `${project} ${p.version} is ${p.standing === 'label' ? 'a build label' : 'a minor the catalog does not know'}: facts INHERITED from ${project} ${p.release.minor} (${(project === 'Calico' ? CALICO_INHERITED_FACTS : ISTIO_INHERITED_FACTS).join(', ')}); support unknown; NOT PINNED`,
      ];
    return [];
  };
  const src = b.calicoManifests;
  return [
    ...standing('Calico', calico),
    ...standing('Istio', istio),
    ...(src
      ? [
          `Calico manifests from ${src.kind === 'directory' ? `the directory ${src.path}` : src.kind === 'url' ? src.base : `git ref ${src.ref} of projectcalico/calico`}: NOT PINNED (sha256 of every file recorded in results)`,
        ]
      : calico.standing === 'catalog' && !calicoPinned
        ? [
            `Calico ${calico.version}: the catalog pins only ${calico.release.latest}'s files; these are not pinned (sha256 recorded in results)`,
          ]
        : []),
    ...(b.dikastesImage
      ? [`Dikastes image ${b.dikastesImage} (user's), in the injection templates and the legacy patch alike`]
      : []),
    ...(b.calicoOperatorImage
      ? [
          `tigera-operator image ${b.calicoOperatorImage} (user's); Calico's component images are not preloaded (their tags are the operator's)`,
        ]
      : []),
    ...(b.calicoRegistry || b.calicoImagePath || b.calicoImagePrefix
      ? [
          `Installation images: ${[b.calicoRegistry && `registry ${b.calicoRegistry}`, b.calicoImagePath && `imagePath ${b.calicoImagePath}`, b.calicoImagePrefix && `imagePrefix ${b.calicoImagePrefix}`].filter(Boolean).join(', ')}`,
        ]
      : []),
    ...(b.istioctl
      ? [
          `istioctl from ${b.istioctl.kind === 'path' ? b.istioctl.path : b.istioctl.url} (user's${b.istioctl.sha256 ? `, sha256 ${b.istioctl.sha256}` : ''})`,
        ]
      : []),
    ...(b.istioHub || b.istioTag
      ? [`Istio images: hub ${b.istioHub ?? "istioctl's"}, tag ${b.istioTag ?? "istioctl's"}`]
      : []),
  ];
}

/** True when every component is within its window and free of known defects. */
export function isSupported(cell: ResolvedCell): boolean {
  return cell.support.every((s) => s.status === 'supported');
}

/** The worst standing of any component: known-defect > outside-window > unknown > supported. */
export function worstSupport(cell: ResolvedCell): SupportStatus {
  const rank: Record<SupportStatus, number> = {
    supported: 0,
    unknown: 1,
    'outside-window': 2,
    'known-defect': 3,
  };
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

/** The pinned Online Boutique's pods (labels, service account, port): `suite check`'s offline targets. */
export function resolveBoutiquePods(): {
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  readonly port: number;
  readonly source: string;
}[] {
  return BOUTIQUE_PODS.map((p) => ({
    ...p,
    source: `Online Boutique ${BOUTIQUE.version} release/kubernetes-manifests.yaml (catalog)`,
  }));
}

/** The pinned Online Boutique's Services (selector, port → targetPort): `suite check`'s offline service targets. */
export function resolveBoutiqueServices(): {
  readonly name: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly { readonly port: number; readonly targetPort: number | string }[];
  readonly source: string;
}[] {
  return BOUTIQUE_SERVICE_PORTS.map((s) => ({
    name: s.name,
    selector: { app: s.name },
    ports: [{ port: s.port, targetPort: s.targetPort }],
    source: `Online Boutique ${BOUTIQUE.version} release/kubernetes-manifests.yaml (catalog)`,
  }));
}
