import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { z } from 'zod';
import { CellResultSchema, READABLE_RESULT_VERSIONS, type CellResult } from '../result/schema.js';
import { capStrings, capText } from './bounded-text.js';
import { contradictions } from './consistency.js';

/** A results.json that parsed and validated. `file` is as shown to people (relative to cwd when inside it). */
export interface LoadedResult {
  readonly file: string;
  /** As read, every text capped for display (bounded-text.ts). */
  readonly result: CellResult;
  /** sha256 of the full validated content: copies of one run, however formatted, share it. */
  readonly fingerprint?: string;
}

/** A file that is not a valid results.json, with every reason. */
export interface InvalidResult {
  readonly file: string;
  readonly problems: readonly string[];
  /** `schema`: not a results.json; `contradiction`: valid, but its verdict disagrees with its own evidence. */
  readonly kind?: 'schema' | 'contradiction';
}

export interface LoadOutcome {
  readonly results: readonly LoadedResult[];
  readonly invalid: readonly InvalidResult[];
  /** Globs that matched nothing (not an error: a matrix job may have uploaded no artifact). */
  readonly unmatched: readonly string[];
}

/** A path or pattern that cannot be read at all: reported before anything is written. */
export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
}

/** The file name looked for inside directories. */
export const RESULTS_FILE = 'results.json';

const GLOB_CHARS = /[*?[\]{}]/;
const MAX_PROBLEMS = 20;

function display(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
  return shown.split(sep).join('/');
}

async function resultsUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name === RESULTS_FILE).map((e) => join(e.parentPath, e.name));
}

async function expand(input: string, cwd: string): Promise<{ files: string[]; unmatched: boolean }> {
  const abs = resolve(cwd, input);
  const st = await stat(abs).catch(() => undefined);
  if (st?.isDirectory()) return { files: await resultsUnder(abs), unmatched: false };
  if (st?.isFile()) return { files: [abs], unmatched: false };
  if (!GLOB_CHARS.test(input)) {
    throw new ReportInputError(
      `results path ${JSON.stringify(input)} does not exist (looked at ${abs}). Accepted: results.json files, directories (searched recursively for ${RESULTS_FILE}) and glob patterns.`,
    );
  }
  const files: string[] = [];
  // fs.glob is Node 22+: looked up at call time so the bundle still loads on older Node for `plan`.
  for await (const match of fsp.glob(input, { cwd })) {
    const m = resolve(cwd, match);
    const s = await stat(m);
    if (s.isDirectory()) files.push(...(await resultsUnder(m)));
    else if (s.isFile()) files.push(m);
  }
  return { files, unmatched: files.length === 0 };
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const lines = issues.slice(0, MAX_PROBLEMS).map((i) => {
    const where = i.path.length > 0 ? i.path.map(String).join('.') : '(top level)';
    return `${where}: ${i.message}`;
  });
  if (issues.length > MAX_PROBLEMS) lines.push(`… and ${issues.length - MAX_PROBLEMS} more problems`);
  return lines;
}

/** The identity of a result's content: zod's output has one key order, so formatting does not count. */
export function fingerprintOf(result: CellResult): string {
  return createHash('sha256').update(JSON.stringify(result)).digest('hex');
}

/**
 * Parses and validates one results.json text, checks that its verdict agrees with its evidence, and
 * returns it with every text capped for display.
 */
export function parseResult(
  text: string,
):
  | { ok: true; result: CellResult; fingerprint: string }
  | { ok: false; problems: string[]; kind: 'schema' | 'contradiction' } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      kind: 'schema',
      problems: [`not JSON: ${e instanceof Error ? e.message : String(e)}`],
    };
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (data !== null && typeof data === 'object' && !READABLE_RESULT_VERSIONS.includes(version as number)) {
    return {
      ok: false,
      kind: 'schema',
      problems: [
        `schemaVersion: ${JSON.stringify(version)} is not a results.json version this report reads (it reads ${READABLE_RESULT_VERSIONS.join(' and ')})`,
      ],
    };
  }
  const res = CellResultSchema.safeParse(data);
  if (!res.success) return { ok: false, kind: 'schema', problems: formatIssues(res.error.issues) };
  const result = capStrings(res.data);
  const contradicted = contradictions(result);
  if (contradicted.length > 0) return { ok: false, kind: 'contradiction', problems: contradicted };
  return { ok: true, result, fingerprint: fingerprintOf(res.data) };
}

export interface LoadOptions {
  /**
   * Called for each valid result in file order, which is then not kept in `results`: a caller that
   * streams its outputs keeps only what it needs, so memory stays flat.
   */
  readonly onResult?: (loaded: LoadedResult) => void | Promise<void>;
}

/**
 * Reads every results.json the inputs name: files as given, directories searched recursively for
 * results.json, globs (node's fs.glob). The same file reached twice is read once; every invalid file
 * is returned with its problems, never dropped.
 */
export async function loadResults(
  inputs: readonly string[],
  cwd: string,
  options: LoadOptions = {},
): Promise<LoadOutcome> {
  const seen = new Map<string, string>();
  const unmatched: string[] = [];
  for (const input of inputs) {
    const { files, unmatched: none } = await expand(input, cwd);
    if (none) unmatched.push(input);
    for (const f of files) {
      const real = realpathSync(f);
      if (!seen.has(real)) seen.set(real, f);
    }
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const files = [...seen.values()].sort((a, b) => byName(display(cwd, a), display(cwd, b)));
  const results: LoadedResult[] = [];
  const invalid: InvalidResult[] = [];
  // One file at a time, synchronously, handed on at once: a parsed result dies young instead of
  // waiting for a batch of reads (10,000 results stay in ~100 MB instead of ~400 MB).
  for (const f of files) {
    const file = display(cwd, f);
    const parsed = parseResult(readFileSync(f, 'utf8'));
    if (!parsed.ok)
      invalid.push({ file, problems: parsed.problems.map((x) => capText(x)), kind: parsed.kind });
    else {
      const loaded = { file, result: parsed.result, fingerprint: parsed.fingerprint };
      if (options.onResult) await options.onResult(loaded);
      else results.push(loaded);
    }
  }
  return { results, invalid, unmatched };
}
