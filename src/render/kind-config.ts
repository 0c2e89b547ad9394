import { INGRESS_NODE_PORT, POD_SUBNET } from './constants.js';

export interface KindConfigOptions {
  /** Host port on 127.0.0.1 the gateway's NodePort is mapped to (one per run: runs share a Docker host). */
  readonly hostPort: number;
  /** Node labels: the cell id, so a cluster with a unique name still says which cell it runs. */
  readonly labels: Readonly<Record<string, string>>;
  /** Image pulls the kubelet runs at once. */
  readonly maxParallelImagePulls: number;
}

/**
 * kind cluster: no default CNI (Calico replaces it), Calico's pool as pod subnet, the gateway NodePort
 * on loopback, and a kubelet that pulls images in parallel. kind's kubeadm config carries a
 * KubeletConfiguration document that `kubeadmConfigPatches` merge into (kind
 * `pkg/cluster/internal/kubeadm/config.go`); kind leaves the kubelet's one-at-a-time default. The
 * kubelet honours maxParallelImagePulls only with serializeImagePulls false (kubernetes
 * `pkg/kubelet/images/image_manager.go` NewImageManager: serialized → one puller). UPSTREAM.md §6.
 */
export function renderKindConfig(opts: KindConfigOptions) {
  return {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    networking: { disableDefaultCNI: true, podSubnet: POD_SUBNET },
    kubeadmConfigPatches: [
      [
        'apiVersion: kubelet.config.k8s.io/v1beta1',
        'kind: KubeletConfiguration',
        'serializeImagePulls: false',
        `maxParallelImagePulls: ${opts.maxParallelImagePulls}`,
        '',
      ].join('\n'),
    ],
    nodes: [
      {
        role: 'control-plane',
        labels: { ...opts.labels },
        extraPortMappings: [
          {
            containerPort: INGRESS_NODE_PORT,
            hostPort: opts.hostPort,
            listenAddress: '127.0.0.1',
            protocol: 'TCP',
          },
        ],
      },
    ],
  };
}
