import type { MirrorRule } from '../config/cell-config.js';

/** Rewrites an upstream URL by the first rule whose prefix matches (rules as given, in order). */
export function applyMirrors(url: string, rules: readonly MirrorRule[]): string {
  for (const r of rules) {
    if (url.startsWith(r.from)) return r.to + url.slice(r.from.length);
  }
  return url;
}
