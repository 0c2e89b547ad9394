import { createHash } from 'node:crypto';
import {
  BOUTIQUE,
  CALICO_MANIFESTS_URL,
  CALICO_RELEASES,
  ISTIO_RELEASES,
  KIND_NODE_REPOSITORY,
  KIND_RELEASES,
  toolSource,
  type Arch,
} from '../catalog/index.js';
import type { MirrorRule } from '../config/cell-config.js';
import type { HttpGet } from '../exec/fetch.js';
import { applyMirrors } from '../util/mirror.js';
import { compareVersions, minorOf, parseVersion } from '../util/version.js';

const GITHUB_API = 'https://api.github.com';
/** One page of each feed: newest first, enough for every minor the catalog knows. */
export const FEEDS = {
  calico: `${GITHUB_API}/repos/projectcalico/calico/releases?per_page=100`,
  istio: `${GITHUB_API}/repos/istio/istio/releases?per_page=100`,
  kind: `${GITHUB_API}/repos/kubernetes-sigs/kind/releases?per_page=100`,
  boutique: `${GITHUB_API}/repos/GoogleCloudPlatform/microservices-demo/tags?per_page=100`,
} as const;
const FEED_TIMEOUT_MS = 30_000;
const FILE_TIMEOUT_MS = 120_000;
const ARCHES: readonly Arch[] = ['amd64', 'arm64'];

/** A file the catalog would pin that upstream does not serve: reported, never guessed. */
export interface Missing {
  readonly file: string;
  readonly url: string;
  readonly why: string;
}

export interface CalicoPatch {
  readonly minor: string;
  readonly version: string;
  /** `tag/file` → sha256, the same files the catalog pins for the minor's latest patch. */
  readonly digests: Readonly<Record<string, string>>;
  readonly missing: readonly Missing[];
}

export interface IstioPatch {
  readonly minor: string;
  readonly version: string;
  /** istioctl archive sha256 per arch, from the checksum file published beside it. */
  readonly istioctl: Readonly<Partial<Record<Arch, string>>>;
  readonly missing: readonly Missing[];
}

export interface KindUpdate {
  readonly version: string;
  /** Kubernetes patch → digest, as the release notes list them. */
  readonly images: Readonly<Record<string, string>>;
  readonly binary: Readonly<Partial<Record<Arch, string>>>;
  readonly missing: readonly Missing[];
}

export interface BoutiqueUpdate {
  readonly version: string;
  readonly sha256?: string;
  readonly missing: readonly Missing[];
}

export interface UpstreamReport {
  readonly calico: readonly CalicoPatch[];
  readonly istio: readonly IstioPatch[];
  readonly kind: readonly KindUpdate[];
  readonly boutique: readonly BoutiqueUpdate[];
  /** Minors the catalog has no entry for: their facts are a person's call, so no patch is made. */
  readonly newMinors: readonly { readonly project: 'calico' | 'istio'; readonly version: string }[];
  /** Feeds that could not be read. */
  readonly errors: readonly string[];
}

export interface CheckDeps {
  readonly get: HttpGet;
  readonly mirrors: readonly MirrorRule[];
  /** GITHUB_TOKEN: sent to api.github.com only, never printed. */
  readonly githubToken?: string;
  readonly signal?: AbortSignal;
}

/** Headers for a request: the token only for GitHub's API itself (a mirror never receives it). */
export function requestHeaders(url: string, token: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'calico-istio-conformance' };
  if (url.startsWith(`${GITHUB_API}/`)) {
    headers.accept = 'application/vnd.github+json';
    headers['x-github-api-version'] = '2022-11-28';
    if (token) headers.authorization = `Bearer ${token}`;
  }
  return headers;
}

class Fetcher {
  constructor(private readonly deps: CheckDeps) {}

  private async get(upstream: string, timeoutMs: number) {
    const url = applyMirrors(upstream, this.deps.mirrors);
    const r = await this.deps.get(url, {
      headers: requestHeaders(url, this.deps.githubToken),
      timeoutMs,
      ...(this.deps.signal ? { signal: this.deps.signal } : {}),
    });
    return { url, ...r };
  }

