import { z } from 'zod';
import { FAILING, type CellStatus, type MatrixReport } from './matrix-model.js';

/**
 * history.json of the published site: the last nights' matrices, each condensed to what the history
 * strip needs (every cell's status). Each report appends its own night and drops the oldest past
 * the bound; the Pages site carries the file from one night to the next.
 */
export const HISTORY_SCHEMA_VERSION = 1;
export const DEFAULT_HISTORY_NIGHTS = 30;
/** Results shown per cell in the strip. */
export const STRIP_LENGTH = 14;

const Status = z.enum(['pass', 'fail', 'error', 'known-defect', 'outside-window', 'not-run', 'conflict']);

export const NightSchema = z.object({
  generatedAt: z.string(),
  badge: z.string(),
  runUrl: z.string().optional(),
  /** That night's matrix.json, kept beside history.json (NIGHTS_DIR/…). */
  matrix: z.string().optional(),
  cells: z.record(z.string(), Status),
});
export const HistorySchema = z.object({
  schemaVersion: z.literal(HISTORY_SCHEMA_VERSION),
  nights: z.array(NightSchema),
});
export type Night = z.infer<typeof NightSchema>;
export type History = z.infer<typeof HistorySchema>;

export interface CellHistory {
  /** Oldest first, this report's night last. */
  readonly strip: readonly { readonly at: string; readonly status: CellStatus }[];
  /** The first night of the current unbroken run of failing nights, when the cell fails now. */
  readonly failingSince?: string;
}

/** Where each night's matrix.json is kept, relative to history.json. */
export const NIGHTS_DIR = 'nights';

export function nightMatrixPath(generatedAt: string): string {
  return `${NIGHTS_DIR}/${generatedAt.replace(/[^0-9A-Za-z-]/g, '-')}.matrix.json`;
}

export function nightOf(report: MatrixReport, runUrl?: string): Night {
  return {
    generatedAt: report.generatedAt,
    badge: report.badge.message,
    ...(runUrl ? { runUrl } : {}),
    matrix: nightMatrixPath(report.generatedAt),
    cells: Object.fromEntries(report.cells.map((c) => [c.id, c.status])),
  };
}

/** The previous nights plus this one, newest last, at most `keep` nights; a re-run replaces its night. */
export function appendNight(
  previous: History | undefined,
  night: Night,
  keep = DEFAULT_HISTORY_NIGHTS,
): History {
  const older = (previous?.nights ?? []).filter((n) => n.generatedAt < night.generatedAt);
  return { schemaVersion: HISTORY_SCHEMA_VERSION, nights: [...older, night].slice(-Math.max(1, keep)) };
}

/** Per cell: its strip and, when failing now, the night it turned red. */
export function cellHistories(history: History, length = STRIP_LENGTH): Map<string, CellHistory> {
  const out = new Map<string, CellHistory>();
  const latest = history.nights.at(-1);
  if (!latest) return out;
  for (const id of Object.keys(latest.cells)) {
    const strip = history.nights
      .filter((n) => n.cells[id] !== undefined)
      .map((n) => ({ at: n.generatedAt, status: n.cells[id]! }));
    let failingSince: string | undefined;
    for (let i = strip.length - 1; i >= 0 && FAILING.has(strip[i]!.status); i--) failingSince = strip[i]!.at;
    out.set(id, { strip: strip.slice(-length), ...(failingSince ? { failingSince } : {}) });
  }
  return out;
}
