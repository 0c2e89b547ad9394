import type { CellResult } from '../../result/schema.js';
import { readCalicoVersion, readIstiodImage } from '../../kube/cluster-versions.js';
import { UNCANCELLABLE } from '../cell-run.js';
import type { CellPhase } from '../phase-runner.js';

type Observed = NonNullable<CellResult['observed']>;

interface StatusJson {
  name?: string;
  image?: string;
  imageID?: string;
}

/** Every container that ran, with the image ID the runtime resolved (what a tag pointed to that day). */
function imagesOf(list: unknown): Observed['images'] {
  const items = ((list as { items?: unknown[] })?.items ?? []) as {
    metadata?: { name?: string; namespace?: string };
    status?: { containerStatuses?: StatusJson[]; initContainerStatuses?: StatusJson[] };
  }[];
  return items.flatMap((p) =>
    [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].map((c) => ({
      namespace: p.metadata?.namespace ?? '',
      pod: p.metadata?.name ?? '',
      container: c.name ?? '',
      image: c.image ?? '',
      ...(c.imageID ? { imageID: c.imageID } : {}),
    })),
  );
}

/**
 * Phase `observe`: what the cluster says it runs, read once the steps are over and before anything is
 * deleted: every container's image ID, Calico's ClusterInformation version, istiod's image. A failed
 * read is noted, never a verdict.
 */
export const observePhase: CellPhase = {
  name: 'observe',
  stage: 'always',
  async run(run) {
    const kubectl = run.kubectl;
    if (!kubectl || !run.clusterUp || run.signal.aborted) return;
    const errors: string[] = [];
    // A cluster of the user's own: only the namespaces the harness uses, unless they opted in.
    const { config } = run.req;
    const scoped = config.cluster === 'existing' && !config.diagnosticsClusterWide;
    const namespaces = run.touchedNamespaces();
    const lists = scoped
      ? await Promise.all(namespaces.map((n) => kubectl.getJson(['get', 'pods', '-n', n], UNCANCELLABLE)))
      : [await kubectl.getJson(['get', 'pods', '-A'], UNCANCELLABLE)];
    for (const l of lists) if (!l.ok) errors.push(l.error);
    const pods = {
      ok: lists.some((l) => l.ok),
      value: { items: lists.flatMap((l) => (l.ok ? ((l.value as { items?: unknown[] }).items ?? []) : [])) },
    };
    const [ci, istiod] = await Promise.all([
      readCalicoVersion(kubectl, UNCANCELLABLE),
      readIstiodImage(kubectl, run.plan.facts.istioNamespace, UNCANCELLABLE),
    ]);
    if (ci.error) errors.push(ci.error);
    if (istiod.error) errors.push(istiod.error);
    const calico = ci.version;
    const istiodImage = istiod.image;
    run.observed = {
      ...(calico ? { calico } : {}),
      ...(istiodImage ? { istiod: istiodImage } : {}),
      images: pods.ok ? imagesOf(pods.value) : [],
      errors,
    };
    run.log.info(
      `Cluster reports Calico ${calico ?? '?'}, istiod ${istiodImage ?? '?'}, ${run.observed.images.length} containers`,
    );
  },
};