  async json(upstream: string): Promise<unknown> {
    const r = await this.get(upstream, FEED_TIMEOUT_MS);
    if (r.status !== 200) throw new Error(`GET ${r.url}: HTTP ${r.status}`);
    return JSON.parse(r.body.toString('utf8')) as unknown;
  }

  /** sha256 of a file, or why there is none. */
  async sha256(file: string, upstream: string): Promise<{ sha256: string } | Missing> {
    try {
      const r = await this.get(upstream, FILE_TIMEOUT_MS);
      if (r.status !== 200) return { file, url: r.url, why: `HTTP ${r.status}` };
      return { sha256: createHash('sha256').update(r.body).digest('hex') };
    } catch (e) {
      return { file, url: applyMirrors(upstream, this.deps.mirrors), why: (e as Error).message };
    }
  }

  /** The digest a published checksum file names (`hex` or `hex  name`), or why there is none. */
  async checksum(file: string, upstream: string): Promise<{ sha256: string } | Missing> {
    try {
      const r = await this.get(upstream, FEED_TIMEOUT_MS);
      if (r.status !== 200) return { file, url: r.url, why: `HTTP ${r.status}` };
      const hex = r.body.toString('utf8').trim().split(/\s+/)[0] ?? '';
      if (!/^[0-9a-f]{64}$/.test(hex)) return { file, url: r.url, why: 'not a sha256 checksum file' };
      return { sha256: hex };
    } catch (e) {
      return { file, url: applyMirrors(upstream, this.deps.mirrors), why: (e as Error).message };
    }
  }
}

interface FeedRelease {
  readonly tag: string;
  readonly body: string;
}

/** Published releases (no drafts, no pre-releases), as GitHub's releases API lists them. */
function releasesOf(json: unknown): FeedRelease[] {
  if (!Array.isArray(json)) throw new Error('the releases feed is not a list');
  return json
    .filter((r: Record<string, unknown>) => r && !r.draft && !r.prerelease && typeof r.tag_name === 'string')
    .map((r: Record<string, unknown>) => ({
      tag: r.tag_name as string,
      body: typeof r.body === 'string' ? r.body : '',
    }));
}

/** Full `x.y.z` releases newer than `than`, oldest first; a tag like `v3.33.0-0.dev` is not a release. */
function newer(tags: readonly string[], than: string): string[] {
  return tags
    .filter((t) => parseVersion(t)?.patch !== undefined && compareVersions(t, than) > 0)
    .sort(compareVersions);
}

const isMissing = (x: { sha256: string } | Missing): x is Missing => 'why' in x;

async function checkCalico(f: Fetcher, report: Mutable): Promise<void> {
  const tags = releasesOf(await f.json(FEEDS.calico)).map((r) => r.tag);
  const newest = CALICO_RELEASES.at(-1)!;
  for (const rel of CALICO_RELEASES) {
    const minorTags = newer(tags, rel.latest).filter((t) => minorOf(parseVersion(t)!) === rel.minor);
    for (const tag of minorTags) {
      const digests: Record<string, string> = {};
      const missing: Missing[] = [];
      for (const key of Object.keys(rel.digests)) {
        const file = key.slice(key.indexOf('/') + 1);
        const url = `${CALICO_MANIFESTS_URL.replace('{version}', tag)}/${file}`;
        const got = await f.sha256(`${tag}/${file}`, url);
        if (isMissing(got)) missing.push(got);
        else digests[`${tag}/${file}`] = got.sha256;
      }
      report.calico.push({ minor: rel.minor, version: tag, digests, missing });
    }
  }
  for (const t of newer(tags, newest.latest).filter(
    (t) => compareVersions(minorOf(parseVersion(t)!), newest.minor) > 0,
  ))
    report.newMinors.push({ project: 'calico', version: t });
}

