import { CALICO_DEFECTS, CALICO_RELEASES, type CalicoRelease, type KnownDefect } from './calico.js';
import { ISTIO_RELEASES, type IstioRelease } from './istio.js';
import { KIND_NODE_REPOSITORY, KIND_RELEASES, type KindRelease } from './kind.js';
import { compareVersions, minorOf, parseVersion } from '../util/version.js';

export * from './calico.js';
export * from './istio.js';
export * from './kind.js';
export * from './types.js';
export * from './tools.js';
export { BOUTIQUE } from './boutique.js';
export { PROBE_CLIENT } from './probe-client.js';

/** A lookup either finds one entry or says why not and what is known. */
export type Lookup<T> = { ok: true; value: T } | { ok: false; why: string; known: readonly string[] };

const byVersion = (a: string, b: string) => compareVersions(a, b);

export function knownCalicoVersions(): string[] {
  return CALICO_RELEASES.map((r) => r.latest);
}

interface Release {
  readonly minor: string;
  readonly latest: string;
}

/**
 * A release spec: exact (any patch up to the newest known) or a minor for its newest known patch.
 * `tagPrefix` is how the project spells its tags (Calico `v3.32.1`, Istio `1.28.1`).
 */
function lookupRelease<R extends Release>(
  project: string,
  releases: readonly R[],
  spec: string,
  tagPrefix: 'v' | '',
): Lookup<{ version: string; release: R }> {
  const v = parseVersion(spec);
  const known = releases.map((r) => r.latest);
  if (!v) return { ok: false, why: 'is not a version', known };
  if (!tagPrefix && spec.trim().startsWith('v')) {
    return { ok: false, why: `is not a version (${project} tags have no "v")`, known };
  }
  const release = releases.find((r) => r.minor === minorOf(v));
  if (!release)
    return { ok: false, why: `names ${project} ${minorOf(v)}, which is not in the catalog`, known };
  if (v.patch === undefined) return { ok: true, value: { version: release.latest, release } };
  const version = `${tagPrefix}${v.major}.${v.minor}.${v.patch}`;
  if (compareVersions(version, release.latest) > 0) {
    const why = `is newer than the newest known ${release.minor} patch (${release.latest})`;
    return { ok: false, why, known };
  }
  return { ok: true, value: { version, release } };
}

/** `v3.32.1` exact, or `3.32` / `v3.32` for the newest known patch. */
export function lookupCalico(spec: string): Lookup<{ version: string; release: CalicoRelease }> {
  return lookupRelease('Calico', CALICO_RELEASES, spec, 'v');
}

export function knownIstioVersions(): string[] {
  return ISTIO_RELEASES.map((r) => r.latest);
}

/** `1.28.1` exact, or `1.28` for the newest known patch. */
export function lookupIstio(spec: string): Lookup<{ version: string; release: IstioRelease }> {
  return lookupRelease('Istio', ISTIO_RELEASES, spec, '');
}

/** Every Kubernetes patch some kind release has a node image for, newest first. */
export function knownKubernetesVersions(): string[] {
  const all = new Set(KIND_RELEASES.flatMap((r) => Object.keys(r.images)));
  return [...all].sort(byVersion).reverse();
}

export interface NodeImageChoice {
  readonly kubernetes: string;
  readonly kind: string;
  readonly image: string;
}

function newestFirst(releases: readonly KindRelease[]): KindRelease[] {
  return [...releases].sort((a, b) => byVersion(b.version, a.version));
}

/**
 * Picks the kind release and pinned node image for `1.34` (newest patch) or `1.34.8`,
 * optionally within one kind release.
 */
export function lookupNodeImage(kubernetes: string, kindVersion?: string): Lookup<NodeImageChoice> {
  const v = parseVersion(kubernetes);
  const known = knownKubernetesVersions();
  if (!v || kubernetes.trim().startsWith('v'))
    return { ok: false, why: 'is not a version such as 1.34 or 1.34.8', known };
  const releases = kindVersion ? KIND_RELEASES.filter((r) => r.version === kindVersion) : KIND_RELEASES;
  for (const release of newestFirst(releases)) {
    const patches = Object.keys(release.images)
      .filter((k) => {
        const p = parseVersion(k);
        return (
          p && p.major === v.major && p.minor === v.minor && (v.patch === undefined || p.patch === v.patch)
        );
      })
      .sort(byVersion)
      .reverse();
    const patch = patches[0];
    if (patch) {
      const digest = release.images[patch];
      return {
        ok: true,
        value: {
          kubernetes: patch,
          kind: release.version,
          image: `${KIND_NODE_REPOSITORY}:v${patch}@${digest}`,
        },
      };
    }
  }
  const where = kindVersion ? ` in kind ${kindVersion}` : '';
  const scope = kindVersion
    ? Object.keys(KIND_RELEASES.find((r) => r.version === kindVersion)?.images ?? {})
    : known;
  return {
    ok: false,
    why: `has no pinned kindest/node image${where}`,
    known: scope,
  };
}

export function knownKindVersions(): string[] {
  return KIND_RELEASES.map((r) => r.version);
}

export function defectFor(calicoVersion: string): KnownDefect | undefined {
  return CALICO_DEFECTS.find(
    (d) => compareVersions(calicoVersion, d.from) >= 0 && compareVersions(calicoVersion, d.to) <= 0,
  );
}
