import type { ResolvedCell } from '../resolve/cell.js';
import {
  FRONTEND_CONNECT_TIMEOUT_SECONDS,
  FRONTEND_RETRIES,
  GATEWAY_CANARY,
  ISTIO_NAMESPACE,
  WORKLOAD_NAMESPACE,
} from './constants.js';

export function renderNamespace(cell: ResolvedCell) {
  const { key, value } = cell.istio.profile.namespaceLabel;
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: WORKLOAD_NAMESPACE, labels: { [key]: value } },
  };
}

/** Mesh-wide STRICT mTLS, as in the guide (root namespace). */
export function renderPeerAuthentication() {
  return {
    apiVersion: 'security.istio.io/v1beta1',
    kind: 'PeerAuthentication',
    metadata: { name: 'default-strict-mode', namespace: ISTIO_NAMESPACE },
    spec: { mtls: { mode: 'STRICT' } },
  };
}

/** Classic Istio Gateway + VirtualService routing every host to the frontend. */
export function renderFrontendGateway() {
  return [
    {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'Gateway',
      metadata: { name: 'frontend-gateway', namespace: WORKLOAD_NAMESPACE },
      spec: {
        selector: { istio: 'ingressgateway' },
        servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }],
      },
    },
    {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: { name: 'frontend-ingress', namespace: WORKLOAD_NAMESPACE },
      spec: {
        hosts: ['*'],
        gateways: ['frontend-gateway'],
        http: [
          {
            route: [{ destination: { host: 'frontend', port: { number: 80 } } }],
            retries: { ...FRONTEND_RETRIES },
          },
        ],
      },
    },
  ];
}

/**
 * One new upstream connection per request: Felix accepts established flows before any policy
 * (felix/rules/endpoints.go appendConntrackRules, v3.32.1), so on a pooled connection a no-rule
 * policy would show as a Dikastes 403; on a new one it is always a connect failure (L4). The connect
 * timeout (Istio's default is 10 s) bounds how long that takes.
 */
export function renderFrontendDestinationRule() {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'DestinationRule',
    metadata: { name: 'frontend-connect-timeout', namespace: WORKLOAD_NAMESPACE },
    spec: {
      host: `frontend.${WORKLOAD_NAMESPACE}.svc.cluster.local`,
      trafficPolicy: {
        connectionPool: {
          tcp: { connectTimeout: `${FRONTEND_CONNECT_TIMEOUT_SECONDS}s` },
          http: { maxRequestsPerConnection: 1 },
        },
      },
    },
  };
}

/**
 * A gateway-style workload deployed by injection with the guide's gateway annotation, so the root
 * `dikastes-gateway` template is proven to inject and become Ready. It idles in the proxy image the
 * node already has.
 */
export function renderGatewayCanary(cell: ResolvedCell, annotation: { key: string; value: string }) {
  const labels = { app: GATEWAY_CANARY };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: GATEWAY_CANARY, namespace: WORKLOAD_NAMESPACE, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { [annotation.key]: annotation.value } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'gateway',
              image: `docker.io/istio/proxyv2:${cell.istio.version}`,
              command: ['sleep', '2147483647'],
              resources: { requests: { cpu: '10m', memory: '16Mi' } },
            },
          ],
        },
      },
    },
  };
}
