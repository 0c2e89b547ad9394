import { CALICO_DEFECTS, CALICO_RELEASES, type CalicoRelease, type KnownDefect } from './calico.js';
import { ISTIO_RELEASES, type IstioRelease } from './istio.js';
import { KIND_NODE_REPOSITORY, KIND_RELEASES, type KindRelease } from './kind.js';
import { compareVersions, minorOf, parseVersion } from '../util/version.js';

export * from './calico.js';
export * from './istio.js';
export * from './kind.js';
export * from './types.js';
export * from './tools.js';
export { BOUTIQUE, BOUTIQUE_PODS, BOUTIQUE_SERVICE_PORTS } from './boutique.js';
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

/** How a found release relates to the catalog: a patch it knows, or a newer patch of a known minor. */
export interface Found<R> {
  readonly version: string;
  readonly release: R;
  /** The patch is newer than the catalog's newest of its minor: nothing of it is pinned here. */
  readonly newerPatch: boolean;
}

/**
 * A release spec: exact (any patch of a known minor; a newer patch only with `allowNewerPatch`) or a
 * minor for its newest known patch. `tagPrefix` is how the project spells its tags (Calico `v3.32.1`,
 * Istio `1.28.1`).
 */
function lookupRelease<R extends Release>(
  project: string,
  releases: readonly R[],
  spec: string,
  tagPrefix: 'v' | '',
  allowNewerPatch: boolean,
): Lookup<Found<R>> {
  const v = parseVersion(spec);
  const known = releases.map((r) => r.latest);
  if (!v) return { ok: false, why: 'is not a version', known };
  if (!tagPrefix && spec.trim().startsWith('v')) {
    return { ok: false, why: `is not a version (${project} tags have no "v")`, known };
  }
  const release = releases.find((r) => r.minor === minorOf(v));
  if (!release)
    return { ok: false, why: `names ${project} ${minorOf(v)}, which is not in the catalog`, known };
  if (v.patch === undefined)
    return { ok: true, value: { version: release.latest, release, newerPatch: false } };
  const version = `${tagPrefix}${v.major}.${v.minor}.${v.patch}`;
  const newerPatch = compareVersions(version, release.latest) > 0;
  if (newerPatch && !allowNewerPatch) {
    const why = `is newer than the newest known ${release.minor} patch (${release.latest})`;
    return { ok: false, why, known };
  }
  return { ok: true, value: { version, release, newerPatch } };
}

/**
 * `v3.32.1` exact, or `3.32` / `v3.32` for the newest known patch. With `allowNewerPatch`, a patch
 * newer than the catalog's (`v3.32.2`) is found too, with the minor's facts and `newerPatch` set.
 */
export function lookupCalico(
  spec: string,
  opts: { allowNewerPatch?: boolean } = {},
): Lookup<Found<CalicoRelease>> {
  return lookupRelease('Calico', CALICO_RELEASES, spec, 'v', opts.allowNewerPatch ?? false);
}

/** A known minor by name (`3.32`, `v3.32`, `1.28`): whose facts a build of an unknown minor inherits. */
function lookupMinor<R extends Release>(releases: readonly R[], spec: string): Lookup<R> {
  const v = parseVersion(spec);
  const known = releases.map((r) => r.minor);
  if (!v || v.patch !== undefined) return { ok: false, why: 'is not a minor such as ' + known.at(-1), known };
  const release = releases.find((r) => r.minor === minorOf(v));
  return release
    ? { ok: true, value: release }
    : { ok: false, why: `names ${minorOf(v)}, which is not a minor in the catalog`, known };
}

export function knownCalicoMinors(): string[] {
  return CALICO_RELEASES.map((r) => r.minor);
}

export function knownIstioMinors(): string[] {
  return ISTIO_RELEASES.map((r) => r.minor);
}

export function lookupCalicoMinor(spec: string): Lookup<CalicoRelease> {
  return lookupMinor(CALICO_RELEASES, spec);
}

export function lookupIstioMinor(spec: string): Lookup<IstioRelease> {
  return lookupMinor(ISTIO_RELEASES, spec.trim().startsWith('v') ? '' : spec);
}

export function knownIstioVersions(): string[] {
  return ISTIO_RELEASES.map((r) => r.latest);
}

/** `1.28.1` exact, or `1.28` for the newest known patch. */
export function lookupIstio(
  spec: string,
  opts: { allowNewerPatch?: boolean } = {},
): Lookup<Found<IstioRelease>> {
  return lookupRelease('Istio', ISTIO_RELEASES, spec, '', opts.allowNewerPatch ?? false);
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
