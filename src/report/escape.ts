/**
 * Escaping for text that came from a run (messages, evidence, response bodies, versions).
 * core.summary and GitHub's markdown renderer pass HTML through, so nothing a run produced may
 * reach them raw: every markdown- or HTML-significant character becomes an entity.
 */
const MD_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '|': '&#124;',
  '`': '&#96;',
  '\\': '&#92;',
  '*': '&#42;',
  _: '&#95;',
  '[': '&#91;',
  ']': '&#93;',
  '~': '&#126;',
  '#': '&#35;',
  '@': '&#64;',
  '!': '&#33;',
  $: '&#36;',
};

const MD_RE = /[&<>"'|`\\*_[\]~#@!$]/g;
// C0 controls other than tab and newline, DEL, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_RE = /[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/g;

/** Text for one markdown table cell or inline run: one line, every special character an entity. */
export function md(text: string): string {
  return text
    .replace(CONTROL_RE, ' ')
    .replace(/\r?\n/g, ' ')
    .replace(MD_RE, (c) => MD_ENTITIES[c] ?? c);
}

/** Like `md`, capped to `max` characters (counted before escaping) with an ellipsis. */
export function mdShort(text: string, max: number): string {
  return md(shorten(text, max));
}

export function shorten(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, Math.max(0, max - 1))}…`;
}

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text or attribute value for HTML. */
export function html(text: string): string {
  return text.replace(CONTROL_RE, ' ').replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

/** An http(s) URL safe to put in an href, or undefined (javascript:, data: and the like are dropped). */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** A fragment id made only of [A-Za-z0-9_.-], stable for one cell id. */
export function anchorFor(cellId: string): string {
  return `cell-${cellId.replace(/[^A-Za-z0-9_.-]/g, '-')}`;
}

/** An HTML link around markup that is already escaped; without a safe URL, the markup alone. */
export function linkTo(markup: string, url: string | undefined): string {
  const safe = safeUrl(url);
  return safe ? `<a href="${html(safe)}">${markup}</a>` : markup;
}
