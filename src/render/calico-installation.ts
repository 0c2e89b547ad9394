import type { ResolvedCell } from '../resolve/cell.js';

/**
 * `custom-resources.yaml` as a kustomization that sets the Installation's image fields before the
 * operator ever sees it (no rollout with the default images first). Fields from operator-crds.yaml @
 * v3.32.1 (installations.operator.tigera.io): `registry` (ends with `/`), `imagePath`, `imagePrefix`;
 * images are `<registry><imagePath>/<imagePrefix><imageName>:<image-tag>`.
 */
export function renderCalicoResourcesKustomization(
  cell: ResolvedCell,
  resource: string,
): Record<string, unknown> | undefined {
  const images = cell.calico.installationImages;
  if (!images) return undefined;
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [resource],
    patches: [
      {
        target: { group: 'operator.tigera.io', kind: 'Installation', name: 'default' },
        patch: JSON.stringify(
          Object.entries(images).map(([k, v]) => ({ op: 'add', path: `/spec/${k}`, value: v })),
        ),
      },
    ],
  };
}
