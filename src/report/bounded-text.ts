/** GitHub's job summary limit per step. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;

/**
 * Lines under a byte budget: once a line would not fit, nothing more is added and a note says
 * what was left out. Keeps the output valid markdown (whole lines only).
 */
export class BoundedLines {
  private readonly lines: string[] = [];
  private bytes = 0;
  private dropped = 0;

  constructor(
    private readonly limitBytes: number,
    private readonly whereElse: string,
  ) {}

  add(...lines: string[]): void {
    for (const line of lines) {
      if (this.dropped > 0) {
        this.dropped++;
        continue;
      }
      const size = Buffer.byteLength(line, 'utf8') + 1;
      // Room stays for the truncation note.
      if (this.bytes + size > this.limitBytes - 512) {
        this.dropped = 1;
        continue;
      }
      this.lines.push(line);
      this.bytes += size;
    }
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  toString(): string {
    const out = [...this.lines];
    if (this.dropped > 0) {
      out.push(
        '',
        `> **Truncated:** ${this.dropped} more line${this.dropped === 1 ? '' : 's'} did not fit the ${Math.floor(this.limitBytes / 1024)} KiB limit; the full record is in ${this.whereElse}.`,
      );
    }
    return `${out.join('\n')}\n`;
  }
}

/**
 * The longest any one text from a result is shown (reason, evidence, a response body, a file name…).
 * Everything a report writes is a bounded number of fields, so this bounds its size: a 60 MB field
 * must not make a 120 MB page.
 */
export const TEXT_FIELD_MAX = 4096;

/** `text`, cut to `max` characters with a note of how much was left out (idempotent). */
export function capText(text: string, max = TEXT_FIELD_MAX): string {
  // The slack keeps the note of a text already capped from being cut again.
  if (text.length <= max + 64) return text;
  return `${text.slice(0, max)}… [${text.length - max} more characters, see results.json]`;
}

/**
 * A copy of a value with every string in it capped: applied once to a result before it is shown, so
 * no renderer can forget a field (including ones added later).
 */
export function capStrings<T>(value: T, max = TEXT_FIELD_MAX): T {
  if (typeof value === 'string') return capText(value, max) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => capStrings(v, max)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[capText(k, max)] = capStrings(v, max);
    return out as T;
  }
  return value;
}
