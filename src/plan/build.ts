import type { ResolvedCell, UpstreamFile } from '../resolve/cell.js';
import {
  CELL_LABEL,
  FRONTEND_CONNECT_TIMEOUT_SECONDS,
  FRONTEND_RETRIES,
  GATEWAY_CANARY,
  INGRESS_HOST_PORT,
  ISTIO_DEFAULT_CONNECT_TIMEOUT_SECONDS,
  ISTIO_DEFAULT_RETRIES,
  PARALLEL_PULLS,
  RESOURCES,
  PRELOAD_LANES,
  INGRESS_SERVICE,
  ISTIO_NAMESPACE,
  POLICY_SYNC_PREFIX,
  WORKLOAD_NAMESPACE,
} from '../render/constants.js';
import { renderFelixConfiguration } from '../render/felix.js';
import { renderIstioOperator } from '../render/istio-operator.js';
import { kindNodeNames, renderKindConfig } from '../render/kind-config.js';
import {
  CERTS_D,
  hostsTomlPath,
  renderHostsToml,
  withContainerdRegistryPatch,
} from '../render/containerd-mirrors.js';
import { mirroredImageRef } from '../util/images.js';
import { renderBoutiqueKustomization } from '../render/boutique.js';
import { renderCalicoResourcesKustomization } from '../render/calico-installation.js';
import {
  renderFrontendDestinationRule,
  renderFrontendGateway,
  renderGatewayCanary,
  renderNamespace,
  renderPeerAuthentication,
} from '../render/workload.js';
import { toYaml } from '../render/yaml.js';
import { applyMirrors } from '../util/mirror.js';
import { VERSION } from '../version.js';
import {
  exec,
  type FetchCommand,
  type PlanCommand,
  type Phase,
  type PlanFacts,
  type RouteFacts,
  type RouteOnCluster,
  type PlanStep,
  type PlanTool,
  type RenderedPlan,
  type RetryPolicy,
} from './types.js';

/** Output that means "not there yet": CRDs not served, objects not created, API server restarting. */
const NOT_YET = [
  'NotFound',
  'not found',
  'no matching resources',
  "the server doesn't have a resource type",
  'the server could not find the requested resource',
  'connection refused',
  'ServiceUnavailable',
  'context deadline exceeded',
];

/** What one run adds to a plan so that runs sharing a Docker host never collide. */
export interface BuildOptions {
  /** Makes the cluster name unique to one run (a run draws it); absent, the name is the cell's. */
  readonly runId?: string;
  /** Host port for the gateway (a run picks a free one); absent, INGRESS_HOST_PORT. */
  readonly hostPort?: number;
}

/** The cell's versions, plus the run id when a run builds the plan: a retry or cleanup names only its own cluster. */
export function clusterName(cell: ResolvedCell, runId?: string): string {
  const raw = `cic-${cell.kubernetes.version}-${cell.calico.version}-${cell.istio.version}`;
  const base = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40);
  return runId
    ? `${base}-${runId
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 8)}`
    : base;
}

interface StepDraft {
  id: string;
  title: string;
  phase: Phase;
  guide?: string;
  commands: PlanCommand[];
  manifests?: string[];
  timeoutSeconds: number;
  retry?: RetryPolicy;
  optional?: boolean;
  background?: boolean;
  watchPods?: boolean;
}

/** Collects steps and files; each step depends on the one before unless told otherwise. */
class PlanBuilder {
  readonly steps: PlanStep[] = [];
  readonly files = new Map<string, string>();

  constructor(private readonly cell: ResolvedCell) {}

  file(path: string, ...docs: unknown[]): string {
    this.files.set(path, toYaml(...docs));
    return path;
  }

  /** A file written as given (not YAML). */
  text(path: string, content: string): string {
    this.files.set(path, content);
    return path;
  }

  /** A download of an upstream file through the mirrors, pinned when the catalog pins it. */
  fetch(
    f: UpstreamFile,
    dest = `downloads/${f.file.split('/').at(-1)}`,
    setImage?: FetchCommand['fetch']['setImage'],
  ): { fetch: FetchCommand; path: string } {
    // A user's local file (file://) is no upstream location: no mirror rule applies to it.
    const url = f.url.startsWith('file:') ? f.url : applyMirrors(f.url, this.cell.config.mirrors);
    const command = {
      url,
      dest,
      ...(f.sha256 ? { sha256: f.sha256 } : {}),
      ...(setImage ? { setImage } : {}),
    };
    return { fetch: { fetch: command }, path: dest };
  }

