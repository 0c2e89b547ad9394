import { closeSync, createReadStream, createWriteStream, mkdirSync, openSync, writeSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import { badgeJson, badgeSvg } from './badge.js';
import {
  appendNight,
  cellHistories,
  DEFAULT_HISTORY_NIGHTS,
  HistorySchema,
  NIGHTS_DIR,
  nightOf,
  type History,
} from './history.js';
import { JunitWriter } from './junit.js';
import { formatIssues, loadResults, ReportInputError } from './load-results.js';
import type { CellResult } from '../result/schema.js';
import { matrixHtml } from './matrix-html.js';
import { matrixMarkdown } from './matrix-markdown.js';
import {
  buildMatrix,
  isMissing,
  digestResult,
  type ResultDigest,
  PlannedMatrixSchema,
  PreviousMatrixSchema,
  type MatrixReport,
  type PlannedCell,
  type PreviousMatrix,
} from './matrix-model.js';

export interface ReportRequest {
  /** results.json files, directories (searched recursively) and globs. */
  readonly inputs: readonly string[];
  readonly outDir: string;
  readonly cwd: string;
  /** matrix.json of an earlier report, for "changed since last run". */
  readonly previousFile?: string;
  /**
   * The `{"include": [...]}` the run was planned from (`versions --matrix`): a path, or the JSON text
   * itself. Planned cells without a result show as not run.
   */
  readonly planned?: string;
  /** history.json of the published site (the nights before this one). */
  readonly historyFile?: string;
  /** Nights history.json keeps. */
  readonly historyNights?: number;
  /** The workflow run this report comes from, recorded with its night. */
  readonly runUrl?: string;
  readonly generator: string;
  readonly now: () => Date;
}

/** Where each output went. */
export interface ReportFiles {
  readonly matrixMarkdown: string;
  readonly matrixJson: string;
  readonly matrixHtml: string;
  readonly badgeSvg: string;
  readonly badgeJson: string;
  readonly junit: string;
  readonly history: string;
}

export interface ReportOutcome {
  readonly report: MatrixReport;
  readonly files: ReportFiles;
  readonly markdown: string;
  /** Why the report is not a clean bill even if every result passed: no result at all, planned cells missing. */
  readonly gaps: { readonly noResults: boolean; readonly missing: readonly string[] };
}

async function readJson<T>(
  what: string,
  source: { file: string } | { text: string },
  schema: z.ZodType<T>,
  accepted: string,
): Promise<T> {
  const label = 'file' in source ? `${what} ${JSON.stringify(source.file)}` : `${what} (inline JSON)`;
  let text: string;
  if ('file' in source) {
    try {
      text = await readFile(source.file, 'utf8');
    } catch (e) {
      throw new ReportInputError(
        `${label} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}. Accepted: ${accepted}.`,
      );
    }
  } else {
    text = source.text;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ReportInputError(
      `${label} is not JSON: ${e instanceof Error ? e.message : String(e)}. Accepted: ${accepted}.`,
    );
  }
  const res = schema.safeParse(data);
  if (!res.success) {
    throw new ReportInputError(`${label} is not ${accepted}: ${formatIssues(res.error.issues).join('; ')}`);
  }
  return res.data;
}

async function readPlanned(planned: string, cwd: string): Promise<PlannedCell[]> {
  const source = planned.trimStart().startsWith('{') ? { text: planned } : { file: resolve(cwd, planned) };
  const m = await readJson(
    'planned matrix',
    source,
    PlannedMatrixSchema,
    'the {"include": [...]} of `versions --matrix`',
  );
  return m.include;
}

/**
 * `report`: reads results, builds the matrix, writes matrix.md, matrix.json, matrix.html, badge.svg,
 * badge.json and junit.xml (every cell) into outDir. Unreadable inputs throw ReportInputError before
 * anything is written; invalid results files are part of the report (and of the outcome).
 */
export async function writeReport(req: ReportRequest): Promise<ReportOutcome> {
  if (req.inputs.length === 0) {
    throw new ReportInputError('no results given. Accepted: results.json files, directories and globs.');
  }
  // Every other input is read first: one that cannot be read stops the report before it writes.
  const previous: PreviousMatrix | undefined = req.previousFile
    ? await readJson(
        'previous matrix',
        { file: resolve(req.cwd, req.previousFile) },
        PreviousMatrixSchema,
        'a matrix.json written by `report`',
      )
    : undefined;
  const planned = req.planned ? await readPlanned(req.planned, req.cwd) : undefined;
  const previousHistory: History | undefined = req.historyFile
    ? await readJson(
        'history',
        { file: resolve(req.cwd, req.historyFile) },
        HistorySchema,
        'a history.json written by `report`',
      )
    : undefined;

  const dir = resolve(req.cwd, req.outDir);
  const junit = new JunitStream(join(dir, 'junit.xml'), dir);
  // Each result goes to junit.xml as it is read; the matrix keeps only its digest.
  const digests: ResultDigest[] = [];
  // A copy of a result already read (same content) counts once, in JUnit as in the matrix.
  const printed = new Set<string>();
  const loaded = await loadResults(req.inputs, req.cwd, {
    onResult: (l) => {
      const d = digestResult(l);
      if (!printed.has(d.fingerprint)) junit.add(l.result);
      printed.add(d.fingerprint);
      digests.push(d);
    },
  });
  const generatedAt = req.now().toISOString();
  for (const f of loaded.invalid) junit.addInvalid(f.file, f.problems, f.kind ?? 'schema', generatedAt);

  const report = buildMatrix({
    results: digests,
    invalid: loaded.invalid,
    unmatched: loaded.unmatched,
    ...(planned ? { planned } : {}),
    ...(previous ? { previous } : {}),
    generator: req.generator,
    generatedAt,
  });

  await mkdir(dir, { recursive: true });
  const files: ReportFiles = {
    matrixMarkdown: join(dir, 'matrix.md'),
    matrixJson: join(dir, 'matrix.json'),
    matrixHtml: join(dir, 'matrix.html'),
    badgeSvg: join(dir, 'badge.svg'),
    badgeJson: join(dir, 'badge.json'),
    junit: join(dir, 'junit.xml'),
    history: join(dir, 'history.json'),
  };
  const markdown = matrixMarkdown(report);
  const history = appendNight(
    previousHistory,
    nightOf(report, req.runUrl),
    req.historyNights ?? DEFAULT_HISTORY_NIGHTS,
  );
  const matrixJson = `${JSON.stringify(report, null, 2)}\n`;
  await Promise.all([
    writeFile(files.matrixMarkdown, markdown),
    writeFile(files.matrixJson, matrixJson),
    keepNights(dir, history, matrixJson),
    writeFile(files.matrixHtml, matrixHtml(report, cellHistories(history))),
    writeFile(files.history, `${JSON.stringify(history)}\n`),
    writeFile(files.badgeSvg, `${badgeSvg(report.badge)}\n`),
    writeFile(files.badgeJson, `${JSON.stringify(badgeJson(report.badge), null, 2)}\n`),
    junit.finish(),
  ]);
  const gaps = {
    noResults: digests.length === 0,
    missing: report.cells.filter(isMissing).map((c) => c.id),
  };
  return { report, files, markdown, gaps };
}

/**
 * Each night's matrix.json, kept under nights/ beside history.json: this night's is written, and
 * files of nights history.json no longer lists (a site carried over from earlier) are removed.
 */
async function keepNights(dir: string, history: History, matrixJson: string): Promise<void> {
  const kept = new Set(history.nights.map((n) => n.matrix).filter((m): m is string => m !== undefined));
  const tonight = history.nights.at(-1)!.matrix!;
  await mkdir(join(dir, NIGHTS_DIR), { recursive: true });
  await writeFile(join(dir, tonight), matrixJson);
  for (const f of await readdir(join(dir, NIGHTS_DIR))) {
    if (!kept.has(`${NIGHTS_DIR}/${f}`)) await rm(join(dir, NIGHTS_DIR, f), { force: true });
  }
}

/**
 * junit.xml written while results are read: each cell goes straight to a part file (synchronous
 * writes: its text dies young instead of piling up), then the totals (known only at the end) and
 * the part are joined. The output directory is created by the first result, so an input error
 * still leaves nothing behind.
 */
class JunitStream {
  private readonly writer = new JunitWriter();
  private readonly part: string;
  private fd: number | undefined;

  constructor(
    private readonly file: string,
    private readonly dir: string,
  ) {
    this.part = `${file}.part`;
  }

  private open(): number {
    if (this.fd === undefined) {
      mkdirSync(this.dir, { recursive: true });
      this.fd = openSync(this.part, 'w');
    }
    return this.fd;
  }

  add(r: CellResult): void {
    writeSync(this.open(), this.writer.add(r));
  }

  addInvalid(file: string, problems: readonly string[], kind: string, at: string): void {
    writeSync(this.open(), this.writer.addInvalid(file, problems, kind, at));
  }

  async finish(): Promise<void> {
    closeSync(this.open());
    await writeFile(this.file, this.writer.head());
    await pipeline(createReadStream(this.part), createWriteStream(this.file, { flags: 'a' }));
    await appendFile(this.file, this.writer.tail());
    await rm(this.part, { force: true });
  }
}
