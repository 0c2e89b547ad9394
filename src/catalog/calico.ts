import type { KubeWindow } from './types.js';

/** Where `custom-resources.yaml` & co. live; `{version}` is the full tag. */
export const CALICO_MANIFESTS_URL =
  'https://raw.githubusercontent.com/projectcalico/calico/{version}/manifests';

export interface KnownDefect {
  readonly id: string;
  readonly title: string;
  /** Inclusive range of affected full tags. */
  readonly from: string;
  readonly to: string;
  readonly issue: string;
  readonly fix: string;
  readonly symptom: 'deny-all';
  /** What the report says when the run shows the symptom. */
  readonly diagnosis: string;
}

/**
 * What Dikastes logs about its Policy Sync stream (calico `app-policy` v3.27–v3.32, UPSTREAM.md §1
 * "Dikastes"): the stream opening, and the ways it fails.
 */
export interface DikastesLogLines {
  readonly syncStarted: string;
  readonly syncFailures: readonly string[];
}

export const DIKASTES_LOG_LINES: DikastesLogLines = {
  syncStarted: 'Starting synchronization with Policy Sync server',
  syncFailures: [
    'fail to dial Policy Sync server',
    'failed to synchronize with Policy Sync server',
    'connection to Policy Sync server broken',
  ],
};

export interface CalicoRelease {
  readonly minor: string;
  readonly latest: string;
  readonly kubernetes: KubeWindow;
  /** Dikastes image without tag; the tag is always the full Calico version. */
  readonly dikastesImage: string;
  /** Files under manifests/ created in this order before custom-resources.yaml. */
  readonly operatorManifests: readonly string[];
  /** Namespace of the aggregated API server that serves projectcalico.org/v3. */
  readonly apiServerNamespace: string;
  /** From this tag HTTP paths are normalised and prefixes match at segment boundaries (UPSTREAM.md §1). */
  readonly pathNormalisationFrom?: string;
  readonly dikastesLog: DikastesLogLines;
  /** sha256 of upstream files by `tag/file`, where we have read them. Others are recorded at run time. */
  readonly digests: Readonly<Record<string, string>>;
}

export const CALICO_DEFECTS: readonly KnownDefect[] = [
  {
    id: 'calico-11857',
    title: 'Dikastes registers no check provider: every request is denied',
    from: 'v3.30.0',
    to: 'v3.31.7',
    issue: 'https://github.com/projectcalico/calico/issues/11857',
    fix: 'https://github.com/projectcalico/calico/pull/11986 (first shipped in v3.32.0)',
    symptom: 'deny-all',
    diagnosis:
      'every request denied, including ones an Allow rule matches: Dikastes answers gRPC UNKNOWN to every Check, so Envoy returns 403',
  },
];

const OPERATOR_WITH_CRDS = ['tigera-operator.yaml'] as const;
const OPERATOR_SPLIT_CRDS = ['operator-crds.yaml', 'tigera-operator.yaml'] as const;
// 3.32 docs name the CRD bundle v1_crd_projectcalico_org.yaml (byte-identical to operator-crds.yaml).
const OPERATOR_V1_CRDS = ['v1_crd_projectcalico_org.yaml', 'tigera-operator.yaml'] as const;

