import type { KubeWindow } from './types.js';

export type IstioFlavour = 'templates' | 'legacy-1.15' | 'legacy-1.10';

/**
 * How Dikastes reaches the pods for one Istio flavour: every decision the renderers, the plan, the
 * checks and the diagnostics need, made here once (UPSTREAM.md §1 "ALP manifests", §2).
 */
export interface IstioInstallProfile {
  readonly flavour: IstioFlavour;
  /** `templates`: IstioOperator `sidecarInjectorWebhook.templates`; `configmap-patch`: Calico's legacy patch. */
  readonly install: 'templates' | 'configmap-patch';
  /** Injection templates the IstioOperator adds (none for the legacy patch). */
  readonly injectionTemplates: readonly string[];
  /** Pod annotation selecting the templates for workloads, if the flavour needs one. */
  readonly podAnnotation?: { readonly key: string; readonly value: string };
  /** Label that turns on injection in the workload namespace. */
  readonly namespaceLabel: { readonly key: string; readonly value: string };
  /** The gateway canary's annotation, when the flavour has a gateway template to prove. */
  readonly gatewayCanaryAnnotation?: { readonly key: string; readonly value: string };
  /** Calico legacy injector patch file (manifests/alp/...), patch flavours only. */
  readonly legacyInjectorPatch?: string;
  /**
   * What the injector check looks for in `istio-sidecar-injector` data.config: template keys, or a
   * `dikastes` container inside the `sidecar` template.
   */
  readonly injectorCheck:
    | { readonly kind: 'template-keys'; readonly keys: readonly string[] }
    | { readonly kind: 'sidecar-container'; readonly container: string };
  /** The seed guide's section for the install step, for the reader of the plan. */
  readonly guide: string;
}

export const TEMPLATES_ANNOTATION = 'inject.istio.io/templates';
const INJECTION_LABEL = { key: 'istio-injection', value: 'enabled' } as const;

const TEMPLATES_PROFILE: IstioInstallProfile = {
  flavour: 'templates',
  install: 'templates',
  injectionTemplates: ['dikastes', 'dikastes-gateway'],
  podAnnotation: { key: TEMPLATES_ANNOTATION, value: 'sidecar,dikastes' },
  namespaceLabel: INJECTION_LABEL,
  gatewayCanaryAnnotation: { key: TEMPLATES_ANNOTATION, value: 'sidecar,dikastes-gateway' },
  injectorCheck: { kind: 'template-keys', keys: ['dikastes', 'dikastes-gateway'] },
  guide: '3. Configure Istio with Dikastes injection templates',
};

/** Calico's legacy patch builds Dikastes into the `sidecar` template: no annotation, no gateway template. */
const legacyProfile = (flavour: IstioFlavour, patch: string): IstioInstallProfile => ({
  flavour,
  install: 'configmap-patch',
  injectionTemplates: [],
  namespaceLabel: INJECTION_LABEL,
  legacyInjectorPatch: patch,
  injectorCheck: { kind: 'sidecar-container', container: 'dikastes' },
  guide: 'Legacy Installation (ConfigMap Patching)',
});

export interface IstioRelease {
  readonly minor: string;
  readonly latest: string;
  /** The Calico guide's recommended patch, when it names one. */
  readonly recommended?: string;
  /** Upstream support window; `max` absent when upstream states none yet. */
  readonly kubernetes: KubeWindow;
  readonly profile: IstioInstallProfile;
  /** Values the install needs beyond ours, merged into IstioOperator `spec.values`. */
  readonly extraValues: Readonly<Record<string, unknown>>;
  /**
   * Whether the injector rewrites native gRPC probes to the agent's status port: from 1.15
   * (istio `pkg/kube/inject/app_probe.go` handles `probe.GRPC`; 1.10.6 rewrites only `httpGet`).
   */
  readonly rewritesGrpcProbes: boolean;
  /** Its images are published for amd64 only (UPSTREAM.md §2). */
  readonly amd64Only?: boolean;
  /** A fact the user should see with every run of this release (plan, log, results). */
  readonly note?: string;
  /**
   * Values `istioctl manifest generate` needs (a GitOps bundle) beyond extraValues: without a cluster
   * the release renders for Helm's default Kubernetes v1.20.0, not the cell's.
   */
  readonly offlineRenderValues?: Readonly<Record<string, unknown>>;
}

/** Native sidecars are off by default before 1.27 and `auto` after: Calico's template needs them on. */
const NATIVE_SIDECARS = { pilot: { env: { ENABLE_NATIVE_SIDECARS: 'true' } } } as const;

const templates = (
  minor: string,
  latest: string,
  kubernetes: KubeWindow,
  extra: Partial<IstioRelease> = {},
): IstioRelease => ({
  minor,
  latest,
  kubernetes,
  profile: TEMPLATES_PROFILE,
  extraValues: NATIVE_SIDECARS,
  rewritesGrpcProbes: true,
  ...extra,
});

export const ISTIO_RELEASES: readonly IstioRelease[] = [
  {
    minor: '1.10',
    latest: '1.10.6',
    kubernetes: { min: '1.18', max: '1.21' },
    profile: legacyProfile('legacy-1.10', 'istio-inject-configmap-1.10.yaml'),
    rewritesGrpcProbes: false,
    amd64Only: true,
    // 1.10 charts hard-code policy/v1beta1 PDB and autoscaling/v2beta1 HPA, gone since Kubernetes 1.25.
    extraValues: {
      global: { defaultPodDisruptionBudget: { enabled: false } },
      pilot: { autoscaleEnabled: false },
      gateways: { 'istio-ingressgateway': { autoscaleEnabled: false } },
    },
    note: 'PDB/HPA workaround applied (UNCONFIRMED upstream): values.global.defaultPodDisruptionBudget.enabled=false, autoscaleEnabled=false',
  },
  {
    minor: '1.15',
    latest: '1.15.7',
    kubernetes: { min: '1.22', max: '1.25' },
    profile: legacyProfile('legacy-1.15', 'istio-inject-configmap-1.15.yaml'),
    rewritesGrpcProbes: true,
    extraValues: {},
    // `manifest generate` passes no cluster (operator/cmd/mesh/manifest-generate.go @ 1.15.7), so Helm's
    // default KubeVersion v1.20.0 (helm v3.9.4 pkg/chartutil/capabilities.go) picks policy/v1beta1 PDBs
    // and autoscaling/v2beta2 HPAs (manifests/charts/*/templates/{poddisruptionbudget,autoscale}.yaml
    // @ 1.15.7), both gone from Kubernetes 1.25/1.26: leave them out, as 1.10 does always.
    offlineRenderValues: {
      global: { defaultPodDisruptionBudget: { enabled: false } },
      pilot: { autoscaleEnabled: false },
      gateways: { 'istio-ingressgateway': { autoscaleEnabled: false } },
    },
  },
  templates('1.22', '1.22.8', { min: '1.27', max: '1.30' }),
  templates('1.23', '1.23.6', { min: '1.27', max: '1.30' }),
  templates('1.24', '1.24.6', { min: '1.28', max: '1.31' }),
  templates('1.25', '1.25.5', { min: '1.29', max: '1.32' }),
  templates('1.26', '1.26.8', { min: '1.29', max: '1.33' }),
  templates('1.27', '1.27.9', { min: '1.29', max: '1.33' }),
  templates('1.28', '1.28.10', { min: '1.29', max: '1.34' }, { recommended: '1.28.1' }),
  templates('1.29', '1.29.6', { min: '1.29' }, { note: 'beyond the Calico guide’s tested range' }),
];

export const DEFAULT_ISTIO = '1.28.1';
