import { BOUTIQUE, CALICO_MANIFESTS_URL } from '../catalog/index.js';
import type { ResolvedCell } from '../catalog/resolve.js';
import { INGRESS_SERVICE, ISTIO_NAMESPACE, WORKLOAD_NAMESPACE } from '../render/constants.js';
import { renderFelixConfiguration } from '../render/felix.js';
import { renderIstioOperator } from '../render/istio-operator.js';
import { renderKindConfig } from '../render/kind-config.js';
import { BOUTIQUE_UPSTREAM_FILE, renderBoutiqueKustomization } from '../render/boutique.js';
import {
  renderFrontendDestinationRule,
  renderFrontendGateway,
  renderGatewayCanary,
  renderNamespace,
  renderPeerAuthentication,
  workloadTemplates,
} from '../render/workload.js';
import { toYaml } from '../render/yaml.js';
import { applyMirrors } from '../util/mirror.js';
import { VERSION } from '../version.js';
import { FETCH, type Argv, type Phase, type PlanStep, type RenderedPlan, type RetryPolicy } from './types.js';

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

export function clusterName(cell: ResolvedCell): string {
  const raw = `cic-${cell.kubernetes.version}-${cell.calico.version}-${cell.istio.version}`;
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 50);
}

interface StepDraft {
  id: string;
  title: string;
  phase: Phase;
  guide?: string;
  commands: Argv[];
  manifests?: string[];
  timeoutSeconds: number;
  retry?: RetryPolicy;
  optional?: boolean;
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

  fetch(url: string, dest: string, sha256?: string): Argv {
    const mirrored = applyMirrors(url, this.cell.config.mirrors);
    return sha256 ? [FETCH, '--sha256', sha256, mirrored, dest] : [FETCH, mirrored, dest];
  }

