import type { ResolvedCell } from '../resolve/cell.js';
import { EXT_AUTHZ_STATS, WORKLOAD_NAMESPACE } from './constants.js';
import { toYaml } from './yaml.js';

/** Per pod, the same stats matcher as the mesh config: it also holds where Istio was not installed by us. */
export const PROXY_CONFIG_ANNOTATION = {
  key: 'proxy.istio.io/config',
  value: JSON.stringify({ proxyStatsMatcher: EXT_AUTHZ_STATS }),
} as const;

/** `redis:alpine@sha256:…` → kustomize's `images` entry (name, digest): the digest replaces the tag. */
function imageEntry(pinned: string) {
  const [ref, digest] = pinned.split('@') as [string, string];
  const name = ref.slice(0, ref.lastIndexOf(':') > ref.lastIndexOf('/') ? ref.lastIndexOf(':') : ref.length);
  return { name, digest };
}

/**
 * One strategic-merge patch per kept Deployment: its lowered CPU request and, where the cell decided
 * so, its gRPC probes as tcpSocket probes on the same port (`grpc: null` removes the gRPC handler).
 */
function workloadPatch(w: ResolvedCell['boutique']['workloads'][number]): string {
  const probe = w.tcpProbePort ? { grpc: null, tcpSocket: { port: w.tcpProbePort } } : undefined;
  return toYaml({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: w.name },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: w.container,
              resources: { requests: { cpu: `${w.cpuMillis}m` } },
              ...(probe ? { readinessProbe: probe, livenessProbe: probe } : {}),
            },
          ],
        },
      },
    },
  }).trimEnd();
}

/**
 * Online Boutique as a kustomization over the pinned upstream file (fetched beside it at run time):
 * every Deployment's pod template gets the templates annotation (when the flavour uses one), lowered
 * CPU requests (and tcpSocket probes when the Istio release cannot rewrite gRPC ones), moving image
 * tags pinned by digest, and loadgenerator and frontend-external are dropped.
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
  for (const w of cell.boutique.workloads) patches.push({ patch: workloadPatch(w) });
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
    images: Object.values(cell.boutique.pinnedImages).map(imageEntry),
    patches,
  };
}
