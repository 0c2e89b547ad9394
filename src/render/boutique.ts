import { BOUTIQUE } from '../catalog/index.js';
import { WORKLOAD_NAMESPACE } from './constants.js';

export const BOUTIQUE_UPSTREAM_FILE = 'kubernetes-manifests.yaml';

/**
 * Online Boutique as a kustomization over the pinned upstream file (fetched beside it at run time):
 * every Deployment's pod template gets the templates annotation (when the flavour uses one), and
 * loadgenerator and frontend-external are dropped.
 */
export function renderBoutiqueKustomization(templates: string | undefined) {
  const patches: { patch: string; target?: { kind: string } }[] = [];
  if (templates) {
    patches.push({
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
        `        inject.istio.io/templates: ${templates}`,
      ].join('\n'),
    });
  }
  for (const d of BOUTIQUE.drop) {
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
    resources: [BOUTIQUE_UPSTREAM_FILE],
    patches,
  };
}
