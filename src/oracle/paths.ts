import type { HttpMatch, OracleSemantics } from './model.js';

/** Characters Envoy's path canonicaliser decodes from `%XX` (kPathCharLookup UNESCAPE: unreserved). */
const ENVOY_UNESCAPE = /^[A-Za-z0-9._~-]$/;
/** Characters it percent-encodes (kPathCharLookup ESCAPE): controls, space, `"#<>^\`{|}`, DEL and non-ASCII. */
const envoyEscapes = (ch: string) => ch <= ' ' || ch >= '\x7f' || '"#<>^`{|}'.includes(ch);

/**
 * The path the target's sidecar hands to ext_authz. Istio 1.28.1 sets `normalize_path: true`,
 * `merge_slashes: false` and `path_with_escaped_slashes_action: KEEP_UNCHANGED` for the mesh default
 * pathNormalization (DEFAULT = BASE) on every HTTP connection manager, the sidecar's inbound one
 * included (istio pilot/pkg/networking/core/listener_builder.go, listener_inbound.go, 1.28.1).
 * Envoy's normalize_path is Chromium's path canonicaliser on the path before `?` (envoy
 * source/common/http/path_utility.cc canonicalPath; source/common/chromium_url/url_canon_path.cc
 * DoPartialPath, kPathCharLookup, IsDot): `\` becomes `/`; `%XX` of an unreserved character is
 * decoded (`%73` → `s`, `%2e` → `.`), other escapes (`%2F`) are kept as written; characters
 * outside the path set are encoded; `.`/`..` segments are resolved; duplicate slashes stay.
 * Istio 1.28.1 (istio.deps) builds istio/proxy 94128943, which pins Envoy 3bce179f; its
 * canonicalizePath uses googleurl's url::CanonicalizePath (remove_forked_chromium_url) or the fork
 * above, which share these rules; the file at that exact Envoy commit was not read.
 */
export function envoyBaseNormalise(raw: string): string {
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const query = q === -1 ? '' : raw.slice(q);
  let canon = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '%' && /^[0-9a-fA-F]{2}$/.test(path.slice(i + 1, i + 3))) {
      const c = String.fromCharCode(parseInt(path.slice(i + 1, i + 3), 16));
      canon += ENVOY_UNESCAPE.test(c) ? c : path.slice(i, i + 3);
      i += 2;
    } else if (ch === '\\') canon += '/';
    else if (envoyEscapes(ch))
      for (const b of Buffer.from(ch, 'utf8')) canon += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    else canon += ch;
  }
  const segments = canon.split('/').slice(1);
  const out: string[] = [];
  for (const [i, s] of segments.entries()) {
    const last = i === segments.length - 1;
    if (s === '.') {
      if (last) out.push('');
    } else if (s === '..') {
      out.pop();
      if (last) out.push('');
    } else out.push(s);
  }
  return `/${out.join('/')}${query}`;
}

/** v3.29.7 match.go matchHTTPPaths: strip `?` and `#` and compare raw; prefix is a string prefix. */
function rawPath(p: string): string {
  return p.split('?')[0]!.split('#')[0]!;
}

/** Go's url.PathUnescape: `%XX` decoded once; a malformed escape is an error. */
function pathUnescape(p: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(p)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < p.length;) {
    if (p[i] === '%') {
      bytes.push(parseInt(p.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      for (const b of Buffer.from(p[i]!, 'utf8')) bytes.push(b);
      i++;
    }
  }
  return Buffer.from(bytes).toString('latin1');
}

/** Go's path.Clean for a rooted path. */
function goPathClean(p: string): string {
  const out: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return `/${out.join('/')}`;
}

/**
 * normalizeHTTPPath (calico app-policy/checker/match.go, v3.31.6 and v3.32.1): strip query and
 * fragment, decode once, refuse surviving %2e/%2f/%5c and NUL, fold `\` to `/`, strip `;` matrix
 * parameters per segment, then path.Clean. `undefined` means "refused": such a path never matches.
 */
export function dikastesNormalise(p: string): string | undefined {
  const cut = p.search(/[?#]/);
  const decoded = pathUnescape(cut === -1 ? p : p.slice(0, cut));
  if (decoded === undefined) return undefined;
  if (/%(2e|2f|5c)/i.test(decoded) || decoded.includes('\0')) return undefined;
  const slashed = decoded.replaceAll('\\', '/');
  if (!slashed.startsWith('/')) return undefined;
  const stripped = slashed.includes(';')
    ? slashed
        .split('/')
        .map((seg) => seg.split(';')[0])
        .join('/')
    : slashed;
  return goPathClean(stripped);
}

/** segmentPrefixMatch (match.go, v3.31.6+): equal, or extends the prefix at a `/`. */
function segmentPrefix(req: string, prefix: string): boolean {
  if (prefix === '/') return req.startsWith('/');
  return req === prefix || req.startsWith(`${prefix}/`);
}

export interface HttpOutcome {
  readonly matched: boolean;
  /** Why, in a few words, for the explanation. */
  readonly why: string;
}

/** Does a rule's `http` clause match the request Dikastes sees? Methods AND paths; list entries OR. */
export function matchHttp(
  http: HttpMatch,
  method: string,
  seenPath: string,
  mode: OracleSemantics['httpPaths'],
): HttpOutcome {
  const methods = http.methods ?? [];
  // matchHTTPMethods: empty list or "*" matches; otherwise case-sensitive equality.
  if (methods.length && !methods.some((m) => m === '*' || m === method))
    return { matched: false, why: `method ${method} not in [${methods.join(', ')}]` };
  const paths = http.paths ?? [];
  if (paths.length === 0) return { matched: true, why: `method ${method} matched, no path clause` };
  if (mode === 'raw-prefix') {
    const req = rawPath(seenPath);
    for (const p of paths) {
      if ('exact' in p ? req === p.exact : req.startsWith(p.prefix))
        return { matched: true, why: `raw path ${req} matches ${describe(p)}` };
    }
    return { matched: false, why: `raw path ${req} matches none of ${paths.map(describe).join(', ')}` };
  }
  const req = dikastesNormalise(seenPath);
  if (req === undefined)
    return { matched: false, why: `path ${seenPath} is refused by Dikastes' normalisation` };
  for (const p of paths) {
    const rule = dikastesNormalise('exact' in p ? p.exact : p.prefix);
    if (rule === undefined) continue;
    if ('exact' in p ? req === rule : segmentPrefix(req, rule))
      return { matched: true, why: `normalised path ${req} matches ${describe(p)}` };
  }
  return {
    matched: false,
    why: `normalised path ${req} matches none of ${paths.map(describe).join(', ')} (prefixes match at segment boundaries)`,
  };
}

function describe(p: { exact: string } | { prefix: string }): string {
  return 'exact' in p ? `exact ${p.exact}` : `prefix ${p.prefix}`;
}
