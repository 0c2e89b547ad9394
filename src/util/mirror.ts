import type { MirrorRule } from '../config/cell-config.js';

/** One refused mirror line: the line as written (1-based number) and why. */
export interface MirrorProblem {
  readonly line: number;
  readonly text: string;
  readonly why: string;
}

function parseUrl(s: string): URL | undefined {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `FROM=TO` URL-prefix rules, one per line (a URL may hold commas). An `http://` TO would let anyone on
 * the path swap what is downloaded, so it is refused unless allowInsecure.
 */
export function parseMirrorRules(
  text: string,
  allowInsecure: boolean,
): { rules: MirrorRule[]; problems: MirrorProblem[] } {
  const rules: MirrorRule[] = [];
  const problems: MirrorProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    // A refused line is echoed back: never with the credentials it may carry.
    const shown = line.replace(/\/\/[^/@\s]*@/g, '//***@');
    const refuse = (why: string) => problems.push({ line: i + 1, text: shown, why });
    const eq = line.indexOf('=');
    if (eq <= 0) return refuse('is not a FROM=TO pair');
    const from = line.slice(0, eq).trim();
    const to = line.slice(eq + 1).trim();
    const f = parseUrl(from);
    const t = parseUrl(to);
    if (!f || !t) return refuse('is not a FROM=TO pair of http(s) URL prefixes');
    if (f.username || f.password || t.username || t.password)
      return refuse('carries credentials in a URL (they would be logged)');
    if (f.search || f.hash || t.search || t.hash) return refuse('has a query or fragment in a prefix');
    if (t.protocol === 'http:' && !allowInsecure)
      return refuse('points to an http:// mirror, which anyone on the network path can tamper with');
    rules.push({ from, to });
  });
  return { rules, problems };
}

/** Whether url starts with prefix at a path boundary (`https://github.com` never matches `https://github.com.evil`). */
function matchesAt(url: string, prefix: string): boolean {
  if (!url.startsWith(prefix)) return false;
  if (prefix.endsWith('/') || url.length === prefix.length) return true;
  return '/?#'.includes(url[prefix.length]!);
}

/** Rewrites an upstream URL by the first rule whose prefix matches at a path boundary (rules in order). */
export function applyMirrors(url: string, rules: readonly MirrorRule[]): string {
  for (const r of rules) {
    if (matchesAt(url, r.from)) return r.to + url.slice(r.from.length);
  }
  return url;
}