async function checkIstio(f: Fetcher, report: Mutable): Promise<void> {
  const tags = releasesOf(await f.json(FEEDS.istio)).map((r) => r.tag);
  const newest = ISTIO_RELEASES.at(-1)!;
  for (const rel of ISTIO_RELEASES) {
    for (const version of newer(tags, rel.latest).filter((t) => minorOf(parseVersion(t)!) === rel.minor)) {
      const istioctl: Partial<Record<Arch, string>> = {};
      const missing: Missing[] = [];
      for (const arch of ARCHES) {
        const src = toolSource('istioctl', version, arch);
        const got = await f.checksum(src.checksumUrl.split('/').at(-1)!, src.checksumUrl);
        if (isMissing(got)) missing.push(got);
        else istioctl[arch] = got.sha256;
      }
      report.istio.push({ minor: rel.minor, version, istioctl, missing });
    }
  }
  for (const t of newer(tags, newest.latest).filter(
    (t) => compareVersions(minorOf(parseVersion(t)!), newest.minor) > 0,
  ))
    report.newMinors.push({ project: 'istio', version: t });
}

/**
 * kind lists the node images built for a release in its release notes, pinned by digest
 * (`site/content/docs/user/quick-start.md` @ v0.32.0: "check the release notes … a complete listing
 * of images created for a kind release").
 */
const NODE_IMAGE_RE = new RegExp(`${KIND_NODE_REPOSITORY}:v(\\d+\\.\\d+\\.\\d+)@(sha256:[a-f0-9]{64})`, 'g');

async function checkKind(f: Fetcher, report: Mutable): Promise<void> {
  const releases = releasesOf(await f.json(FEEDS.kind));
  const newest = KIND_RELEASES.at(-1)!.version;
  const fresh = newer(
    releases.map((r) => r.tag),
    newest,
  );
  for (const version of fresh) {
    const body = releases.find((r) => r.tag === version)!.body;
    const images: Record<string, string> = {};
    for (const m of body.matchAll(NODE_IMAGE_RE)) images[m[1]!] = m[2]!;
    const missing: Missing[] = [];
    if (Object.keys(images).length === 0)
      missing.push({
        file: `${KIND_NODE_REPOSITORY} images`,
        url: `https://github.com/kubernetes-sigs/kind/releases/tag/${version}`,
        why: 'the release notes list no kindest/node image pinned by digest',
      });
    const binary: Partial<Record<Arch, string>> = {};
    for (const arch of ARCHES) {
      const src = toolSource('kind', version, arch);
      const got = await f.checksum(src.checksumUrl.split('/').at(-1)!, src.checksumUrl);
      if (isMissing(got)) missing.push(got);
      else binary[arch] = got.sha256;
    }
    report.kind.push({ version, images, binary, missing });
  }
}

async function checkBoutique(f: Fetcher, report: Mutable): Promise<void> {
  const json = await f.json(FEEDS.boutique);
  if (!Array.isArray(json)) throw new Error('the tags feed is not a list');
  const tags = json
    .map((t: Record<string, unknown>) => t?.name)
    .filter((n): n is string => typeof n === 'string');
  for (const version of newer(tags, BOUTIQUE.version)) {
    const url = BOUTIQUE.manifestUrl.replaceAll(BOUTIQUE.version, version);
    const got = await f.sha256(`${version}/release/kubernetes-manifests.yaml`, url);
    report.boutique.push(
      isMissing(got) ? { version, missing: [got] } : { version, sha256: got.sha256, missing: [] },
    );
  }
}

type Mutable = {
  -readonly [K in keyof UpstreamReport]: UpstreamReport[K] extends readonly (infer T)[] ? T[] : never;
};

/** Asks each feed what is newer than the catalog; a feed that fails is an error in the report, not a throw. */
export async function checkUpstream(deps: CheckDeps): Promise<UpstreamReport> {
  const f = new Fetcher(deps);
  const report: Mutable = { calico: [], istio: [], kind: [], boutique: [], newMinors: [], errors: [] };
  const checks: [string, (f: Fetcher, r: Mutable) => Promise<void>][] = [
    ['Calico releases', checkCalico],
    ['Istio releases', checkIstio],
    ['kind releases', checkKind],
    ['Online Boutique tags', checkBoutique],
  ];
  for (const [name, check] of checks) {
    try {
      await check(f, report);
    } catch (e) {
      report.errors.push(`${name}: ${(e as Error).message}`);
    }
  }
  return report;
}