  private lastMain: string | undefined;
  private readonly sideSteps: string[] = [];

  /** A step on the main line: after the previous main step (and, once, after any side step before it). */
  step(d: StepDraft, waitForSideSteps = false): void {
    const deps = [
      ...(this.lastMain ? [this.lastMain] : []),
      ...(waitForSideSteps ? this.sideSteps.splice(0) : []),
    ];
    this.steps.push({ manifests: [], dependsOn: deps, ...d });
    this.lastMain = d.id;
  }

  /**
   * A step beside the main line, after the current main step (or `after`). The next main step that
   * asks for side steps waits for it, unless it is a background step that nothing waits on.
   */
  sideStep(d: StepDraft, after?: string[]): void {
    this.steps.push({ manifests: [], dependsOn: after ?? (this.lastMain ? [this.lastMain] : []), ...d });
    if (!d.background) this.sideSteps.push(d.id);
  }

  get current(): string | undefined {
    return this.lastMain;
  }
}

/** The kind config this plan creates the cluster with: the user's (when given) merged with the cell's needs. */
function kindConfig(cell: ResolvedCell, hostPort: number) {
  const { kindConfigFile, kindConfig: user } = cell.config;
  // The file is read (and refused) before planning: a plan without it would silently drop the user's nodes.
  if (kindConfigFile && !user)
    throw new Error(`kind-config ${kindConfigFile} was not loaded before planning (a bug)`);
  return withContainerdRegistryPatch(
    renderKindConfig({
      hostPort,
      labels: { [CELL_LABEL]: cell.id },
      maxParallelImagePulls: PARALLEL_PULLS,
      ...(user ? { user } : {}),
    }),
    cell.config.imageMirrors,
  );
}

/** Returns the names of the kind nodes the cluster will have. */
function clusterSteps(b: PlanBuilder, cell: ResolvedCell, name: string, hostPort: number): string[] {
  const rendered = kindConfig(cell, hostPort);
  const nodes = kindNodeNames(name, rendered.nodes);
  const config = b.file('manifests/kind-config.yaml', rendered);
  b.step({
    id: 'cluster-create',
    title: 'Create the kind cluster (nodes stay NotReady until Calico is in)',
    phase: 'cluster',
    commands: [
      exec(
        'kind',
        'create',
        'cluster',
        '--name',
        name,
        '--image',
        nodeImageRef(cell),
        '--config',
        config,
        '--wait',
        '0s',
      ),
    ],
    manifests: [config],
    timeoutSeconds: 300,
    retry: {
      attempts: 2,
      delaySeconds: 5,
      transient: ['.'],
      // The name carries this run's id: the retry deletes only what this run half-created.
      beforeRetry: [exec('kind', 'delete', 'cluster', '--name', name)],
    },
  });
  imageMirrorStep(b, cell, nodes);
  localImagesStep(b, cell, name, nodes);
  preloadSteps(b, cell, nodes);
  return nodes;
}

/** The node image as the host's Docker pulls it: through the docker.io mirror when one can serve it. */
function nodeImageRef(cell: ResolvedCell): string {
  return mirroredImageRef(cell.kind.nodeImage, cell.config.imageMirrors);
}

const CERTS_D_DIR = 'manifests/containerd/certs.d';

/**
 * hosts.toml per mirrored registry, copied into each node before anything pulls: containerd reads the
 * hosts directory on each pull (`core/remotes/docker/config/hosts.go` ConfigureHosts @ v2.3.1), so files
 * written after the node started apply to every later pull. `docker cp` (not extraMounts) leaves no
 * host directory to clean up and works with a remote Docker host.
 */
function imageMirrorStep(b: PlanBuilder, cell: ResolvedCell, nodes: readonly string[]): void {
  const rules = cell.config.imageMirrors;
  if (rules.length === 0) return;
  const files = rules.map((r) => b.text(hostsTomlPath(CERTS_D_DIR, r), renderHostsToml(r)));
  b.step({
    id: 'image-mirror',
    title: `Point the node's containerd at the mirrors of ${rules.map((r) => r.registry).join(', ')}`,
    phase: 'cluster',
    commands: nodes.map((n) => exec('docker', 'cp', `${CERTS_D_DIR}/.`, `${n}:${CERTS_D}`)),
    manifests: files,
    timeoutSeconds: 60,
  });
}

