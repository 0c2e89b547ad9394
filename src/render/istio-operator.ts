import type { ResolvedCell } from '../resolve/cell.js';
import {
  EXT_AUTHZ_STATS,
  INGRESS_NODE_PORT,
  INGRESS_SERVICE,
  ISTIO_NAMESPACE,
  RESOURCES,
} from './constants.js';
import { dikastesTemplates } from './dikastes-templates.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects; `b` wins; arrays are replaced. */
export function deepMerge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = isObj(cur) && isObj(v) ? deepMerge(cur, v) : v;
  }
  return out;
}

/**
 * IstioOperator for every flavour: default profile (it has the ingress gateway) as NodePort with a fixed
 * nodePort, lowered requests, the catalog's extra values; a templates profile adds its Dikastes templates.
 */
export function renderIstioOperator(cell: ResolvedCell) {
  const { profile, extraValues } = cell.istio;
  let values: Obj = { global: { proxy: { resources: { requests: { ...RESOURCES.proxy } } } } };
  values = deepMerge(values, extraValues as Obj);
  if (profile.install === 'templates') {
    values = deepMerge(values, {
      sidecarInjectorWebhook: {
        templates: dikastesTemplates(cell.calico.dikastesImage, profile.injectionTemplates),
      },
    });
  }
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'calico-alp', namespace: ISTIO_NAMESPACE },
    spec: {
      profile: 'default',
      // Root and tag of Istio's images (istio operator/pkg/apis/types.go @ 1.28.1, IstioOperatorSpec hub/tag).
      ...(cell.istio.hub ? { hub: cell.istio.hub } : {}),
      ...(cell.istio.tag ? { tag: cell.istio.tag } : {}),
      // Keep Envoy's ext_authz counters, so the suite can prove a denial came from Dikastes.
      meshConfig: {
        defaultConfig: { proxyStatsMatcher: { inclusionRegexps: [...EXT_AUTHZ_STATS.inclusionRegexps] } },
      },
      components: {
        pilot: { k8s: { resources: { requests: { ...RESOURCES.istiod } } } },
        ingressGateways: [
          {
            name: INGRESS_SERVICE,
            enabled: true,
            k8s: {
              resources: { requests: { ...RESOURCES.gateway } },
              service: {
                type: 'NodePort',
                ports: [
                  { name: 'status-port', port: 15021, targetPort: 15021 },
                  { name: 'http2', port: 80, targetPort: 8080, nodePort: INGRESS_NODE_PORT },
                  { name: 'https', port: 443, targetPort: 8443 },
                ],
              },
            },
          },
        ],
      },
      values,
    },
  };
}
