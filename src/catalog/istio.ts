import type { KubeWindow } from './types.js';

export type IstioFlavour = 'templates' | 'legacy-1.15' | 'legacy-1.10';

export interface IstioRelease {
  readonly minor: string;
  readonly latest: string;
  /** The Calico guide's recommended patch, when it names one. */
  readonly recommended?: string;
  /** Upstream support window; `max` absent when upstream states none yet. */
  readonly kubernetes: KubeWindow;
  readonly flavour: IstioFlavour;
  /** Values the install needs beyond ours, merged into IstioOperator `spec.values`. */
  readonly extraValues: Readonly<Record<string, unknown>>;
  /** Calico legacy injector patch file (manifests/alp/...), legacy flavours only. */
  readonly legacyInjectorPatch?: string;
  readonly amd64Only?: boolean;
  readonly note?: string;
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
  flavour: 'templates',
  extraValues: NATIVE_SIDECARS,
  ...extra,
});

export const ISTIO_RELEASES: readonly IstioRelease[] = [
  {
    minor: '1.10',
    latest: '1.10.6',
    kubernetes: { min: '1.18', max: '1.21' },
    flavour: 'legacy-1.10',
    legacyInjectorPatch: 'istio-inject-configmap-1.10.yaml',
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
    flavour: 'legacy-1.15',
    legacyInjectorPatch: 'istio-inject-configmap-1.15.yaml',
    extraValues: {},
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
