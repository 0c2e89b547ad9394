/** Names and ports the harness chooses (not upstream facts): one place, so checks and probes agree with the plan. */
export const WORKLOAD_NAMESPACE = 'boutique';
export const ISTIO_NAMESPACE = 'istio-system';
export const INGRESS_SERVICE = 'istio-ingressgateway';
/** Fixed NodePort of the gateway's http2 port, mapped to a host port on 127.0.0.1. */
export const INGRESS_NODE_PORT = 30080;
/** The host port a plan uses when no run chose a free one (`plan`, the runbook). */
export const INGRESS_HOST_PORT = 30080;
/** Node label carrying the cell id (the cluster name is unique per run). */
export const CELL_LABEL = 'conformance.calico-istio/cell';
/** Image pulls the kubelet runs at once; images preloaded inside the node at once. */
export const PARALLEL_PULLS = 4;
export const PRELOAD_LANES = 3;
export const POD_SUBNET = '192.168.0.0/16';
export const GATEWAY_CANARY = 'dikastes-gateway-canary';
/** Lowers the gateway's upstream connect timeout so an L4 denial surfaces well inside a probe's timeout. */
export const FRONTEND_CONNECT_TIMEOUT_SECONDS = 2;
/**
 * Retries on the harness's route, set explicitly to what Istio would default to (2 attempts on these
 * conditions: pilot/pkg/networking/core/route/retry/retry.go, 1.28.1), so the plan knows how long an
 * L4 denial takes to surface: (1 + attempts) × connect timeout.
 */
export const FRONTEND_RETRIES = {
  attempts: 2,
  retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
} as const;
/** Istio's defaults for routes the harness does not own (pkg/config/mesh/mesh.go; retry.go, 1.28.1). */
export const ISTIO_DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;
export const ISTIO_DEFAULT_RETRIES = 2;
/** Envoy's ext_authz counters are dropped unless the proxy's stats matcher keeps them (UPSTREAM.md §6). */
export const EXT_AUTHZ_STATS = { inclusionRegexps: ['.*ext_authz.*'] } as const;
/** Requests lowered so Online Boutique fits a 4-CPU runner. */
export const RESOURCES = {
  proxy: { cpu: '20m', memory: '64Mi' },
  istiod: { cpu: '100m', memory: '256Mi' },
  gateway: { cpu: '50m', memory: '64Mi' },
} as const;
/** Felix's Policy Sync API home; must match the CSI driver's /var/run/nodeagent (UPSTREAM.md §1 "Felix"). */
export const POLICY_SYNC_PREFIX = '/var/run/nodeagent';
