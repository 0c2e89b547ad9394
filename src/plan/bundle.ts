import type { ResolvedCell, UpstreamFile } from '../resolve/cell.js';
import { deepMerge, renderIstioOperator } from '../render/istio-operator.js';
import { ISTIO_NAMESPACE } from '../render/constants.js';
import { toYaml } from '../render/yaml.js';
import { applyMirrors } from '../util/mirror.js';
import {
  exec,
  type ExecCommand,
  type Plan,
  type PlanTool,
  type RenderedPlan,
  type RetryPolicy,
} from './types.js';

/**
 * A GitOps bundle (the guide's option B): every manifest the cell applies, fetched and verified at plan
 * time, in one kustomization per stage. Flux applies each stage as a Kustomization (`dependsOn` the one
 * before; kustomize-controller applies server-side); Argo CD applies the root kustomization in sync
 * waves (`argocd.argoproj.io/sync-wave`, one per stage, lower first, each waiting for the one before
 * to be healthy: argo-cd docs/user-guide/sync-waves.md). The runbook applies the same stages by hand.
 */

export const BUNDLE_INDEX = 'bundle.json';
export const BUNDLE_SUMS = 'SHA256SUMS';
export const FIELD_MANAGER = 'calico-istio-conformance';

/** Where a file of the bundle comes from: the index says so for every file. */
export type BundleSource =
  /** Upstream bytes, verbatim: fetched through the mirrors and checked against the catalog's digest. */
  | {
      readonly kind: 'upstream';
      readonly url: string;
      readonly fetchUrl: string;
      readonly sha256?: string;
    }
  /** Written by the plan (the same renderers a run uses). */
  | { readonly kind: 'rendered' }
  /** `istioctl manifest generate -f <input>` with the verified istioctl of the plan. */
  | { readonly kind: 'istioctl-manifest-generate'; readonly input: string }
  /** `kubectl kustomize <dir>` with the verified kubectl of the plan (kubectl apply -k renders the same). */
  | { readonly kind: 'kubectl-kustomize'; readonly dir: string }
  /** A ConfigMap patch wrapping an upstream file's `data:` (kustomize needs kind and name to patch). */
  | { readonly kind: 'wrapped'; readonly from: string };

export interface BundleFile {
  readonly path: string;
  readonly source: BundleSource;
  /** Content known at plan time (rendered and wrapped files); the others come from the fetch or the tool. */
  readonly content?: string;
}

export interface BundleStage {
  /** Directory under stages/, e.g. `10-calico-operator`. */
  readonly dir: string;
  readonly title: string;
  readonly wave: number;
  /** Files of the stage, in the order its kustomization lists them. */
  readonly resources: readonly string[];
  /** Strategic-merge patches (files of the stage) its kustomization applies. */
  readonly patches: readonly string[];
  /** Files kept for review and their digest only (not in the kustomization). */
  readonly kept: readonly string[];
  /** How the runbook applies it, and the upstream reason. */
  readonly apply: 'server-side' | 'client-side';
  readonly why: string;
  /** Applying again until the API serves what it needs (CRDs, webhooks, the Calico API server). */
  readonly applyRetry?: RetryPolicy;
  /** What the runbook waits for before the next stage (from the plan's own steps). */
  readonly waits: readonly ExecCommand[];
  readonly waitRetry?: RetryPolicy;
}

export interface BundleSpec {
  readonly plan: Plan;
  readonly files: readonly BundleFile[];
  readonly stages: readonly BundleStage[];
  /** The tools the plan names; the bundle carries them verified in bin/ (git-ignored). */
  readonly tools: readonly PlanTool[];
  /** kind only: created by the runbook when no cluster of that name exists. */
  readonly cluster?: { readonly name: string; readonly nodeImage: string; readonly config: string };
  /** `calico-istio-conformance` arguments of the verdict by hand. */
  readonly verdict: readonly string[];
}

const upstreamFile = (cell: ResolvedCell, f: UpstreamFile, path: string): BundleFile => ({
  path,
  source: {
    kind: 'upstream',
    url: f.url,
    fetchUrl: applyMirrors(f.url, cell.config.mirrors),
    ...(f.sha256 ? { sha256: f.sha256 } : {}),
  },
});

const base = (f: UpstreamFile) => f.file.split('/').at(-1)!;

function rendered(r: RenderedPlan, from: string, path: string): BundleFile {
  const content = r.files.get(from);
  if (content === undefined) throw new Error(`bundle: the plan wrote no ${from} (a bug)`);
  return { path, source: { kind: 'rendered' }, content };
}