export const CALICO_RELEASES: readonly CalicoRelease[] = [
  {
    minor: '3.27',
    latest: 'v3.27.5',
    kubernetes: { min: '1.27', max: '1.29' },
    dikastesImage: 'calico/dikastes',
    operatorManifests: OPERATOR_WITH_CRDS,
    apiServerNamespace: 'calico-apiserver',
    dikastesLog: DIKASTES_LOG_LINES,
    digests: {},
  },
  {
    minor: '3.28',
    latest: 'v3.28.5',
    kubernetes: { min: '1.27', max: '1.30' },
    dikastesImage: 'calico/dikastes',
    operatorManifests: OPERATOR_WITH_CRDS,
    apiServerNamespace: 'calico-apiserver',
    dikastesLog: DIKASTES_LOG_LINES,
    digests: {},
  },
  {
    minor: '3.29',
    latest: 'v3.29.7',
    kubernetes: { min: '1.29', max: '1.32' },
    dikastesImage: 'calico/dikastes',
    operatorManifests: OPERATOR_WITH_CRDS,
    apiServerNamespace: 'calico-apiserver',
    dikastesLog: DIKASTES_LOG_LINES,
    digests: {
      'v3.29.7/custom-resources.yaml': '4043b5053798754892df9a994324aa45c4296ae6c2d7d2d7a4f91971acab5032',
      'v3.29.7/alp/istio-app-layer-policy-envoy-v3.yaml':
        '331ca814e3176e85785bd561e4c288dc48433412de6d7ca815e776d7a2ba127e',
      'v3.29.7/alp/istio-inject-configmap-1.10.yaml':
        '2ca581e34a59897574d497142df5908efb506213beeabf9f8a2dc843723b96ab',
      'v3.29.7/alp/istio-inject-configmap-1.15.yaml':
        'f16dc29bb3640b76259415c8b52f0314dd675ad27b2e4c93d5265200c92e471d',
    },
  },
  {
    minor: '3.30',
    latest: 'v3.30.7',
    kubernetes: { min: '1.31', max: '1.35' },
    dikastesImage: 'calico/dikastes',
    operatorManifests: OPERATOR_SPLIT_CRDS,
    apiServerNamespace: 'calico-apiserver',
    dikastesLog: DIKASTES_LOG_LINES,
    digests: {},
  },
  {
    minor: '3.31',
    latest: 'v3.31.7',
    kubernetes: { min: '1.32', max: '1.35' },
    dikastesImage: 'quay.io/calico/dikastes',
    operatorManifests: OPERATOR_SPLIT_CRDS,
    apiServerNamespace: 'calico-system',
    dikastesLog: DIKASTES_LOG_LINES,
    pathNormalisationFrom: 'v3.31.6',
    digests: {
      'v3.31.7/custom-resources.yaml': '4fb598a7fce1ad1f8bbfb9004f5efcdb835082e92e06323cb7b8ce60260ed891',
      'v3.31.7/alp/istio-app-layer-policy-envoy-v3.yaml':
        '727b9ca71f0f965e2ff57b45b3ad008406ea81292187b8e79fea65655f22c24f',
      'v3.31.7/alp/istio-inject-configmap-1.10.yaml':
        'c01b371344bd4d62c65815752110810bfaa487ef87826cef3c362bec3c64759f',
      'v3.31.7/alp/istio-inject-configmap-1.15.yaml':
        'e2fad584b7610013073e3db9041f810a62e98568a915875c87b1a370cc3e1e0f',
    },
  },
  {
    minor: '3.32',
    latest: 'v3.32.1',
    kubernetes: { min: '1.34', max: '1.36' },
    dikastesImage: 'quay.io/calico/dikastes',
    operatorManifests: OPERATOR_V1_CRDS,
    apiServerNamespace: 'calico-system',
    dikastesLog: DIKASTES_LOG_LINES,
    pathNormalisationFrom: 'v3.32.0',
    digests: {
      'v3.32.1/custom-resources.yaml': '4fb598a7fce1ad1f8bbfb9004f5efcdb835082e92e06323cb7b8ce60260ed891',
      'v3.32.1/alp/istio-app-layer-policy-envoy-v3.yaml':
        '727b9ca71f0f965e2ff57b45b3ad008406ea81292187b8e79fea65655f22c24f',
      'v3.32.1/alp/istio-inject-configmap-1.10.yaml':
        '71485bf446aae7304213b7251efbbeb6405b5b9840c88fe939e8688dd97e9d29',
      'v3.32.1/alp/istio-inject-configmap-1.15.yaml':
        '4d1736556841a9ca20659f310ce6bb94f13c3d0b9d7a101596a8500fbcc944e9',
    },
  },
];

export const DEFAULT_CALICO = 'v3.32.1';

/**
 * From this tag Dikastes also checks a rule's notNets and notPorts; v3.29.7 and earlier ignore them
 * at L7 (calico app-policy/checker/match.go matchSource/matchDestination: v3.29.7 vs v3.30.0).
 */
export const DIKASTES_NEGATIONS_FROM = 'v3.30.0';