/**
 * The user's images, loaded before anything pulls (the preload starts after). `kind load docker-image`
 * fails with Docker 29's containerd image store (kubernetes-sigs/kind#3795, #4066; UPSTREAM.md §6):
 * its `ctr import --all-platforms` (kind `pkg/cluster/nodeutils/util.go` LoadImageArchive @ v0.32.0) wants
 * every platform's content, which that store does not keep for a pulled multi-arch image.
 * The fallback imports the host platform only: `docker save` piped into `ctr import` in each node.
 */
function localImagesStep(b: PlanBuilder, cell: ResolvedCell, name: string, nodes: readonly string[]): void {
  const images = cell.config.images;
  if (images.length === 0) return;
  b.step({
    id: 'load-images',
    title: `Load ${images.length} local image${images.length === 1 ? '' : 's'} into the node: ${images.join(', ')}`,
    phase: 'cluster',
    commands: images.map((image) => ({
      exec: ['kind', 'load', 'docker-image', image, '--name', name],
      orElse: nodes.map((n) => ({
        pipe: [
          ['docker', 'save', image],
          ['docker', 'exec', '-i', n, 'ctr', '-n', 'k8s.io', 'images', 'import', '-'],
        ],
      })),
    })),
    timeoutSeconds: 300 + 120 * images.length,
  });
}

/**
 * Pulls inside the node (`crictl pull`), a few lanes at once, Calico's images first: no host copy, so
 * it works with Docker 29's containerd store where `kind load docker-image` fails for multi-arch
 * images (kubernetes-sigs/kind#3795, #4066; UPSTREAM.md §6). Each image is its own optional background
 * step: a failure stays local, and nothing waits on them (the kubelet pulls whatever is missing).
 */
function preloadSteps(b: PlanBuilder, cell: ResolvedCell, nodes: readonly string[]): void {
  // An image the user loaded is never pulled over it.
  const loaded = new Set(cell.config.images);
  const images = preloadImages(cell).filter((i) => !loaded.has(i));
  // Every node pulls every image: calico-node runs on each, and any pod may land on any node.
  const pulls = nodes.flatMap((node) => images.map((image) => ({ node, image })));
  const lanes: (string | undefined)[] = Array.from({ length: PRELOAD_LANES }, () => b.current);
  pulls.forEach(({ node, image }, i) => {
    const lane = i % PRELOAD_LANES;
    const id = `preload-${String(i + 1).padStart(2, '0')}`;
    const after = lanes[lane];
    b.sideStep(
      {
        id,
        title: nodes.length > 1 ? `Pull ${image} inside node ${node}` : `Pull ${image} inside the node`,
        phase: 'cluster',
        commands: [exec('docker', 'exec', node, 'crictl', 'pull', image)],
        timeoutSeconds: 300,
        optional: true,
        background: true,
      },
      after ? [after] : [],
    );
    lanes[lane] = id;
  });
}

/** Images the node would pull one by one, Calico's first (the node is NotReady without them). */
export function preloadImages(cell: ResolvedCell): string[] {
  const install = new Set(cell.config.install);
  return [
    ...(install.has('calico') ? cell.calico.images : []),
    ...(install.has('istio') ? cell.istio.images : []),
    ...(install.has('workload') ? [cell.calico.dikastesImage, ...cell.boutique.images] : []),
    // A suite's probe client (the proxy image: already listed when Istio is installed).
    ...(install.has('workload') && !install.has('istio') ? [cell.probeClient.image] : []),
  ];
}

