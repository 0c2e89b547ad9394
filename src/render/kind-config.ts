import type { UserKindConfig, UserKindNode } from '../config/kind-config.js';
import { INGRESS_NODE_PORT, POD_SUBNET } from './constants.js';

export interface KindConfigOptions {
  /** Host port on 127.0.0.1 the gateway's NodePort is mapped to (one per run: runs share a Docker host). */
  readonly hostPort: number;
  /** Node labels: the cell id, so a cluster with a unique name still says which cell it runs. */
  readonly labels: Readonly<Record<string, string>>;
  /** Image pulls the kubelet runs at once. */
  readonly maxParallelImagePulls: number;
  /** The user's validated kind config (`kind-config` input): kept whole, the harness's needs merged in. */
  readonly user?: UserKindConfig;
  /**
   * containerd patches (TOML) other parts of the plan need, e.g. registry mirrors: applied to every
   * node after the user's, in this order (kind applies `containerdConfigPatches` in the order listed).
   */
  readonly containerdConfigPatches?: readonly string[];
}

const DEFAULT_NODES: readonly UserKindNode[] = [{ role: 'control-plane' }];

/**
 * kind cluster: no default CNI (Calico replaces it), Calico's pool as pod subnet, the gateway NodePort
 * on loopback, and a kubelet that pulls images in parallel. kind's kubeadm config carries a
 * KubeletConfiguration document that `kubeadmConfigPatches` merge into (kind
 * `pkg/cluster/internal/kubeadm/config.go`); kind leaves the kubelet's one-at-a-time default. The
 * kubelet honours maxParallelImagePulls only with serializeImagePulls false (kubernetes
 * `pkg/kubelet/images/image_manager.go` NewImageManager: serialized → one puller). UPSTREAM.md §6.
 *
 * A user's config (checked by config/kind-config.ts: nothing here contradicts it) keeps its nodes,
 * mounts, gates and patches; every node gets the cell label, the first control-plane node the gateway
 * mapping (a NodePort answers on every node, so one mapping serves the cluster).
 */
export function renderKindConfig(opts: KindConfigOptions) {
  const user = opts.user;
  const nodes = user?.nodes?.length ? user.nodes : DEFAULT_NODES;
  const firstControlPlane = nodes.findIndex((n) => (n.role ?? 'control-plane') === 'control-plane');
  const containerd = [...(user?.containerdConfigPatches ?? []), ...(opts.containerdConfigPatches ?? [])];
  return {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    ...(user?.featureGates ? { featureGates: user.featureGates } : {}),
    ...(user?.runtimeConfig ? { runtimeConfig: user.runtimeConfig } : {}),
    networking: { ...user?.networking, disableDefaultCNI: true, podSubnet: POD_SUBNET },
    kubeadmConfigPatches: [
      [
        'apiVersion: kubelet.config.k8s.io/v1beta1',
        'kind: KubeletConfiguration',
        'serializeImagePulls: false',
        `maxParallelImagePulls: ${opts.maxParallelImagePulls}`,
        '',
      ].join('\n'),
      ...(user?.kubeadmConfigPatches ?? []),
    ],
    ...(user?.kubeadmConfigPatchesJSON6902
      ? { kubeadmConfigPatchesJSON6902: user.kubeadmConfigPatchesJSON6902 }
      : {}),
    ...(containerd.length ? { containerdConfigPatches: containerd } : {}),
    ...(user?.containerdConfigPatchesJSON6902
      ? { containerdConfigPatchesJSON6902: user.containerdConfigPatchesJSON6902 }
      : {}),
    nodes: nodes.map((n, i) => {
      const mappings = [
        ...(n.extraPortMappings ?? []),
        ...(i === firstControlPlane
          ? [
              {
                containerPort: INGRESS_NODE_PORT,
                hostPort: opts.hostPort,
                listenAddress: '127.0.0.1',
                protocol: 'TCP' as const,
              },
            ]
          : []),
      ];
      return {
        ...n,
        role: n.role ?? 'control-plane',
        labels: { ...n.labels, ...opts.labels },
        ...(mappings.length ? { extraPortMappings: mappings } : {}),
      };
    }),
  };
}

/**
 * The node containers kind creates for these nodes, in order: `<cluster>-<role>`, then `<role>2`,
 * `<role>3`… per role (kind `pkg/cluster/internal/providers/common/namer.go` MakeNodeNamer, called in
 * config order by `providers/docker/provision.go`, v0.32.0). An HA cluster's load balancer is no node.
 */
export function kindNodeNames(cluster: string, nodes: readonly { readonly role?: string }[]): string[] {
  const seen = new Map<string, number>();
  return nodes.map((n) => {
    const role = n.role ?? 'control-plane';
    const count = (seen.get(role) ?? 0) + 1;
    seen.set(role, count);
    return `${cluster}-${role}${count > 1 ? String(count) : ''}`;
  });
}
