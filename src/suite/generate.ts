import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import type { HttpMatch, Policy } from '../oracle/model.js';
import { isOracleKind, parseObject } from '../oracle/objects.js';
import { HTTP_METHODS } from '../probe/http-methods.js';
import { parseSuiteText } from './load.js';
import { SUITE_API_VERSION, SUITE_KIND, SUITE_LIMITS } from './schema.js';

/** Bad input to `suite generate`: which input, what was wrong. */
export class GenerateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GenerateError';
  }
}

export interface GenerateRequest {
  /** Policy files or directories (their .yaml/.yml files). */
  readonly policies: readonly string[];
  /** `namespace/selector`, e.g. `boutique/app=frontend`. */
  readonly target: string;
  readonly name: string;
  /** Where the suite will be written: manifests are named relative to its folder (default: cwd). */
  readonly out?: string;
  readonly cwd?: string;
}

/** One boundary request: what it probes, in words, and the request. */
export interface Probe {
  readonly label: string;
  readonly method: string;
  readonly path: string;
}

const KNOWN_METHODS: readonly string[] = HTTP_METHODS;
const TARGET_RE = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/(.+)$/;

/** A path with its letters' case flipped where it matters: the first letter upper- or lower-cased. */
function caseVariant(p: string): string | undefined {
  const i = p.search(/[A-Za-z]/);
  if (i === -1) return undefined;
  const c = p[i]!;
  const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
  return p.slice(0, i) + flipped + p.slice(i + 1);
}

/** The edges of an exact path: itself, trailing slash, case, duplicate slash, dot segments, encoded separator, query. */
function exactProbes(e: string): [string, string][] {
  const out: [string, string][] = [[`exact ${e}`, e]];
  if (e === '/') {
    out.push(
      ['root with a duplicate slash', '//'],
      ['root as a dot segment', '/.'],
      ['root with a query', '/?q=1'],
    );
    out.push(['root as an encoded dot', '/%2e'], ['another path', '/x']);
    return out;
  }
  const trimmed = e.endsWith('/') ? e.slice(0, -1) : undefined;
  out.push(trimmed ? ['without its trailing slash', trimmed] : ['with a trailing slash', `${e}/`]);
  const c = caseVariant(e);
  if (c) out.push(['in another case', c]);
  out.push(['with a leading duplicate slash', `/${e}`]);
  out.push(['through a dot segment', `/x/..${e}`]);
  out.push(['with a current-dir segment', `/.${e}`]);
  const last = e.lastIndexOf('/');
  if (last > 0) out.push(['with its last separator encoded', `${e.slice(0, last)}%2F${e.slice(last + 1)}`]);
  out.push(['with an encoded first letter', encodeFirstLetter(e)]);
  out.push(['with a query string', `${e}?q=1`]);
  out.push(['with a suffix', `${trimmed ?? e}x`]);
  return out;
}

function encodeFirstLetter(p: string): string {
  const i = p.search(/[A-Za-z]/);
  if (i === -1) return p;
  return `${p.slice(0, i)}%${p.charCodeAt(i).toString(16).toUpperCase()}${p.slice(i + 1)}`;
}

/** The edges of a prefix: at the segment boundary, inside, just past, and the shapes normalisation changes. */
function prefixProbes(prefix: string): [string, string][] {
  const b = prefix !== '/' && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (b === '/')
    return [
      ['prefix / itself', '/'],
      ['inside prefix /', '/x'],
      ['prefix / with a duplicate slash', '//x'],
      ['prefix / with a query', '/?q=1'],
    ];
  const out: [string, string][] = [
    [`prefix ${prefix} at the boundary`, b],
    [`prefix ${prefix} with a trailing slash`, `${b}/`],
    [`inside prefix ${prefix}`, `${b}/x`],
    [`just past prefix ${prefix}`, `${b}foo`],
  ];
  const c = caseVariant(b);
  if (c) out.push([`prefix ${prefix} in another case`, `${c}/x`]);
  out.push(
    [`prefix ${prefix} with a leading duplicate slash`, `/${b}/x`],
    [`prefix ${prefix} with a duplicate slash inside`, `${b}//x`],
    [`prefix ${prefix} with a current-dir segment`, `${b}/./x`],
    [`prefix ${prefix} left through a dot segment`, `${b}/../x`],
    [`prefix ${prefix} reached through a dot segment`, `/x/..${b}/x`],
    [`prefix ${prefix} with an encoded separator`, `${b}%2Fx`],
    [`prefix ${prefix} with encoded dot segments`, `${b}/%2e%2e/x`],
    [`prefix ${prefix} with an encoded first letter`, `${encodeFirstLetter(b)}/x`],
    [`prefix ${prefix} with a query string`, `${b}/x?q=1`],
    [`prefix ${prefix} with a query at the boundary`, `${b}?q=1`],
  );
  return out;
}

/**
 * Boundary requests for one rule's `http` clause: each listed method and one not listed, then each
 * path's edges (with the first listed method). Everything else of the rule is left as it is.
 */