function calicoSteps(b: PlanBuilder, cell: ResolvedCell): void {
  const operator = cell.calico.operatorManifests.map((f) => b.fetch(f));
  b.step({
    id: 'calico-operator',
    watchPods: true,
    title: `Install the Tigera operator and CRDs (Calico ${cell.calico.version})`,
    phase: 'calico',
    guide: 'Before you begin: Calico CNI is installed',
    commands: [
      ...operator.map((o) => o.fetch),
      // Too large for client-side apply's last-applied annotation: create, as upstream says.
      ...operator.map((o) => exec('kubectl', 'create', '-f', o.path)),
      // The user's operator replaces the manifest's before any Installation exists to reconcile
      // (container tigera-operator of Deployment tigera-operator: manifests/tigera-operator.yaml @ v3.32.1).
      ...(cell.calico.operatorImage
        ? [
            exec(
              'kubectl',
              'set',
              'image',
              'deployment/tigera-operator',
              '-n',
              'tigera-operator',
              `tigera-operator=${cell.calico.operatorImage}`,
            ),
          ]
        : []),
      exec('kubectl', 'wait', '--for=condition=Established', 'crd', '--all', '--timeout=120s'),
      exec(
        'kubectl',
        'rollout',
        'status',
        'deployment/tigera-operator',
        '-n',
        'tigera-operator',
        '--timeout=300s',
      ),
    ],
    timeoutSeconds: 480,
  });
  const kustomization = renderCalicoResourcesKustomization(cell, cell.calico.customResources.file);
  const resources = kustomization
    ? b.fetch(cell.calico.customResources, `manifests/calico/${cell.calico.customResources.file}`)
    : b.fetch(cell.calico.customResources);
  const kustomized = kustomization ? b.file('manifests/calico/kustomization.yaml', kustomization) : undefined;
  b.step({
    id: 'calico-install',
    title: kustomized
      ? 'Create Installation (with the given image registry/path/prefix) and APIServer'
      : 'Create Installation and APIServer (pool 192.168.0.0/16, CSI driver on by default)',
    phase: 'calico',
    commands: [
      resources.fetch,
      kustomized
        ? exec('kubectl', 'create', '-k', 'manifests/calico')
        : exec('kubectl', 'create', '-f', resources.path),
    ],
    ...(kustomized ? { manifests: [kustomized] } : {}),
    timeoutSeconds: 120,
  });
  b.step({
    id: 'calico-ready',
    watchPods: true,
    title: 'Wait for Calico: tigerastatus calico Available, nodes Ready',
    phase: 'calico',
    commands: [
      exec('kubectl', 'wait', '--for=condition=Available', 'tigerastatus/calico', '--timeout=600s'),
      exec('kubectl', 'wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=300s'),
    ],
    timeoutSeconds: 900,
    // The operator creates these objects a little after it starts.
    retry: { attempts: 30, delaySeconds: 10, transient: NOT_YET },
  });
  // Istio needs only Ready nodes and a pod network: the API server, the CSI driver and the Felix
  // patch come up beside it; the workload waits for them (Dikastes needs the CSI socket and Policy Sync).
  const ready = b.current;
  b.sideStep(
    {
      id: 'calico-apiserver',
      watchPods: true,
      title: 'Wait for the Calico API server (tigerastatus, APIService) and the CSI driver',
      phase: 'calico',
      commands: [
        exec('kubectl', 'wait', '--for=condition=Available', 'tigerastatus/apiserver', '--timeout=600s'),
        exec(
          'kubectl',
          'wait',
          '--for=condition=Available',
          'apiservice/v3.projectcalico.org',
          '--timeout=300s',
        ),
        exec(
          'kubectl',
          'rollout',
          'status',
          'daemonset/csi-node-driver',
          '-n',
          'calico-system',
          '--timeout=300s',
        ),
      ],
      timeoutSeconds: 900,
      retry: { attempts: 30, delaySeconds: 10, transient: NOT_YET },
    },
    ready ? [ready] : [],
  );
  const felix = b.file('manifests/felix-configuration.yaml', renderFelixConfiguration());
  b.sideStep(
    {
      id: 'felix-policy-sync',
      title: 'Enable the Felix Policy Sync API and disable connect-time load balancing',
      phase: 'calico',
      guide: '1. Enable application layer policy',
      commands: [
        exec(
          'kubectl',
          'patch',
          'felixconfigurations.projectcalico.org',
          'default',
          '--type',
          'merge',
          '--patch-file',
          felix,
        ),
      ],
      manifests: [felix],
      timeoutSeconds: 120,
      retry: { attempts: 12, delaySeconds: 5, transient: NOT_YET },
    },
    ['calico-apiserver'],
  );
}

