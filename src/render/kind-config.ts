import { INGRESS_HOST_PORT, INGRESS_NODE_PORT, POD_SUBNET } from './constants.js';

/** kind cluster: no default CNI (Calico replaces it), Calico's pool as pod subnet, the gateway NodePort on loopback. */
export function renderKindConfig() {
  return {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    networking: { disableDefaultCNI: true, podSubnet: POD_SUBNET },
    nodes: [
      {
        role: 'control-plane',
        extraPortMappings: [
          {
            containerPort: INGRESS_NODE_PORT,
            hostPort: INGRESS_HOST_PORT,
            listenAddress: '127.0.0.1',
            protocol: 'TCP',
          },
        ],
      },
    ],
  };
}
