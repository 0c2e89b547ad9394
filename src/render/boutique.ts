import type { ResolvedCell } from '../resolve/cell.js';
import { WORKLOAD_NAMESPACE } from './constants.js';

/**
 * Online Boutique as a kustomization over the pinned upstream file (fetched beside it at run time):
 * every Deployment's pod template gets the templates annotation (when the flavour uses one), and
 * loadgenerator and frontend-external are dropped.
 */
export function renderBoutiqueKustomization(cell: ResolvedCell) {
  const annotation = cell.istio.profile.podAnnotation;
  const patches: { patch: string; target?: { kind: string } }[] = [];
  if (annotation) {
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
        `        ${annotation.key}: ${annotation.value}`,
      ].join('\n'),
    });
  }
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