  calicoFile(file: string, dest = `downloads/${file.split('/').at(-1)}`): { fetch: Argv; path: string } {
    const { version, release } = this.cell.calico;
    const url = `${CALICO_MANIFESTS_URL.replace('{version}', version)}/${file}`;
    return { fetch: this.fetch(url, dest, release.digests[`${version}/${file}`]), path: dest };
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

  /** A step that runs beside the main line, starting after the current main step. */
  sideStep(d: StepDraft): void {
    this.steps.push({ manifests: [], dependsOn: this.lastMain ? [this.lastMain] : [], ...d });
    this.sideSteps.push(d.id);
  }
}

function clusterSteps(b: PlanBuilder, cell: ResolvedCell, name: string): void {
  const config = b.file('manifests/kind-config.yaml', renderKindConfig());
  b.step({
    id: 'cluster-create',
    title: 'Create the kind cluster (nodes stay NotReady until Calico is in)',
    phase: 'cluster',
    commands: [
      [
        'kind',
        'create',
        'cluster',
        '--name',
        name,
        '--image',
        cell.kind.nodeImage,
        '--config',
        config,
        '--wait',
        '0s',
      ],
    ],
    manifests: [config],
    timeoutSeconds: 300,
    retry: {
      attempts: 2,
      delaySeconds: 5,
      transient: ['.'],
      beforeRetry: [['kind', 'delete', 'cluster', '--name', name]],
    },
  });
  if (cell.config.install.includes('workload')) {
    const images = preloadImages(cell);
    b.sideStep({
      id: 'images-preload',
      title:
        'Pull the Istio, Dikastes and Boutique images and load them into the node (while Calico installs)',
      phase: 'cluster',
      commands: [
        ...images.map((i) => ['docker', 'pull', i]),
        ['kind', 'load', 'docker-image', '--name', name, ...images],
      ],
      timeoutSeconds: 900,
      // A speed-up only: when it fails the node pulls the images itself.
      optional: true,
    });
  }
}

/** Images the node would pull one by one; loaded up front from the runner's Docker. */
export function preloadImages(cell: ResolvedCell): string[] {
  const istio = cell.istio.version;
  return [
    `docker.io/istio/pilot:${istio}`,
    `docker.io/istio/proxyv2:${istio}`,
    cell.calico.dikastesImage,
    ...BOUTIQUE.services.map((s) => `${BOUTIQUE.imageRepository}/${s}:${BOUTIQUE.version}`),
  ];
}

function calicoSteps(b: PlanBuilder, cell: ResolvedCell): void {
  const operator = cell.calico.release.operatorManifests.map((f) => b.calicoFile(f));
  b.step({
    id: 'calico-operator',
    title: `Install the Tigera operator and CRDs (Calico ${cell.calico.version})`,
    phase: 'calico',
    guide: 'Before you begin: Calico CNI is installed',
    commands: [
      ...operator.map((o) => o.fetch),
      // Too large for client-side apply's last-applied annotation: create, as upstream says.
      ...operator.map((o) => ['kubectl', 'create', '-f', o.path]),
      ['kubectl', 'wait', '--for=condition=Established', 'crd', '--all', '--timeout=120s'],
      [
        'kubectl',
        'rollout',
        'status',
        'deployment/tigera-operator',
        '-n',
        'tigera-operator',
        '--timeout=300s',
      ],
    ],
    timeoutSeconds: 480,
  });
  const resources = b.calicoFile('custom-resources.yaml');
  b.step({
    id: 'calico-install',
    title: 'Create Installation and APIServer (pool 192.168.0.0/16, CSI driver on by default)',
    phase: 'calico',
    commands: [resources.fetch, ['kubectl', 'create', '-f', resources.path]],
    timeoutSeconds: 120,
  });
  b.step({
    id: 'calico-ready',
    title:
      'Wait for Calico: tigerastatus Available, nodes Ready, Calico API server Available, CSI driver rolled out',
    phase: 'calico',
    commands: [
      ['kubectl', 'wait', '--for=condition=Available', 'tigerastatus/calico', '--timeout=600s'],
      ['kubectl', 'wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=300s'],
      ['kubectl', 'wait', '--for=condition=Available', 'tigerastatus/apiserver', '--timeout=600s'],
      ['kubectl', 'wait', '--for=condition=Available', 'apiservice/v3.projectcalico.org', '--timeout=300s'],
      ['kubectl', 'rollout', 'status', 'daemonset/csi-node-driver', '-n', 'calico-system', '--timeout=300s'],
    ],
    timeoutSeconds: 1200,
    // The operator creates these objects a little after it starts.
    retry: { attempts: 30, delaySeconds: 10, transient: NOT_YET },
  });
  const felix = b.file('manifests/felix-configuration.yaml', renderFelixConfiguration());
  b.step({
    id: 'felix-policy-sync',
    title: 'Enable the Felix Policy Sync API and disable connect-time load balancing',
    phase: 'calico',
    guide: '1. Enable application layer policy',
    commands: [
      [
        'kubectl',
        'patch',
        'felixconfigurations.projectcalico.org',
        'default',
        '--type',
        'merge',
        '--patch-file',
        felix,
      ],
    ],
    manifests: [felix],
    timeoutSeconds: 120,
    retry: { attempts: 12, delaySeconds: 5, transient: NOT_YET },
  });
}

function istioSteps(b: PlanBuilder, cell: ResolvedCell): void {
  const { release } = cell.istio;
  const operator = b.file('manifests/istio-operator.yaml', renderIstioOperator(cell));
  b.step({
    id: 'istio-install',
    title:
      release.flavour === 'templates'
        ? `Install Istio ${cell.istio.version} with the dikastes and dikastes-gateway templates`
        : `Install Istio ${cell.istio.version} (plain IstioOperator, legacy flavour)`,
    phase: 'istio',
    guide:
      release.flavour === 'templates'
        ? '3. Configure Istio with Dikastes injection templates'
        : 'Legacy Installation',
    commands: [['istioctl', 'install', '-y', '-f', operator]],
    manifests: [operator],
    timeoutSeconds: 900,
  });
  if (release.legacyInjectorPatch) {
    const patch = b.calicoFile(`alp/${release.legacyInjectorPatch}`);
    b.step({
      id: 'istio-legacy-injector',
      title: `Patch istio-sidecar-injector with Calico's ${release.legacyInjectorPatch} (Dikastes in the sidecar template)`,
      phase: 'istio',
      guide: 'Legacy Installation (ConfigMap Patching)',
      commands: [
        patch.fetch,
        [
          'kubectl',
          'patch',
          'configmap',
          '-n',
          ISTIO_NAMESPACE,
          'istio-sidecar-injector',
          '--patch-file',
          patch.path,
        ],
      ],
      timeoutSeconds: 120,
    });
  }
}

function alpSteps(b: PlanBuilder): void {
  const envoy = b.calicoFile('alp/istio-app-layer-policy-envoy-v3.yaml');
  b.step({
    id: 'alp-envoy',
    title: 'Add the Dikastes ServiceEntry, DestinationRule and ext_authz EnvoyFilter',
    phase: 'alp',
    guide: '4. Add Envoy authorization services',
    commands: [envoy.fetch, ['kubectl', 'apply', '-f', envoy.path]],
    timeoutSeconds: 120,
    retry: { attempts: 6, delaySeconds: 5, transient: ['failed calling webhook', 'connection refused'] },
  });
}

function workloadSteps(b: PlanBuilder, cell: ResolvedCell): void {
  const templates = workloadTemplates(cell);
  const ns = b.file('manifests/namespace.yaml', renderNamespace());
  const mtls = cell.config.strictMtls
    ? [b.file('manifests/peer-authentication.yaml', renderPeerAuthentication())]
    : [];
  b.step({
    id: 'workload-namespace',
    title: `Namespace ${WORKLOAD_NAMESPACE} labelled istio-injection=enabled${mtls.length ? ', mesh-wide STRICT mTLS' : ''}`,
    phase: 'workload',
    guide: '5. Enable Istio injection for namespaces; 8. (Optional) Enable strict mTLS',
    commands: [['kubectl', 'apply', '-f', ns], ...mtls.map((m) => ['kubectl', 'apply', '-f', m])],
    manifests: [ns, ...mtls],
    timeoutSeconds: 120,
    retry: { attempts: 6, delaySeconds: 5, transient: ['failed calling webhook', 'connection refused'] },
  });
  const kustomization = b.file(
    'manifests/boutique/kustomization.yaml',
    renderBoutiqueKustomization(templates),
  );
  const upstream = `manifests/boutique/${BOUTIQUE_UPSTREAM_FILE}`;
  b.step(
    {
      id: 'boutique',
      title: `Deploy Online Boutique ${BOUTIQUE.version}${templates ? ` annotated ${templates}` : ''} (no loadgenerator, no frontend-external)`,
      phase: 'workload',
      guide: '6. Annotate pods to inject Dikastes',
      commands: [
        b.fetch(BOUTIQUE.manifestUrl, upstream, BOUTIQUE.sha256),
        ['kubectl', 'apply', '-k', 'manifests/boutique'],
      ],
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
    commands: [
      ['kubectl', 'apply', '-f', gw],
      ['kubectl', 'apply', '-f', dr],
    ],
    manifests: [gw, dr],
    timeoutSeconds: 120,
  });
  if (templates) {
    const canary = b.file('manifests/gateway-canary.yaml', renderGatewayCanary(cell));
    b.step({
      id: 'gateway-canary',
      title: 'Deploy a workload with the guide’s gateway annotation (sidecar,dikastes-gateway, root)',
      phase: 'workload',
      guide: '6. Annotate pods to inject Dikastes: for gateway workloads',
      commands: [['kubectl', 'apply', '-f', canary]],
      manifests: [canary],
      timeoutSeconds: 120,
    });
  }
  b.step({
    id: 'rollout',
    title: 'Wait for every Deployment and the ingress gateway to be Available',
    phase: 'workload',
    guide: '7. Verify Dikastes injection',
    commands: [
      [
        'kubectl',
        'wait',
        '--for=condition=Available',
        'deployment',
        '--all',
        '-n',
        WORKLOAD_NAMESPACE,
        '--timeout=900s',
      ],
      [
        'kubectl',
        'rollout',
        'status',
        `deployment/${INGRESS_SERVICE}`,
        '-n',
        ISTIO_NAMESPACE,
        '--timeout=300s',
      ],
    ],
    timeoutSeconds: 1260,
  });
}

/** Resolved cell → ordered steps with argv and rendered manifests. Pure: no I/O. */
export function buildPlan(cell: ResolvedCell): RenderedPlan {
  const b = new PlanBuilder(cell);
  const kind = cell.config.cluster === 'kind';
  const name = kind ? clusterName(cell) : undefined;
  const install = new Set(cell.config.install);
  if (name) clusterSteps(b, cell, name);
  if (install.has('calico')) calicoSteps(b, cell);
  if (install.has('istio')) istioSteps(b, cell);
  if (install.has('alp')) alpSteps(b);
  if (install.has('workload')) workloadSteps(b, cell);

  const cleanup: PlanStep[] = name
    ? [
        {
          id: 'cluster-delete',
          title: 'Delete the kind cluster',
          phase: 'cluster',
          commands: [['kind', 'delete', 'cluster', '--name', name]],
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
        istioFlavour: cell.istio.release.flavour,
        dikastesImage: cell.calico.dikastesImage,
        boutique: BOUTIQUE.version,
        strictMtls: cell.config.strictMtls,
        cluster: cell.config.cluster,
        ...(name ? { clusterName: name } : {}),
        install: [...install],
      },
      support: cell.support,
      // kind writes its context here, not into the user's kubeconfig.
      env: kind ? { KUBECONFIG: 'kubeconfig' } : {},
      steps: b.steps,
      cleanup,
    },
    files: b.files,
  };
}