function istioSteps(b: PlanBuilder, cell: ResolvedCell): void {
  const { profile, legacyInjectorPatch } = cell.istio;
  const operator = b.file('manifests/istio-operator.yaml', renderIstioOperator(cell));
  const templates = profile.injectionTemplates;
  b.step({
    id: 'istio-install',
    watchPods: true,
    title: templates.length
      ? `Install Istio ${cell.istio.version} with the ${templates.join(' and ')} templates`
      : `Install Istio ${cell.istio.version} (plain IstioOperator, legacy flavour)`,
    phase: 'istio',
    guide: templates.length ? profile.guide : 'Legacy Installation',
    commands: [exec('istioctl', 'install', '-y', '-f', operator)],
    manifests: [operator],
    timeoutSeconds: 900,
  });
  if (legacyInjectorPatch) {
    // The user's Dikastes replaces the patch's own image lines, as it replaces the templates' image.
    const patch = b.fetch(
      legacyInjectorPatch,
      undefined,
      cell.calico.dikastesImageGiven ? { name: 'dikastes', image: cell.calico.dikastesImage } : undefined,
    );
    const file = legacyInjectorPatch.file.split('/').at(-1);
    b.step({
      id: 'istio-legacy-injector',
      title: `Patch istio-sidecar-injector with Calico's ${file} (Dikastes in the sidecar template)`,
      phase: 'istio',
      guide: profile.guide,
      commands: [
        patch.fetch,
        exec(
          'kubectl',
          'patch',
          'configmap',
          '-n',
          ISTIO_NAMESPACE,
          'istio-sidecar-injector',
          '--patch-file',
          patch.path,
        ),
      ],
      timeoutSeconds: 120,
    });
  }
}

function alpSteps(b: PlanBuilder, cell: ResolvedCell): void {
  const envoy = b.fetch(cell.calico.alpEnvoy);
  b.step({
    id: 'alp-envoy',
    title: 'Add the Dikastes ServiceEntry, DestinationRule and ext_authz EnvoyFilter',
    phase: 'alp',
    guide: '4. Add Envoy authorization services',
    commands: [envoy.fetch, exec('kubectl', 'apply', '-f', envoy.path)],
    timeoutSeconds: 120,
    retry: { attempts: 6, delaySeconds: 5, transient: ['failed calling webhook', 'connection refused'] },
  });
}

function workloadSteps(b: PlanBuilder, cell: ResolvedCell): void {
  const annotation = cell.istio.profile.podAnnotation;
  const ns = b.file('manifests/namespace.yaml', renderNamespace(cell));
  const mtls = cell.config.strictMtls
    ? [b.file('manifests/peer-authentication.yaml', renderPeerAuthentication())]
    : [];
  b.step({
    id: 'workload-namespace',
    title: `Namespace ${WORKLOAD_NAMESPACE} labelled istio-injection=enabled${mtls.length ? ', mesh-wide STRICT mTLS' : ''}`,
    phase: 'workload',
    guide: '5. Enable Istio injection for namespaces; 8. (Optional) Enable strict mTLS',
    commands: [exec('kubectl', 'apply', '-f', ns), ...mtls.map((m) => exec('kubectl', 'apply', '-f', m))],
    manifests: [ns, ...mtls],
    timeoutSeconds: 120,
    retry: { attempts: 6, delaySeconds: 5, transient: ['failed calling webhook', 'connection refused'] },
  });
  const kustomization = b.file('manifests/boutique/kustomization.yaml', renderBoutiqueKustomization(cell));
  const upstream = b.fetch(cell.boutique.manifest, `manifests/boutique/${cell.boutique.manifest.file}`);
  b.step(
    {
      id: 'boutique',
      title: `Deploy Online Boutique ${cell.boutique.version}${annotation ? ` annotated ${annotation.value}` : ''} (no loadgenerator, no frontend-external)`,
      phase: 'workload',
      guide: '6. Annotate pods to inject Dikastes',
      commands: [upstream.fetch, exec('kubectl', 'apply', '-k', 'manifests/boutique')],
      manifests: [kustomization],
      timeoutSeconds: 180,
    },
    true,
  );
  const gw = b.file('manifests/frontend-gateway.yaml', ...renderFrontendGateway());
  const dr = b.file('manifests/frontend-destination-rule.yaml', renderFrontendDestinationRule());
  b.step({
    id: 'frontend-gateway',
    title: 'Route the ingress gateway to the frontend; lower its upstream connect timeout',
    phase: 'workload',
    commands: [exec('kubectl', 'apply', '-f', gw), exec('kubectl', 'apply', '-f', dr)],
    manifests: [gw, dr],
    timeoutSeconds: 120,
  });
  const canaryAnnotation = cell.istio.profile.gatewayCanaryAnnotation;
  if (canaryAnnotation) {
    const canary = b.file('manifests/gateway-canary.yaml', renderGatewayCanary(cell, canaryAnnotation));
    b.step({
      id: 'gateway-canary',
      title: `Deploy a workload with the guide’s gateway annotation (${canaryAnnotation.value}, root)`,
      phase: 'workload',
      guide: '6. Annotate pods to inject Dikastes: for gateway workloads',
      commands: [exec('kubectl', 'apply', '-f', canary)],
      manifests: [canary],
      timeoutSeconds: 120,
    });
  }
  b.step({
    id: 'rollout',
    watchPods: true,
    title: 'Wait for every Deployment and the ingress gateway to be Available',
    phase: 'workload',
    guide: '7. Verify Dikastes injection',
    commands: [
      exec(
        'kubectl',
        'wait',
        '--for=condition=Available',
        'deployment',
        '--all',
        '-n',
        WORKLOAD_NAMESPACE,
        '--timeout=900s',
      ),
      exec(
        'kubectl',
        'rollout',
        'status',
        `deployment/${INGRESS_SERVICE}`,
        '-n',
        ISTIO_NAMESPACE,
        '--timeout=300s',
      ),
    ],
    timeoutSeconds: 1260,
  });
}

