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
  /** The operator image `tigera-operator.yaml` of `latest` deploys (UPSTREAM.md §6). */
  readonly operatorImage: string;
  /** Where the operator pulls Calico's own images from (`<registry>calico/node:<tag>`). */
  readonly imageRegistry: 'docker.io/' | 'quay.io/';
  /** sha256 of every upstream file the latest patch applies, by `tag/file` (UPSTREAM.md §6 "Pinned bytes"). */
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
    operatorImage: 'quay.io/tigera/operator:v1.32.12',
    imageRegistry: 'docker.io/',
    latest: 'v3.27.5',
    kubernetes: { min: '1.27', max: '1.29' },
    dikastesImage: 'calico/dikastes',
    operatorManifests: OPERATOR_WITH_CRDS,
    apiServerNamespace: 'calico-apiserver',
    dikastesLog: DIKASTES_LOG_LINES,
    digests: {
      'v3.27.5/tigera-operator.yaml': '827178d5164c5c74bc0347c930d50ee3679cc404df5dbecc195d4b72521a3d64',
      'v3.27.5/custom-resources.yaml': 'bebe8b3989828668b485254265d29e8e1715f576c8941c4fd8e595911efa4e0a',
      'v3.27.5/alp/istio-app-layer-policy-envoy-v3.yaml':
        '331ca814e3176e85785bd561e4c288dc48433412de6d7ca815e776d7a2ba127e',
      'v3.27.5/alp/istio-inject-configmap-1.15.yaml':
        'f12ecaa67a20ee2362537713c758bed7fec35fc66561d8a93a02d20bbcd4a50f',
      'v3.27.5/alp/istio-inject-configmap-1.10.yaml':
        '554f761d450c244d5d60490881c00898cc5dd3a40ded5b9f37e58a25643e927e',
    },
  },
  {
    minor: '3.28',
    operatorImage: 'quay.io/tigera/operator:v1.34.13',
    imageRegistry: 'docker.io/',
    latest: 'v3.28.5',
    kubernetes: { min: '1.27', max: '1.30' },
    dikastesImage: 'calico/dikastes',
    operatorManifests: OPERATOR_WITH_CRDS,
    apiServerNamespace: 'calico-apiserver',
    dikastesLog: DIKASTES_LOG_LINES,
    digests: {
      'v3.28.5/tigera-operator.yaml': '69159fe3450ff0cf8b6db29e2b011a287ed5d8de341e81812c98aae69d3e51b5',
      'v3.28.5/custom-resources.yaml': '4043b5053798754892df9a994324aa45c4296ae6c2d7d2d7a4f91971acab5032',
      'v3.28.5/alp/istio-app-layer-policy-envoy-v3.yaml':
        '331ca814e3176e85785bd561e4c288dc48433412de6d7ca815e776d7a2ba127e',
      'v3.28.5/alp/istio-inject-configmap-1.15.yaml':
        '6b747d895cb9fc7592b82f0d00ce839b8cb73c133b0b7e81e7865bd2025d6585',
      'v3.28.5/alp/istio-inject-configmap-1.10.yaml':
        'fdddea286d2959d94226fd40d7cb24202f1c633050e2eb249be9ccb7ab13a929',
    },
  },
  {
    minor: '3.29',
    operatorImage: 'quay.io/tigera/operator:v1.36.16',
    imageRegistry: 'docker.io/',
    latest: 'v3.29.7',
    kubernetes: { min: '1.29', max: '1.32' },
    dikastesImage: 'calico/dikastes',
    operatorManifests: OPERATOR_WITH_CRDS,
    apiServerNamespace: 'calico-apiserver',
    dikastesLog: DIKASTES_LOG_LINES,
    digests: {
      'v3.29.7/tigera-operator.yaml': 'a571ef21476c026618a7c7b092a3ab1744ec191e02492655d8c1468ac08f25f2',
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
    operatorImage: 'quay.io/tigera/operator:v1.38.13',
    imageRegistry: 'docker.io/',
    latest: 'v3.30.7',
    kubernetes: { min: '1.31', max: '1.35' },
    dikastesImage: 'calico/dikastes',
    operatorManifests: OPERATOR_SPLIT_CRDS,
    apiServerNamespace: 'calico-apiserver',
    dikastesLog: DIKASTES_LOG_LINES,
    digests: {
      'v3.30.7/operator-crds.yaml': '53b2e2791915809db8016b72d4ceac9d1dd529d053984eb203c06b94c6639ee3',
      'v3.30.7/tigera-operator.yaml': 'bcc9f89c1847ee5237c29c1b7e4a67c86296cb0139619093df6ca98ec14abf18',
      'v3.30.7/custom-resources.yaml': 'f7cd142773609fc7f830b96d8f29bd1b5f05cdc5293324992d8524b54c09c717',
      'v3.30.7/alp/istio-app-layer-policy-envoy-v3.yaml':
        '331ca814e3176e85785bd561e4c288dc48433412de6d7ca815e776d7a2ba127e',
      'v3.30.7/alp/istio-inject-configmap-1.15.yaml':
        'bbd56e8bae219e8f8e94d59a3bc575da558b5e5f6e6941af29816934e9de9c02',
      'v3.30.7/alp/istio-inject-configmap-1.10.yaml':
        'ff1c66d65ed5aced7fd68b871e7b8e73264afe21d825ddc6ff07c0b9c11ad9d6',
    },
  },
  {
    minor: '3.31',
    operatorImage: 'quay.io/tigera/operator:v1.40.15',
    imageRegistry: 'quay.io/',
    latest: 'v3.31.7',
    kubernetes: { min: '1.32', max: '1.35' },
    dikastesImage: 'quay.io/calico/dikastes',
    operatorManifests: OPERATOR_SPLIT_CRDS,
    apiServerNamespace: 'calico-system',
    dikastesLog: DIKASTES_LOG_LINES,
    pathNormalisationFrom: 'v3.31.6',
    digests: {
      'v3.31.7/operator-crds.yaml': '380414d5756e9a1af29ddb1ad70cada07aa344ae7a2680ba7355248621f8adbf',
      'v3.31.7/tigera-operator.yaml': '092c10b3d0cb73617aca51367ca59755348f4647e6d2e63fa4e5b81266203214',
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
    operatorImage: 'quay.io/tigera/operator:v1.42.3',
    imageRegistry: 'quay.io/',
    latest: 'v3.32.1',
    kubernetes: { min: '1.34', max: '1.36' },
    dikastesImage: 'quay.io/calico/dikastes',
    operatorManifests: OPERATOR_V1_CRDS,
    apiServerNamespace: 'calico-system',
    dikastesLog: DIKASTES_LOG_LINES,
    pathNormalisationFrom: 'v3.32.0',
    digests: {
      'v3.32.1/v1_crd_projectcalico_org.yaml':
        '192f8b2d934ef24b62e86b7e1a6e1762d1c8af26a916f78057bc13fa5ed60f71',
      'v3.32.1/tigera-operator.yaml': 'f18e073794207d372606bc3ea6f8fd73972f86d6828f4ba666dfe0d4aa8ab07f',
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

/**
 * Images the operator rolls out first (calico-node, CNI, Typha, kube-controllers, CSI driver, API
 * server): preloaded before anything else, as the node is NotReady until calico-node runs.
 */
export const CALICO_COMPONENT_IMAGES = [
  'node',
  'cni',
  'typha',
  'kube-controllers',
  'csi',
  'node-driver-registrar',
  'apiserver',
] as const;

export const DEFAULT_CALICO = 'v3.32.1';

/**
 * From this tag Dikastes also checks a rule's notNets and notPorts; v3.29.7 and earlier ignore them
 * at L7 (calico app-policy/checker/match.go matchSource/matchDestination: v3.29.7 vs v3.30.0).
 */
export const DIKASTES_NEGATIONS_FROM = 'v3.30.0';