/** The waits of the plan's steps (kubectl wait / rollout status), with the step's retry policy. */
function waitsOf(plan: Plan, ids: readonly string[]): { waits: ExecCommand[]; waitRetry?: RetryPolicy } {
  const steps = plan.steps.filter((s) => ids.includes(s.id));
  const waits = steps.flatMap((s) =>
    s.commands.filter(
      (c): c is ExecCommand =>
        'exec' in c && c.exec[0] === 'kubectl' && ['wait', 'rollout'].includes(c.exec[1]!),
    ),
  );
  const retry = steps.find((s) => s.retry)?.retry;
  return { waits, ...(retry ? { waitRetry: retry } : {}) };
}

/** The IstioOperator the plan renders, plus what a render without a cluster needs (catalog data). */
export function bundleIstioOperator(cell: ResolvedCell) {
  const iop = renderIstioOperator(cell);
  const extra = cell.istio.offlineRenderValues;
  return extra ? { ...iop, spec: { ...iop.spec, values: deepMerge(iop.spec.values, extra) } } : iop;
}

const API_NOT_READY = [
  'no matches for kind',
  'ensure CRDs are installed first',
  'failed calling webhook',
  'connection refused',
  'ServiceUnavailable',
  "the server doesn't have a resource type",
  'the server could not find the requested resource',
];
const SSA_WHY =
  'server-side apply: idempotent, and no last-applied annotation (Calico: "kubectl apply --server-side --force-conflicts" for its CRDs, docs.tigera.io operations/upgrading/kubernetes-upgrade; Flux applies server-side too)';