/** The part of the report that is complete enough to go into the catalog: every file has its digest. */
export function catalogPatch(r: UpstreamReport) {
  const complete = <T extends { missing: readonly Missing[] }>(xs: readonly T[]) =>
    xs.filter((x) => x.missing.length === 0);
  const latest = <T extends { minor: string; version: string }>(xs: readonly T[]) => {
    const out = new Map<string, T>();
    for (const x of xs) out.set(x.minor, x); // oldest first: the last is the newest
    return [...out.values()];
  };
  return {
    calico: latest(complete(r.calico)).map((p) => ({
      minor: p.minor,
      latest: p.version,
      digests: p.digests,
    })),
    istio: latest(complete(r.istio)).map((p) => ({
      minor: p.minor,
      latest: p.version,
      istioctl: p.istioctl,
    })),
    kind: complete(r.kind).map((k) => ({ version: k.version, images: k.images })),
    boutique: complete(r.boutique)
      .slice(-1)
      .map((b) => ({ version: b.version, sha256: b.sha256! })),
  };
}

export function hasUpdates(r: UpstreamReport): boolean {
  const p = catalogPatch(r);
  return (
    p.calico.length + p.istio.length + p.kind.length + p.boutique.length + r.newMinors.length > 0 ||
    [...r.calico, ...r.istio, ...r.kind, ...r.boutique].some((x) => x.missing.length > 0)
  );
}

/** For a person (and a pull request body): what is new, what is missing, then the patch as JSON. */
export function formatReport(r: UpstreamReport): string {
  const out: string[] = ['Upstream releases newer than the catalog', ''];
  const missingLines = (m: readonly Missing[]) =>
    m.map((x) => `    MISSING ${x.file}: ${x.why} (${x.url}); reported, not guessed`);
  for (const p of r.calico) {
    out.push(`Calico ${p.minor}: ${p.version}${p.missing.length ? ' (incomplete)' : ''}`);
    for (const [k, v] of Object.entries(p.digests)) out.push(`    ${k}  ${v}`);
    out.push(...missingLines(p.missing));
  }
  for (const p of r.istio) {
    out.push(`Istio ${p.minor}: ${p.version}${p.missing.length ? ' (incomplete)' : ''}`);
    for (const [a, v] of Object.entries(p.istioctl)) out.push(`    istioctl linux-${a}  ${v}`);
    out.push(...missingLines(p.missing));
  }
  for (const k of r.kind) {
    out.push(`kind ${k.version}${k.missing.length ? ' (incomplete)' : ''}`);
    for (const [v, d] of Object.entries(k.images)) out.push(`    ${KIND_NODE_REPOSITORY}:v${v}@${d}`);
    for (const [a, v] of Object.entries(k.binary)) out.push(`    kind-linux-${a}  ${v}`);
    out.push(...missingLines(k.missing));
  }
  for (const b of r.boutique) {
    out.push(
      `Online Boutique ${b.version}${b.sha256 ? `: kubernetes-manifests.yaml ${b.sha256}` : ' (incomplete)'}`,
    );
    out.push(...missingLines(b.missing));
  }
  for (const m of r.newMinors)
    out.push(
      `New ${m.project === 'calico' ? 'Calico' : 'Istio'} minor ${m.version}: needs a catalog entry (its facts are not guessed)`,
    );
  for (const e of r.errors) out.push(`ERROR ${e}`);
  if (!hasUpdates(r) && r.errors.length === 0) out.push('Nothing newer: the catalog is current.');
  out.push('', 'Catalog patch (complete releases only):', JSON.stringify(catalogPatch(r), null, 2), '');
  return out.join('\n');
}
