/** kind releases and the kindest/node images each was built with (pinned by digest). */
export interface KindRelease {
  readonly version: string;
  /** Kubernetes patch version → image digest. */
  readonly images: Readonly<Record<string, string>>;
}

export const KIND_NODE_REPOSITORY = 'kindest/node';

export const KIND_RELEASES: readonly KindRelease[] = [
  {
    version: 'v0.27.0',
    images: {
      '1.32.2': 'sha256:f226345927d7e348497136874b6d207e0b32cc52154ad8323129352923a3142f',
      '1.31.6': 'sha256:28b7cbb993dfe093c76641a0c95807637213c9109b761f1d422c2400e22b8e87',
      '1.30.10': 'sha256:4de75d0e82481ea846c0ed1de86328d821c1e6a6a91ac37bf804e5313670e507',
      '1.29.14': 'sha256:8703bd94ee24e51b778d5556ae310c6c0fa67d761fae6379c8e0bb480e6fea29',
    },
  },
  {
    version: 'v0.31.0',
    images: {
      '1.35.0': 'sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f',
      '1.34.3': 'sha256:08497ee19eace7b4b5348db5c6a1591d7752b164530a36f855cb0f2bdcbadd48',
      '1.33.7': 'sha256:d26ef333bdb2cbe9862a0f7c3803ecc7b4303d8cea8e814b481b09949d353040',
      '1.32.11': 'sha256:5fc52d52a7b9574015299724bd68f183702956aa4a2116ae75a63cb574b35af8',
      '1.31.14': 'sha256:6f86cf509dbb42767b6e79debc3f2c32e4ee01386f0489b3b2be24b0a55aac2b',
    },
  },
  {
    version: 'v0.32.0',
    images: {
      '1.36.1': 'sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5',
      '1.35.5': 'sha256:ce977ae6d65918d0b58a5f8b5e940429c2ce42fa3a5619ec2bbc60b949c0ac95',
      '1.34.8': 'sha256:02722c2dedddcfc00febf5d27fbeb9b7b2c14294c82109ff4a85d89ac9ba3256',
      '1.33.12': 'sha256:3f5c8443c620245e4d355cfe09e96a91ead32ceaa569d3f1ca9edf0cb2fe2ff4',
    },
  },
];

/** First Kubernetes minor with native sidecars on by default in the kubelet (Dikastes templates need them). */
export const MIN_KUBERNETES = '1.29';
export const DEFAULT_KUBERNETES = '1.34';

/** The Kubernetes patch a node image's tag names (`kindest/node:v1.34.8@sha256:…` → `1.34.8`). */
export function nodeImageKubernetes(image: string): string | undefined {
  return /:v?(\d+\.\d+\.\d+)(?:@|$)/.exec(image)?.[1];
}

/**
 * What kind's control plane requests before any add-on (kubeadm defaults in the static pod manifests:
 * apiserver 250m, controller-manager 200m, scheduler 100m, etcd 100m/100Mi, two CoreDNS 100m/70Mi;
 * UPSTREAM.md §6 "Capacity" — about 850m).
 */
export const KIND_CONTROL_PLANE_REQUESTS = { cpuMillis: 850, memoryMiB: 240 } as const;

/**
 * What each further control-plane node adds (an HA kind cluster): its own apiserver, controller-manager,
 * scheduler and etcd; CoreDNS runs once per cluster. Workers add no requests of their own (kube-proxy
 * and calico-node set none).
 */
export const KIND_EXTRA_CONTROL_PLANE_REQUESTS = { cpuMillis: 650, memoryMiB: 100 } as const;
