import { parseRuleLines, type RuleLineProblem } from './rule-lines.js';
/** An image reference as Docker parses it: `[host[:port]/]path[:tag][@sha256:hex]`, lower-case path. */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::\\d{1,5})?|\\[[0-9a-fA-F:]+\\](?::\\d{1,5})?)';
const IMAGE_REF_RE = new RegExp(
  `^(?:${HOST}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
const REGISTRY_RE = new RegExp(`^${HOST}$`);
const MAX_REF = 255;

/** Why a user's image reference is refused, or undefined when it is one (never a flag, never a shell word). */
export function imageRefProblem(ref: string): string | undefined {
  if (ref.startsWith('-')) return 'starts with "-" (it would be read as an option)';
  if (ref.length > MAX_REF) return `is longer than ${MAX_REF} characters`;
  if (!IMAGE_REF_RE.test(ref)) return 'is not an image reference';
  return undefined;
}

/**
 * The registry host an image is pulled from, as containerd names its hosts directory: the first path
 * component when it holds a `.` or `:` or is `localhost`, else `docker.io` (Docker's normalisation,
 * distribution/reference `normalize.go` splitDockerDomain).
 */
export function registryOf(ref: string): string {
  const slash = ref.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = ref.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/** One image-mirror rule: pulls from `registry` go to `mirror` first. */
export interface ImageMirrorRule {
  /** Registry host as containerd names it: `docker.io`, `quay.io`, `localhost:5000`. */
  readonly registry: string;
  /** The mirror's base URL (https, or http when insecure mirrors are allowed). */
  readonly mirror: string;
}

export type ImageMirrorProblem = RuleLineProblem;

/** `REGISTRY=URL` rules, one per line; a refused line is named by number with why. */
export function parseImageMirrorRules(
  text: string,
  allowInsecure: boolean,
): { rules: ImageMirrorRule[]; problems: ImageMirrorProblem[] } {
  return parseRuleLines<ImageMirrorRule>(text, 'REGISTRY=URL', (host, to, rules) => {
    const registry = host.toLowerCase();
    if (/^[a-z][a-z0-9+.-]*:\/\//.test(registry))
      return 'names the registry with a scheme (write the host only, e.g. docker.io)';
    if (!REGISTRY_RE.test(registry)) return 'does not name a registry host (e.g. docker.io, quay.io)';
    if (rules.some((r) => r.registry === registry)) return `repeats the registry ${registry}`;
    let u: URL;
    try {
      u = new URL(to);
    } catch {
      return 'has a mirror that is not an http(s) URL';
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'has a mirror that is not an http(s) URL';
    if (u.username || u.password) return 'carries credentials in the mirror URL (they would be logged)';
    if (u.search || u.hash) return 'has a query or fragment in the mirror URL';
    if (u.protocol === 'http:' && !allowInsecure)
      return 'points to an http:// mirror, which anyone on the network path can tamper with';
    // The normalised URL (percent-encoded) is what hosts.toml gets: no quote or newline can end its key.
    const mirror = u.href.replace(/\/+$/, '');
    if (/["\\\s\]]/.test(mirror)) return 'has a character a hosts.toml key cannot hold';
    return { registry, mirror };
  });
}

/**
 * The reference the host's Docker pulls through the mirror of the image's registry: only an https
 * mirror at its root serves `host/path` to Docker, and only a digest-pinned reference keeps the same
 * bytes whoever serves them. Anything else is pulled as given.
 */
export function mirroredImageRef(ref: string, rules: readonly ImageMirrorRule[]): string {
  if (!ref.includes('@sha256:')) return ref;
  const registry = registryOf(ref);
  const rule = rules.find((r) => r.registry === registry);
  if (!rule) return ref;
  const u = new URL(rule.mirror);
  if (u.protocol !== 'https:' || (u.pathname !== '/' && u.pathname !== '')) return ref;
  const path =
    registry === 'docker.io' && !ref.startsWith('docker.io/') ? ref : ref.slice(registry.length + 1);
  return `${u.host}/${path.includes('/') ? path : `library/${path}`}`;
}
