import { isAbsolute, resolve } from 'node:path';
import {
  lookupCalico,
  lookupCalicoMinor,
  lookupIstio,
  lookupIstioMinor,
  knownCalicoMinors,
  knownIstioMinors,
} from '../catalog/index.js';
import { compareVersions, minorOf, parseVersion } from '../util/version.js';
import type { InputName } from './inputs.js';

/**
 * Builds the catalog has never seen: a newer patch of a known minor, a newer minor that inherits a
 * known minor's facts, a label (`master`, `v3.33.0-0.dev`, a commit), and the user's own manifests,
 * images and istioctl. Parsed here, one refusal per bad input; resolve/cell.ts decides what they mean.
 */

/** Where Calico's manifests come from when not from the release tag. */
export type ManifestSource =
  | { readonly kind: 'directory'; readonly path: string }
  | { readonly kind: 'url'; readonly base: string }
  | { readonly kind: 'git'; readonly ref: string };

export type IstioctlSource =
  | { readonly kind: 'path'; readonly path: string; readonly sha256?: string }
  | { readonly kind: 'url'; readonly url: string; readonly sha256: string };

export interface UserBuilds {
  readonly calicoManifests?: ManifestSource;
  /** Installation `spec.registry`, ending in `/`. */
  readonly calicoRegistry?: string;
  readonly calicoImagePath?: string;
  readonly calicoImagePrefix?: string;
  readonly calicoOperatorImage?: string;
  readonly dikastesImage?: string;
  readonly istioctl?: IstioctlSource;
  /** IstioOperator `spec.hub` / `spec.tag`. */
  readonly istioHub?: string;
  readonly istioTag?: string;
}

export type Refuse = (input: InputName, value: string, why: string, accepted: string) => void;

/**
 * A build label (a branch, tag or commit name): usable as a git ref and, without `/`, in a cell id,
 * a cluster name and an artifact name. A git ref of `calico-manifests` may have `/`.
 */
const REF_RE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;
const isRef = (s: string) => REF_RE.test(s) && !s.includes('..') && !s.endsWith('/') && !s.endsWith('.');
const isLabel = (s: string) => isRef(s) && !s.includes('/');

/** `registry/path/name:tag`, `name@sha256:…` or both: an image reference that names what it pulls. */
const IMAGE_RE =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d{1,5})?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const hasTagOrDigest = (s: string) => /@sha256:/.test(s) || /:[\w][\w.-]{0,127}$/.test(s.split('/').at(-1)!);
const HOST_PATH_RE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d{1,5})?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const SHA256_RE = /^[a-f0-9]{64}$/;

function httpsUrl(s: string, allowHttp: boolean): URL | undefined {
  try {
    const u = new URL(s);
    const ok = u.protocol === 'https:' || (allowHttp && u.protocol === 'http:');
    return ok && !u.username && !u.password && !u.search && !u.hash ? u : undefined;
  } catch {
    return undefined;
  }
}

