import type { MirrorRule } from '../config/cell-config.js';
import { parseRuleLines, type RuleLineProblem } from './rule-lines.js';

/** One refused mirror line: the line as written (1-based number) and why. */
export type MirrorProblem = RuleLineProblem;

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
  return parseRuleLines<MirrorRule>(text, 'FROM=TO', (from, to) => {
    const f = parseUrl(from);
    const t = parseUrl(to);
    if (!f || !t) return 'is not a FROM=TO pair of http(s) URL prefixes';
    if (f.username || f.password || t.username || t.password)
      return 'carries credentials in a URL (they would be logged)';
    if (f.search || f.hash || t.search || t.hash) return 'has a query or fragment in a prefix';
    if (t.protocol === 'http:' && !allowInsecure)
      return 'points to an http:// mirror, which anyone on the network path can tamper with';
    return { from, to };
  });
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
