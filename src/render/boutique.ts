import type { ResolvedCell } from '../resolve/cell.js';
import { EXT_AUTHZ_STATS, WORKLOAD_NAMESPACE } from './constants.js';

/** Per pod, the same stats matcher as the mesh config: it also holds where Istio was not installed by us. */
export const PROXY_CONFIG_ANNOTATION = {
  key: 'proxy.istio.io/config',
  value: JSON.stringify({ proxyStatsMatcher: EXT_AUTHZ_STATS }),
} as const;

/**
 * Online Boutique as a kustomization over the pinned upstream file (fetched beside it at run time):
 * every Deployment's pod template gets the templates annotation (when the flavour uses one), and
 * loadgenerator and frontend-external are dropped.
 */
export function renderBoutiqueKustomization(cell: ResolvedCell) {
  const annotations = [
    ...(cell.istio.profile.podAnnotation ? [cell.istio.profile.podAnnotation] : []),
    PROXY_CONFIG_ANNOTATION,
  ];
  const patches: { patch: string; target?: { kind: string } }[] = [
    {
      target: { kind: 'Deployment' },
      patch: [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: any',
        'spec:',
        '  template:',
        '    metadata:',
        '      annotations:',
        ...annotations.map((a) => `        ${a.key}: ${JSON.stringify(a.value)}`),
      ].join('\n'),
    },
  ];
  for (const d of cell.boutique.drop) {
    patches.push({
      patch: [
        '$patch: delete',
        `apiVersion: ${d.apiVersion}`,
        `kind: ${d.kind}`,
        'metadata:',
        `  name: ${d.name}`,
      ].join('\n'),
    });
  }
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: WORKLOAD_NAMESPACE,
    resources: [cell.boutique.manifest.file],
    patches,
  };
}
