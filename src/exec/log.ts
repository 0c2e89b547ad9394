import * as core from '@actions/core';
import { AsyncLocalStorage } from 'node:async_hooks';
import { neutralise } from './untrusted.js';

export interface Log {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  /** Runs fn with its lines in one titled group; concurrent groups never interleave. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** Every later line has this replaced by `***`. */
  mask(secret: string): void;
  /** The text with every masked secret replaced by `***` (for results written to files). */
  redact?(text: string): string;
}

type Level = 'info' | 'warn' | 'error';

/** Shorter lines of a multi-line secret (`-----END…`, blank) are not worth masking everywhere. */
const MIN_SECRET_LINE = 8;

/** Where finished lines go: the Actions runner or a stream. */
interface Sink {
  start(title: string): void;
  line(level: Level, text: string): void;
  end(): void;
  mask(secret: string): void;
}

interface GroupState {
  readonly title: string;
  readonly pending: { level: Level; text: string }[];
  done: boolean;
}

/**
 * Groups (Actions `::group::`) cannot nest or overlap. The first group to start prints live; a
 * group that starts while another is open buffers its lines, and is printed whole when it is its
 * turn (on finishing, or live from then on if it is still running).
 */
class GroupedLog implements Log {
  private readonly secrets: string[] = [];
  private readonly context = new AsyncLocalStorage<GroupState>();
  private live: GroupState | undefined;
  private readonly waiting: GroupState[] = [];

  constructor(private readonly sink: Sink) {}

  mask(secret: string): void {
    // The runner masks line by line: a multi-line secret (a PEM key) is registered per line too.
    if (secret.includes('\n')) {
      for (const l of secret.split(/\r?\n/)) if (l.trim().length >= MIN_SECRET_LINE) this.mask(l.trim());
    }
    if (!secret || this.secrets.includes(secret)) return;
    this.secrets.push(secret);
    // Longest first, so a secret containing another is masked whole.
    this.secrets.sort((a, b) => b.length - a.length);
    this.sink.mask(secret);
  }

  redact(text: string): string {
    return this.masked(text);
  }

  private masked(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.replaceAll(s, '***');
    return out;
  }

  private write(level: Level, text: string): void {
    // Lines carry tool output and response bodies: never let one become a workflow command.
    const line = neutralise(this.masked(text));
    const g = this.context.getStore();
    if (!g || g === this.live) this.sink.line(level, line);
    else g.pending.push({ level, text: line });
  }

  info(line: string): void {
    this.write('info', line);
  }
  warn(line: string): void {
    this.write('warn', line);
  }
  error(line: string): void {
    this.write('error', line);
  }

  private open(g: GroupState): void {
    this.live = g;
    this.sink.start(g.title);
    for (const p of g.pending.splice(0)) this.sink.line(p.level, p.text);
  }

  /** The live group ended: print finished waiters whole, then make the next running one live. */
  private advance(): void {
    this.live = undefined;
    while (this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      this.open(next);
      if (!next.done) return;
      this.sink.end();
      this.live = undefined;
    }
  }

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    const g: GroupState = { title: neutralise(this.masked(title)), pending: [], done: false };
    if (this.live) this.waiting.push(g);
    else this.open(g);
    try {
      return await this.context.run(g, fn);
    } finally {
      g.done = true;
      if (this.live === g) {
        this.sink.end();
        this.advance();
      }
    }
  }
}

export function actionsLog(): Log {
  return new GroupedLog({
    start: (title) => core.startGroup(title),
    end: () => core.endGroup(),
    line: (level, text) => {
      if (level === 'info') core.info(text);
      else if (level === 'warn') core.warning(text);
      else core.error(text);
    },
    mask: (secret) => core.setSecret(secret),
  });
}

/** For the CLI: groups as headed blocks, warnings and errors prefixed. */
export function streamLog(out: NodeJS.WritableStream): Log {
  const prefix: Record<Level, string> = { info: '', warn: 'warning: ', error: 'error: ' };
  return new GroupedLog({
    start: (title) => out.write(`── ${title}\n`),
    end: () => undefined,
    line: (level, text) => out.write(`${prefix[level]}${text}\n`),
    mask: () => undefined,
  });
}