/** A drop surfaces after every attempt timed out; the probe waits that long plus margin. */
function routeFacts(owned: boolean): RouteFacts {
  const connectTimeoutMs =
    (owned ? FRONTEND_CONNECT_TIMEOUT_SECONDS : ISTIO_DEFAULT_CONNECT_TIMEOUT_SECONDS) * 1000;
  const retries = owned ? FRONTEND_RETRIES.attempts : ISTIO_DEFAULT_RETRIES;
  const l4DenialMs = (1 + retries) * connectTimeoutMs;
  return {
    owned,
    connectTimeoutMs,
    retries,
    newConnectionPerRequest: owned,
    l4DenialMs,
    // Margin for a loaded runner; not owned, this equals the prober's default for Istio's defaults.
    probeTimeoutMs: l4DenialMs + 5_000,
  };
}

/** What the rendered route objects set, read back from the renderers so the two never drift. */
function routeOnCluster(): RouteOnCluster {
  const dr = renderFrontendDestinationRule();
  const vs = renderFrontendGateway().find((d) => d.kind === 'VirtualService');
  const retries = vs?.spec.http?.[0]?.retries;
  if (!vs || !retries) throw new Error('the frontend VirtualService renders no retries');
  const pool = dr.spec.trafficPolicy.connectionPool;
  return {
    namespace: dr.metadata.namespace,
    destinationRule: {
      name: dr.metadata.name,
      connectTimeout: pool.tcp.connectTimeout,
      maxRequestsPerConnection: pool.http.maxRequestsPerConnection,
    },
    virtualService: {
      name: vs.metadata.name,
      retries: { attempts: retries.attempts, retryOn: retries.retryOn },
    },
  };
}

const cpu = (v: string) => Number(/^(\d+)m$/.exec(v)?.[1] ?? 0);
const mem = (v: string) => Number(/^(\d+)Mi$/.exec(v)?.[1] ?? 0);

/**
 * Summed requests of what this plan installs (UPSTREAM.md §6 "Capacity"): kind's control plane, the
 * kept Boutique containers as the kustomization sets them, one sidecar per pod, istiod and the
 * gateway as the IstioOperator sets them. Calico's own pods set no requests by default.
 */
function capacity(cell: ResolvedCell): PlanFacts['capacity'] {
  const install = new Set(cell.config.install);
  const parts: { what: string; cpuMillis: number; memoryMiB: number }[] = [];
  const cp = cell.controlPlaneRequests;
  if (cp)
    parts.push({
      what: cp.nodes > 1 ? `kind control plane (${cp.nodes} nodes, one Docker host)` : 'kind control plane',
      cpuMillis: cp.cpuMillis,
      memoryMiB: cp.memoryMiB,
    });
  if (install.has('istio')) {
    const { istiod, gateway } = RESOURCES;
    parts.push({ what: 'istiod', cpuMillis: cpu(istiod.cpu), memoryMiB: mem(istiod.memory) });
    parts.push({ what: 'ingress gateway', cpuMillis: cpu(gateway.cpu), memoryMiB: mem(gateway.memory) });
  }
  if (install.has('workload')) {
    const w = cell.boutique.workloads;
    parts.push({
      what: `Online Boutique (${w.length} pods)`,
      cpuMillis: w.reduce((t, x) => t + x.cpuMillis, 0),
      memoryMiB: w.reduce((t, x) => t + x.memoryMiB, 0),
    });
    const pods = w.length + (cell.istio.profile.gatewayCanaryAnnotation ? 1 : 0);
    parts.push({
      what: `${pods} sidecars`,
      cpuMillis: pods * cpu(RESOURCES.proxy.cpu),
      memoryMiB: pods * mem(RESOURCES.proxy.memory),
    });
  }
  return {
    cpuMillis: parts.reduce((t, p) => t + p.cpuMillis, 0),
    memoryMiB: parts.reduce((t, p) => t + p.memoryMiB, 0),
    parts,
  };
}

