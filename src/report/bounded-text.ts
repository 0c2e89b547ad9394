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