export function boundaryProbes(http: HttpMatch): Probe[] {
  const listed = (http.methods ?? []).filter((m) => KNOWN_METHODS.includes(m));
  const first = listed[0] ?? 'GET';
  const base = http.paths?.[0]
    ? 'exact' in http.paths[0]
      ? http.paths[0].exact
      : http.paths[0].prefix
    : '/';
  const out: Probe[] = listed.map((m) => ({ label: `method ${m}`, method: m, path: base }));
  const unlisted = http.methods?.length ? KNOWN_METHODS.find((m) => !http.methods!.includes(m)) : undefined;
  if (unlisted) out.push({ label: `method ${unlisted} not listed`, method: unlisted, path: base });
  for (const p of http.paths ?? []) {
    const probes = 'exact' in p ? exactProbes(p.exact) : prefixProbes(p.prefix);
    for (const [label, path] of probes) out.push({ label, method: first, path });
  }
  return out;
}

async function yamlFiles(path: string): Promise<string[]> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new GenerateError(`--policies: ${path} does not exist`);
  if (st.isFile()) return [path];
  const out: string[] = [];
  for (const e of (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(path, e.name);
    if (e.isDirectory()) out.push(...(await yamlFiles(p)));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

const NAME_BAD = /[^A-Za-z0-9 ._:/()-]/g;
/** A suite expectation name (1–100 of letters, digits, spaces, `._:/()-`). */
function expectationName(policy: Policy, rule: number, p: Probe): string {
  const name = `${policy.name} rule ${rule}: ${p.method} ${p.path.replace(/%/g, 'pct').replace(/\?/g, ' query ')} (${p.label})`;
  return name
    .replace(NAME_BAD, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 100);
}

/** Reads the policies (no side effects), writes the suite's YAML; the text loads as a suite. */
export async function generateSuite(req: GenerateRequest): Promise<string> {
  const cwd = req.cwd ?? process.cwd();
  const m = TARGET_RE.exec(req.target);
  if (!m)
    throw new GenerateError(
      `--target: ${JSON.stringify(req.target)} must be NAMESPACE/SELECTOR, e.g. boutique/app=frontend`,
    );
  const [, namespace, , selector] = m as unknown as [string, string, string, string];
  const suiteDir = req.out ? dirname(resolve(cwd, req.out)) : cwd;
  const files = (await Promise.all(req.policies.map((p) => yamlFiles(resolve(cwd, p))))).flat();
  if (files.length === 0)
    throw new GenerateError(`--policies: ${req.policies.join(', ')} holds no .yaml or .yml files`);
  const apply: string[] = [];
  const probes: { name: string; method: string; path: string }[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const rel = relative(suiteDir, f);
    if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel))
      throw new GenerateError(
        `--policies: ${f} is outside the suite's folder ${suiteDir}: a suite names manifests inside its folder (write --out beside the policies)`,
      );
    let docs: unknown[];
    try {
      docs = loadAll(await readFile(f, 'utf8'));
    } catch (e) {
      throw new GenerateError(
        `--policies: ${rel} is not valid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
      );
    }
    let holdsPolicy = false;
    for (const doc of docs) {
      if (!isOracleKind(doc)) continue;
      const { parsed, problems } = parseObject(doc, rel);
      if (problems.length)
        throw new GenerateError(
          problems.map((p) => `--policies: ${rel}: ${p.path.join('.')}: ${p.message}`).join('\n'),
        );
      if (parsed?.type !== 'policy') continue;
      holdsPolicy = true;
      for (const [i, r] of parsed.policy.ingress.entries()) {
        if (!r.http) continue;
        for (const p of boundaryProbes(r.http)) {
          const key = `${p.method} ${p.path}`;
          if (seen.has(key)) continue;
          seen.add(key);
          probes.push({ name: expectationName(parsed.policy, i, p), method: p.method, path: p.path });
        }
      }
    }
    if (holdsPolicy || docs.length) apply.push(rel.split(sep).join('/'));
  }
  if (probes.length === 0)
    throw new GenerateError(`--policies: no ingress rule of ${req.policies.join(', ')} has an http clause`);
  const per = SUITE_LIMITS.expectationsPerStep;
  const chunks = Math.ceil(probes.length / per);
  if (chunks > SUITE_LIMITS.steps)
    throw new GenerateError(
      `--policies: ${probes.length} boundary requests exceed a suite's ${SUITE_LIMITS.steps} steps of ${per}`,
    );
  const steps = Array.from({ length: chunks }, (_, i) => ({
    name: chunks === 1 ? 'boundary requests' : `boundary requests ${i + 1} of ${chunks}`,
    ...(i === 0 ? { apply } : {}),
    expect: probes.slice(i * per, (i + 1) * per).map((p) => ({
      name: p.name,
      request: { method: p.method, path: p.path },
      expect: 'auto',
    })),
  }));
  const suite = {
    apiVersion: SUITE_API_VERSION,
    kind: SUITE_KIND,
    name: req.name,
    description: `Boundary requests for every HTTP rule of ${apply.join(', ')}; the policy oracle computes each verdict (expect: auto).`,
    target: { namespace, selector },
    steps,
  };
  const text = `# Generated by calico-istio-conformance suite generate; edit freely.\n${dump(suite, { noRefs: true, lineWidth: -1 })}`;
  // What we write must load: a generator that writes an invalid suite is a bug, not bad input.
  parseSuiteText(text, req.out ?? 'generated suite');
  return text;
}