/** Waiting reasons (and Unschedulable) that do not fix themselves within a rollout. */
const STUCK_REASONS = [
  'ImagePullBackOff',
  'ErrImagePull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'Unschedulable',
];

/** What the engine, checks, suite and diagnostics need to know, decided here with the steps. */
function planFacts(cell: ResolvedCell, clusterName: string | undefined, hostPort: number): PlanFacts {
  const { profile } = cell.istio;
  const deployed = cell.config.install.includes('workload');
  // harness-workload: an earlier plan or bundle deployed it; its route is checked on the cluster first.
  const workload = deployed || cell.config.harnessWorkload;
  const canary = profile.gatewayCanaryAnnotation;
  const route = routeFacts(workload);
  return {
    workloadNamespace: WORKLOAD_NAMESPACE,
    istioNamespace: ISTIO_NAMESPACE,
    ingressUrl: cell.config.ingressUrl ?? `http://127.0.0.1:${hostPort}`,
    route: deployed || !workload ? route : { ...route, onCluster: routeOnCluster() },
    istioFlavour: profile.flavour,
    envoyStats: { container: 'istio-proxy', command: ['pilot-agent', 'request', 'GET', 'stats'] },
    probeClient: cell.probeClient,
    checks: {
      namespaceLabel: profile.namespaceLabel,
      templatesAnnotation: cell.istio.templatesAnnotation,
      ...(profile.podAnnotation ? { podAnnotation: profile.podAnnotation } : {}),
      injector: {
        namespace: ISTIO_NAMESPACE,
        configMap: 'istio-sidecar-injector',
        expect: profile.injectorCheck,
      },
      dikastes: { container: 'dikastes', log: cell.calico.dikastesLog },
      csiDriver: { namespace: 'calico-system', selector: 'k8s-app=csi-node-driver' },
      // tigera/operator pkg/render/node.go (v1.32.12 … v1.42.3): calico-node pods carry k8s-app: calico-node.
      calicoNode: { namespace: 'calico-system', selector: 'k8s-app=calico-node' },
      policySyncPrefix: POLICY_SYNC_PREFIX,
      canaryLabels: { app: GATEWAY_CANARY },
      canary:
        canary && workload
          ? {
              deployed: true,
              name: GATEWAY_CANARY,
              namespace: WORKLOAD_NAMESPACE,
              labels: { app: GATEWAY_CANARY },
              annotation: canary,
            }
          : {
              deployed: false,
              why: canary
                ? 'this run did not deploy the workload (install has no workload)'
                : 'legacy flavour: there is no dikastes-gateway template to prove',
            },
    },
    ...(cell.calico.defect ? { knownDefect: cell.calico.defect } : {}),
    policyOracle: policyOracle(cell),
    gatewayPods: { namespace: ISTIO_NAMESPACE, selector: 'istio=ingressgateway' },
    notes: cell.notes,
    amd64Only: cell.amd64Only,
    ...(clusterName ? { clusterName, hostPort, cellLabel: { key: CELL_LABEL, value: cell.id } } : {}),
    capacity: capacity(cell),
    stuckReasons: STUCK_REASONS,
    ...(clusterName && cell.config.images.length ? { localImages: cell.config.images } : {}),
    ...(clusterName && cell.config.imageMirrors.length ? { imageMirrors: cell.config.imageMirrors } : {}),
  };
}