/** Resolved cell and its plan → the bundle's files, stages, tools and verdict. Pure: no I/O. */
export function bundleSpec(cell: ResolvedCell, r: RenderedPlan): BundleSpec {
  const { plan } = r;
  const install = new Set(cell.config.install);
  const files: BundleFile[] = [];
  const stages: BundleStage[] = [];
  const stage = (
    dir: string,
    title: string,
    stageFiles: BundleFile[],
    more: Partial<BundleStage> & Pick<BundleStage, 'waits'>,
  ) => {
    files.push(...stageFiles.map((f) => ({ ...f, path: `stages/${dir}/${f.path}` })));
    const patches = more.patches ?? [];
    const kept = more.kept ?? [];
    stages.push({
      dir,
      title,
      wave: stages.length + 1,
      resources: stageFiles.map((f) => f.path).filter((p) => !patches.includes(p) && !kept.includes(p)),
      patches,
      kept,
      apply: 'server-side',
      why: SSA_WHY,
      ...more,
    });
  };

  if (install.has('calico')) {
    stage(
      '10-calico-operator',
      `Tigera operator and CRDs (Calico ${cell.calico.version})`,
      cell.calico.operatorManifests.map((f) => upstreamFile(cell, f, base(f))),
      waitsOf(plan, ['calico-operator']),
    );
    stage(
      '20-calico-install',
      'Installation and APIServer',
      [upstreamFile(cell, cell.calico.customResources, base(cell.calico.customResources))],
      {
        ...waitsOf(plan, ['calico-ready', 'calico-apiserver']),
        applyRetry: { attempts: 12, delaySeconds: 5, transient: API_NOT_READY },
      },
    );
    stage(
      '30-calico-felix',
      'Felix Policy Sync API on, connect-time load balancing off',
      [rendered(r, 'manifests/felix-configuration.yaml', 'felix-configuration.yaml')],
      {
        waits: [],
        apply: 'client-side',
        // projectcalico.org/v3 is served by Calico's aggregated API server, which has refused
        // server-side apply (projectcalico/calico#4959; #12841 on v3.32.0, fixed by #12906).
        why: 'client-side apply: the Calico API server has refused server-side apply (projectcalico/calico#4959, #12841)',
        applyRetry: { attempts: 30, delaySeconds: 10, transient: API_NOT_READY },
      },
    );
  }
  if (install.has('istio')) {
    files.push({
      path: 'sources/istio-operator.yaml',
      source: { kind: 'rendered' },
      content: toYaml(bundleIstioOperator(cell)),
    });
    const ns = {
      path: 'istio-namespace.yaml',
      source: { kind: 'rendered' as const },
      // No chart renders the Namespace: `istioctl install` creates it (operator/pkg/install/install.go @ 1.28.1).
      content: toYaml({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ISTIO_NAMESPACE } }),
    };
    const istio: BundleFile = {
      path: 'istio.yaml',
      source: { kind: 'istioctl-manifest-generate', input: 'sources/istio-operator.yaml' },
    };
    const legacy = cell.istio.legacyInjectorPatch;
    const patchFiles: BundleFile[] = legacy
      ? [
          upstreamFile(cell, legacy, `upstream-${base(legacy)}`),
          {
            path: 'sidecar-injector-patch.yaml',
            source: { kind: 'wrapped', from: `upstream-${base(legacy)}` },
          },
        ]
      : [];
    stage(
      '40-istio',
      legacy
        ? `Istio ${cell.istio.version} (istioctl manifest generate) with Calico's ${base(legacy)} in istio-sidecar-injector`
        : `Istio ${cell.istio.version} (istioctl manifest generate) with the Dikastes templates`,
      [ns, istio, ...patchFiles],
      {
        // The upstream patch file is kept for its digest; kustomize applies the wrapped copy.
        ...(legacy ? { patches: ['sidecar-injector-patch.yaml'], kept: [`upstream-${base(legacy)}`] } : {}),
        waits: [
          exec('kubectl', 'rollout', 'status', 'deployment/istiod', '-n', ISTIO_NAMESPACE, '--timeout=600s'),
        ],
        applyRetry: { attempts: 6, delaySeconds: 5, transient: API_NOT_READY },
      },
    );
  }
  if (install.has('alp')) {
    stage(
      '50-alp',
      'Dikastes ServiceEntry, DestinationRule and ext_authz EnvoyFilter',
      [upstreamFile(cell, cell.calico.alpEnvoy, base(cell.calico.alpEnvoy))],
      { waits: [], applyRetry: { attempts: 6, delaySeconds: 5, transient: API_NOT_READY } },
    );
  }
  if (install.has('workload')) {
    const mtls = cell.config.strictMtls
      ? [rendered(r, 'manifests/peer-authentication.yaml', 'peer-authentication.yaml')]
      : [];
    stage(
      '60-workload-namespace',
      `Namespace ${plan.facts.workloadNamespace} (injection on)${mtls.length ? ', mesh-wide STRICT mTLS' : ''}`,
      [rendered(r, 'manifests/namespace.yaml', 'namespace.yaml'), ...mtls],
      { waits: [], applyRetry: { attempts: 6, delaySeconds: 5, transient: API_NOT_READY } },
    );
    const m = cell.boutique.manifest;
    files.push(
      rendered(r, 'manifests/boutique/kustomization.yaml', 'sources/boutique/kustomization.yaml'),
      upstreamFile(cell, m, `sources/boutique/${m.file}`),
    );
    const canary = r.files.has('manifests/gateway-canary.yaml')
      ? [rendered(r, 'manifests/gateway-canary.yaml', 'gateway-canary.yaml')]
      : [];
    stage(
      '70-workload',
      `Online Boutique ${cell.boutique.version} (after kustomize), its gateway route${canary.length ? ' and the gateway canary' : ''}`,
      [
        { path: 'boutique.yaml', source: { kind: 'kubectl-kustomize', dir: 'sources/boutique' } },
        rendered(r, 'manifests/frontend-gateway.yaml', 'frontend-gateway.yaml'),
        rendered(r, 'manifests/frontend-destination-rule.yaml', 'frontend-destination-rule.yaml'),
        ...canary,
      ],
      {
        ...waitsOf(plan, ['rollout']),
        applyRetry: { attempts: 6, delaySeconds: 5, transient: API_NOT_READY },
      },
    );
  }

  const kindConfig = r.files.get('manifests/kind-config.yaml');
  const name = plan.cell.clusterName;
  if (name && kindConfig !== undefined)
    files.push({ path: 'kind-config.yaml', source: { kind: 'rendered' }, content: kindConfig });
  const { config } = cell;
  return {
    plan,
    files,
    stages,
    tools: plan.tools,
    ...(name && kindConfig !== undefined
      ? { cluster: { name, nodeImage: plan.cell.nodeImage, config: 'kind-config.yaml' } }
      : {}),
    // The same cell options, against the cluster the stages set up: nothing installed, nothing fetched.
    verdict: [
      'run',
      '--cluster',
      'existing',
      '--install',
      'none',
      '--ingress-url',
      plan.facts.ingressUrl,
      '--kubernetes',
      cell.kubernetes.version,
      '--calico',
      cell.calico.version,
      '--istio',
      cell.istio.version,
      '--strict-mtls',
      String(config.strictMtls),
      '--on-unsupported',
      config.onUnsupported,
      '--fail-on-known-defect',
      String(config.failOnKnownDefect),
      '--timeout-minutes',
      String(config.timeoutMinutes),
      '--tools-from-path',
      'true',
      '--results-dir',
      'results',
    ],
  };
}

/** A stage's kustomization: its files, its patches, its Argo CD wave (and server-side apply where it applies so). */
export function stageKustomization(s: BundleStage) {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    commonAnnotations: {
      'argocd.argoproj.io/sync-wave': String(s.wave),
      // Argo CD's per-resource sync option (docs/user-guide/sync-options.md); Flux always applies server-side.
      ...(s.apply === 'server-side' ? { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true' } : {}),
    },
    resources: [...s.resources],
    ...(s.patches.length ? { patches: s.patches.map((path) => ({ path })) } : {}),
  };
}

/** The root kustomization: every stage, for one Argo CD Application (waves order them). */
export function rootKustomization(stages: readonly BundleStage[]) {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: stages.map((s) => `stages/${s.dir}`),
  };
}
