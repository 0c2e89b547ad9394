import type { Kubectl } from './kubectl.js';
import { asObject, firstLine } from './objects.js';

/** The tag of an image reference (`docker.io/istio/pilot:1.28.1` → `1.28.1`). */
export const imageTag = (image: string | undefined): string | undefined =>
  /:([^:@/]+)(?:@|$)/.exec(image ?? '')?.[1];

/**
 * The Calico version the operator wrote into ClusterInformation `default`: the CRD always serves it,
 * the aggregated projectcalico.org API only once Calico's API server runs.
 */
export async function readCalicoVersion(
  k: Kubectl,
  signal: AbortSignal,
): Promise<{ version?: string; error?: string }> {
  let error = '';
  for (const res of ['clusterinformations.crd.projectcalico.org', 'clusterinformations.projectcalico.org']) {
    const ci = await k.getJson(['get', res, 'default'], signal);
    if (ci.ok) {
      const version = String(asObject(asObject(ci.value)?.spec)?.calicoVersion ?? '') || undefined;
      return version ? { version } : { error: `${res} default has no spec.calicoVersion` };
    }
    error ||= firstLine(ci.error);
  }
  return { error };
}

/** The image of istiod's first container, which carries the Istio version as its tag. */
export async function readIstiodImage(
  k: Kubectl,
  namespace: string,
  signal: AbortSignal,
): Promise<{ image?: string; error?: string }> {
  const got = await k.getJson(['get', 'deployment', 'istiod', '-n', namespace], signal);
  if (!got.ok) return { error: firstLine(got.error) };
  const spec = asObject(asObject(asObject(asObject(got.value)?.spec)?.template)?.spec);
  const first = Array.isArray(spec?.containers) ? asObject(spec.containers[0]) : undefined;
  return typeof first?.image === 'string'
    ? { image: first.image }
    : { error: 'istiod has no container image' };
}