/** The tools the commands run, through the mirrors, each with the checksum file published beside it. */
function planTools(cell: ResolvedCell): PlanTool[] {
  const mirrored = (d: { url: string; checksumUrl: string; archivePath?: string }) => ({
    url: applyMirrors(d.url, cell.config.mirrors),
    checksumUrl: applyMirrors(d.checksumUrl, cell.config.mirrors),
    ...(d.archivePath ? { archivePath: d.archivePath } : {}),
  });
  const install = new Set(cell.config.install);
  const kind = cell.config.cluster === 'kind';
  return cell.tools
    .filter((t) => (t.name === 'kind' ? kind : t.name === 'istioctl' ? install.has('istio') : true))
    .map((t) => ({
      name: t.name,
      version: t.version,
      downloads: { amd64: mirrored(t.downloads.amd64), arm64: mirrored(t.downloads.arm64) },
      checksumSource: t.given
        ? t.given.sha256
          ? 'the sha256 the user gave'
          : 'none: a local build the user gave (its sha256 is recorded)'
        : 'the first field of the published checksum file beside the download',
      ...(t.given ? { given: givenTool(t.given, cell) } : {}),
    }));
}

/** The user's tool: a local path as is; a URL through the mirrors, unpacked when it is a .tar.gz. */
function givenTool(
  g: NonNullable<ResolvedCell['tools'][number]['given']>,
  cell: ResolvedCell,
): NonNullable<PlanTool['given']> {
  if (g.kind === 'path') return { path: g.path, ...(g.sha256 ? { sha256: g.sha256 } : {}) };
  const archive = /\.(tar\.gz|tgz)$/.test(new URL(g.url).pathname);
  return {
    url: applyMirrors(g.url, cell.config.mirrors),
    sha256: g.sha256,
    ...(archive ? { archivePath: 'istioctl' } : {}),
  };
}

/** Resolved cell → ordered steps with argv and rendered manifests. Pure: no I/O. */
export function buildPlan(cell: ResolvedCell, opts: BuildOptions = {}): RenderedPlan {
  const b = new PlanBuilder(cell);
  const kind = cell.config.cluster === 'kind';
  const name = kind ? clusterName(cell, opts.runId) : undefined;
  const hostPort = opts.hostPort ?? INGRESS_HOST_PORT;
  const install = new Set(cell.config.install);
  const nodes = name ? clusterSteps(b, cell, name, hostPort) : undefined;
  if (install.has('calico')) calicoSteps(b, cell);
  if (install.has('istio')) istioSteps(b, cell);
  if (install.has('alp')) alpSteps(b, cell);
  if (install.has('workload')) workloadSteps(b, cell);

  const cleanup: PlanStep[] = name
    ? [
        {
          id: 'cluster-delete',
          title: 'Delete the kind cluster',
          phase: 'cluster',
          commands: [exec('kind', 'delete', 'cluster', '--name', name)],
          manifests: [],
          timeoutSeconds: 180,
          dependsOn: [],
        },
      ]
    : [];

  return {
    plan: {
      schemaVersion: 1,
      generator: `calico-istio-conformance ${VERSION}`,
      cell: {
        id: cell.id,
        kubernetes: cell.kubernetes.version,
        kind: cell.kind.version,
        nodeImage: cell.kind.nodeImage,
        calico: cell.calico.version,
        istio: cell.istio.version,
        istioFlavour: cell.istio.profile.flavour,
        dikastesImage: cell.calico.dikastesImage,
        boutique: cell.boutique.version,
        strictMtls: cell.config.strictMtls,
        cluster: cell.config.cluster,
        ...(name ? { clusterName: name } : {}),
        install: [...install],
      },
      tools: planTools(cell),
      support: cell.support,
      provenance: cell.provenance,
      facts: { ...planFacts(cell, name, hostPort), ...(nodes ? { nodes } : {}) },
      // kind writes its context here, not into the user's kubeconfig.
      env: kind ? { KUBECONFIG: 'kubeconfig' } : {},
      steps: b.steps,
      cleanup,
    },
    files: b.files,
  };
}

/** The Calico version's semantics as the policy oracle takes them. */
function policyOracle(cell: ResolvedCell): PlanFacts['policyOracle'] {
  const d = cell.calico.defect;
  return {
    calico: cell.calico.version,
    httpPaths: cell.calico.httpPaths,
    dikastesChecksNegations: cell.calico.dikastesChecksNegations,
    ...(d?.symptom === 'deny-all'
      ? { denyAllDefect: { id: d.id, issue: d.issue, diagnosis: d.diagnosis } }
      : {}),
  };
}