const hasControl = (s: string) => [...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

/** What a version input names, once checked: the version (or label) and the known minor whose facts apply. */
export interface VersionChoice {
  readonly version: string;
  /** `3.32` / `1.28`: set when the version is not a release of a known minor. */
  readonly inherit?: string;
}

interface Project {
  readonly name: 'Calico' | 'Istio';
  readonly versionInput: InputName;
  readonly inheritInput: InputName;
  readonly example: { release: string; minor: string; newer: string };
  lookup(spec: string): ReturnType<typeof lookupCalico> | ReturnType<typeof lookupIstio>;
  lookupMinor(spec: string): { ok: true } | { ok: false; why: string; known: readonly string[] };
  minors(): string[];
}

const CALICO: Project = {
  name: 'Calico',
  versionInput: 'calico-version',
  inheritInput: 'calico-inherit',
  example: { release: 'v3.32.1', minor: '3.32', newer: 'v3.33.0' },
  lookup: (s) => lookupCalico(s, { allowNewerPatch: true }),
  lookupMinor: (s) => lookupCalicoMinor(s),
  minors: knownCalicoMinors,
};

const ISTIO: Project = {
  name: 'Istio',
  versionInput: 'istio-version',
  inheritInput: 'istio-inherit',
  example: { release: '1.28.1', minor: '1.28', newer: '1.30.0' },
  lookup: (s) => lookupIstio(s, { allowNewerPatch: true }),
  lookupMinor: (s) => lookupIstioMinor(s),
  minors: knownIstioMinors,
};

/**
 * A version input with its inherit input. A release of a known minor needs no inherit (given one is
 * refused: it would be ignored); a newer minor or a label needs one naming a known minor.
 */
function parseVersionChoice(
  p: Project,
  versionText: string,
  inheritText: string,
  refuse: Refuse,
): VersionChoice | undefined {
  const spec = versionText.trim();
  const inheritSpec = inheritText.trim();
  const minors = p.minors();
  const inheritAccepted = `a known ${p.name} minor: ${minors.join(', ')}`;
  let inherit: string | undefined;
  if (inheritSpec) {
    const m = p.lookupMinor(inheritSpec);
    if (!m.ok) refuse(p.inheritInput, inheritSpec, m.why, inheritAccepted);
    else inherit = minorOf(parseVersion(inheritSpec)!);
  }
  const found = p.lookup(spec);
  if (found.ok) {
    if (inheritSpec) {
      refuse(
        p.inheritInput,
        inheritSpec,
        `is not needed: ${found.value.version} is a release of the known minor ${found.value.release.minor}, whose facts apply`,
        `empty (an inherit is for a ${p.name} minor the catalog does not know, or a build label)`,
      );
      return undefined;
    }
    return { version: found.value.version };
  }
  const v = parseVersion(spec);
  const needInherit = `with ${p.inheritInput} naming the known minor whose facts apply (${minors.join(', ')})`;
  if (v) {
    if (p.name === 'Istio' && spec.startsWith('v')) {
      refuse(p.versionInput, spec, found.why, `${p.example.release} or ${p.example.minor}`);
      return undefined;
    }
    const oldest = minors[0]!;
    if (compareVersions(minorOf(v), oldest) < 0) {
      refuse(
        p.versionInput,
        spec,
        `${found.why} (older than its oldest minor, ${oldest}: an inherit is only for newer minors)`,
        `a release of a known minor: ${found.known.join(', ')}`,
      );
      return undefined;
    }
    if (v.patch === undefined) {
      refuse(
        p.versionInput,
        spec,
        `names ${p.name} ${minorOf(v)}, which is not in the catalog, without a patch`,
        `a full tag such as ${p.example.newer} ${needInherit}, or a known minor: ${minors.join(', ')}`,
      );
      return undefined;
    }
    const version =
      p.name === 'Calico' ? `v${v.major}.${v.minor}.${v.patch}` : `${v.major}.${v.minor}.${v.patch}`;
    if (!inheritSpec) {
      refuse(
        p.versionInput,
        spec,
        `${found.why}, and no ${p.inheritInput} says whose facts apply`,
        `a release of a known minor (${found.known.join(', ')}), or ${p.example.newer} ${needInherit}`,
      );
      return undefined;
    }
    return inherit ? { version, inherit } : undefined;
  }
  if (!isLabel(spec)) {
    refuse(
      p.versionInput,
      spec,
      'is neither a version nor a build label',
      `${p.example.release}, ${p.example.minor}, or a label (branch, tag or commit: letters, digits, . _ -) ${needInherit}`,
    );
    return undefined;
  }
  if (!inheritSpec) {
    refuse(
      p.versionInput,
      spec,
      `is a build label, not a release: no ${p.inheritInput} says whose facts apply`,
      `a release such as ${p.example.release}, or the label ${needInherit}`,
    );
    return undefined;
  }
  return inherit ? { version: spec, inherit } : undefined;
}

export function parseCalicoVersion(version: string, inherit: string, refuse: Refuse) {
  return parseVersionChoice(CALICO, version, inherit, refuse);
}

export function parseIstioVersion(version: string, inherit: string, refuse: Refuse) {
  return parseVersionChoice(ISTIO, version, inherit, refuse);
}

/** True when the version is a label (no release tag): its artifacts must come from the user. */
export const isBuildLabel = (version: string): boolean => !parseVersion(version);

type Raw = Readonly<Record<InputName, string>>;

function parseManifests(
  text: string,
  allowHttp: boolean,
  cwd: string,
  refuse: Refuse,
): ManifestSource | undefined {
  const v = text.trim();
  if (!v) return undefined;
  const accepted = `a directory holding the release's manifests/ files, an https URL of such a folder${allowHttp ? ' (http with allow-insecure-mirrors)' : ''}, or git:<ref> of projectcalico/calico (e.g. git:master)`;
  if (v.startsWith('git:')) {
    const ref = v.slice(4);
    if (isRef(ref)) return { kind: 'git', ref };
    refuse('calico-manifests', v, 'names a malformed git ref', accepted);
    return undefined;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    const u = httpsUrl(v, allowHttp);
    if (u) return { kind: 'url', base: u.href.replace(/\/+$/, '') };
    refuse('calico-manifests', v, 'is not an https URL without credentials, query or fragment', accepted);
    return undefined;
  }
  if (hasControl(v)) {
    refuse('calico-manifests', v, 'contains a control character', accepted);
    return undefined;
  }
  return { kind: 'directory', path: isAbsolute(v) ? v : resolve(cwd, v) };
}

function parseImage(input: InputName, text: string, refuse: Refuse): string | undefined {
  const v = text.trim();
  if (!v) return undefined;
  const accepted =
    'an image reference with a tag or digest, e.g. quay.io/calico/dikastes:v3.32.1 or …@sha256:<64 hex>';
  if (!IMAGE_RE.test(v))
    refuse(input, v, 'is not an image reference (lower-case repository, no scheme, no spaces)', accepted);
  else if (!hasTagOrDigest(v)) refuse(input, v, 'has neither a tag nor a digest', accepted);
  else return v;
  return undefined;
}

/** Installation `spec.registry` must end with `/` (operator-crds.yaml @ v3.32.1, installations.operator.tigera.io). */
function parseRegistry(text: string, refuse: Refuse): string | undefined {
  const v = text.trim();
  if (!v) return undefined;
  const host = v.replace(/\/+$/, '');
  if (!HOST_PATH_RE.test(host) || host.includes('://')) {
    refuse(
      'calico-registry',
      v,
      'is not a registry host (no scheme, no spaces, lower case)',
      'a registry such as quay.io/ or registry.example:5000/mirror/ (a trailing / is added)',
    );
    return undefined;
  }
  return `${host}/`;
}

function parsePathPart(input: InputName, text: string, refuse: Refuse, prefix: boolean): string | undefined {
  const v = text.trim();
  if (!v) return undefined;
  const re = prefix
    ? /^[a-z0-9][a-z0-9._-]{0,63}$/
    : /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
  if (re.test(v)) return v;
  refuse(
    input,
    v,
    'is not a valid image path part',
    prefix
      ? 'a prefix put before each image name, e.g. dev-'
      : 'a repository path such as calico or my-org/calico',
  );
  return undefined;
}

function parseIstioctl(
  text: string,
  sumText: string,
  allowHttp: boolean,
  cwd: string,
  refuse: Refuse,
): IstioctlSource | undefined {
  const v = text.trim();
  const sum = sumText.trim().toLowerCase();
  if (sum && !SHA256_RE.test(sum)) {
    refuse(
      'istioctl-sha256',
      sumText.trim(),
      'is not 64 hex digits',
      'the sha256 of the istioctl binary or .tar.gz',
    );
    return undefined;
  }
  if (!v) {
    if (sum) refuse('istioctl-sha256', sum, 'is given without istioctl', 'empty, or with istioctl set');
    return undefined;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    const u = httpsUrl(v, allowHttp);
    if (!u) {
      refuse(
        'istioctl',
        v,
        'is not an https URL without credentials',
        'a path to an istioctl binary, or an https URL of one (or of a .tar.gz holding istioctl) with istioctl-sha256',
      );
      return undefined;
    }
    if (!sum) {
      refuse(
        'istioctl',
        v,
        'is a URL without istioctl-sha256',
        'a URL together with istioctl-sha256 (the sha256 of what it serves)',
      );
      return undefined;
    }
    return { kind: 'url', url: u.href, sha256: sum };
  }
  if (hasControl(v)) {
    refuse('istioctl', v, 'contains a control character', 'a path to an istioctl binary');
    return undefined;
  }
  return { kind: 'path', path: isAbsolute(v) ? v : resolve(cwd, v), ...(sum ? { sha256: sum } : {}) };
}

/** The inputs of user builds; every malformed one refused with what is accepted. */
export function parseUserBuilds(r: Raw, allowHttp: boolean, refuse: Refuse, cwd = process.cwd()): UserBuilds {
  const manifests = parseManifests(r['calico-manifests'], allowHttp, cwd, refuse);
  const registry = parseRegistry(r['calico-registry'], refuse);
  const imagePath = parsePathPart('calico-image-path', r['calico-image-path'], refuse, false);
  const imagePrefix = parsePathPart('calico-image-prefix', r['calico-image-prefix'], refuse, true);
  const operator = parseImage('calico-operator-image', r['calico-operator-image'], refuse);
  const dikastes = parseImage('dikastes-image', r['dikastes-image'], refuse);
  const istioctl = parseIstioctl(r.istioctl, r['istioctl-sha256'], allowHttp, cwd, refuse);
  const hub = r['istio-hub'].trim();
  if (hub && (!HOST_PATH_RE.test(hub) || hub.includes('://')))
    refuse(
      'istio-hub',
      hub,
      'is not an image hub (no scheme, no spaces, lower case, no trailing /)',
      'a hub such as docker.io/istio or gcr.io/istio-testing',
    );
  const tag = r['istio-tag'].trim();
  if (tag && !/^[\w][\w.-]{0,127}$/.test(tag))
    refuse(
      'istio-tag',
      tag,
      'is not an image tag',
      'a tag such as 1.30.0 or 1.30-dev (letters, digits, . _ -)',
    );
  return {
    ...(manifests ? { calicoManifests: manifests } : {}),
    ...(registry ? { calicoRegistry: registry } : {}),
    ...(imagePath ? { calicoImagePath: imagePath } : {}),
    ...(imagePrefix ? { calicoImagePrefix: imagePrefix } : {}),
    ...(operator ? { calicoOperatorImage: operator } : {}),
    ...(dikastes ? { dikastesImage: dikastes } : {}),
    ...(istioctl ? { istioctl } : {}),
    ...(hub && HOST_PATH_RE.test(hub) ? { istioHub: hub } : {}),
    ...(tag && /^[\w][\w.-]{0,127}$/.test(tag) ? { istioTag: tag } : {}),
  };
}

/** What a label version cannot do without: Istio has no release to download istioctl from. */
export function checkLabelNeeds(istio: VersionChoice | undefined, builds: UserBuilds, refuse: Refuse): void {
  if (istio && isBuildLabel(istio.version) && !builds.istioctl) {
    refuse(
      'istio-version',
      istio.version,
      'is a build label: there is no Istio release to download istioctl from',
      'the label with istioctl (a path, or an https URL with istioctl-sha256), or a release such as 1.28.1',
    );
  }
}
