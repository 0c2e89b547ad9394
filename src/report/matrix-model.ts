import { z } from 'zod';
import type { CellResult } from '../result/schema.js';
import { compareVersions, parseVersion } from '../util/version.js';
import { capText } from './bounded-text.js';
import { median, propagationsOf, truthTableOf } from './cell-facts.js';
import { anchorFor, safeUrl } from './escape.js';
import { fingerprintOf, type InvalidResult, type LoadedResult } from './load-results.js';

/**
 * The compatibility matrix: every cell the results (and optionally the planned matrix) name, laid out
 * as Calico × Istio per Kubernetes version. This is also the shape of matrix.json.
 */
export const MATRIX_SCHEMA_VERSION = 1;

export type CellStatus =
  'pass' | 'fail' | 'error' | 'known-defect' | 'outside-window' | 'not-run' | 'conflict';

/** Statuses that count as a failing cell for "changed since last run". */
export const FAILING: ReadonlySet<CellStatus> = new Set(['fail', 'error', 'known-defect', 'conflict']);

export interface DefectRef {
  readonly id: string;
  readonly title: string;
  readonly issue: string;
}

/** One results.json for a cell. */
export interface MatrixRun {
  readonly file: string;
  readonly verdict: CellResult['verdict'];
  readonly status: CellStatus;
  readonly reason: string;
  readonly medianPropagationMs?: number;
  readonly expectations: { readonly passed: number; readonly total: number };
  readonly checks: { readonly passed: number; readonly total: number };
  readonly durationMs: number;
  readonly finishedAt: string;
  readonly runUrl?: string;
  readonly diagnostics?: string;
  /** Other files with the same content (one run uploaded twice): counted once, named here. */
  readonly copies?: readonly string[];
  /** The suite's truth table per step (counts), with the rows that disagree. */
  readonly truth?: readonly MatrixTruthStep[];
}

export interface MatrixTruthStep {
  readonly step: string;
  readonly agree: number;
  readonly disagree: number;
  readonly noVerdict: number;
  readonly oracle: number;
  readonly disagreements: readonly {
    readonly request: string;
    readonly expected: string;
    readonly by: 'oracle' | 'suite';
    readonly observed: string;
    readonly decidedBy?: string;
  }[];
}

export interface MatrixCell {
  readonly id: string;
  readonly anchor: string;
  readonly kubernetes: string;
  readonly calico: string;
  readonly istio: string;
  readonly status: CellStatus;
  /** Whether any result says the cell was run (unsupported-by-policy and absent cells were not). */
  readonly ran: boolean;
  /** Whether the planned matrix named the cell. */
  readonly planned?: boolean;
  /** One line for people: why this status. */
  readonly note: string;
  readonly support: readonly { component: string; status: string; detail: string }[];
  readonly defect?: DefectRef;
  /** Median over every propagation latency of every run of the cell. */
  readonly medianPropagationMs?: number;
  readonly runs: readonly MatrixRun[];
}

export interface MatrixTable {
  readonly kubernetes: string;
  readonly calico: readonly string[];
  readonly istio: readonly string[];
}

export interface Badge {
  readonly label: string;
  readonly message: string;
  readonly color: string;
}

export interface MatrixSummary {
  readonly cells: number;
  readonly run: number;
  readonly pass: number;
  readonly fail: number;
  readonly error: number;
  readonly knownDefect: number;
  readonly outsideWindow: number;
  readonly notRun: number;
  readonly conflict: number;
  /** Cells the planned matrix named. */
  readonly planned: number;
  /** Planned cells inside the support windows with no result: they count as not passing. */
  readonly missing: number;
}

export interface CellChange {
  readonly id: string;
  readonly anchor: string;
  readonly was: CellStatus | 'absent';
  readonly now: CellStatus;
}

export interface MatrixChanges {
  readonly previousGeneratedAt: string;
  readonly newlyFailing: readonly CellChange[];
  readonly newlyPassing: readonly CellChange[];
}

export interface MatrixReport {
  readonly schemaVersion: typeof MATRIX_SCHEMA_VERSION;
  readonly generator: string;
  readonly generatedAt: string;
  readonly summary: MatrixSummary;
  readonly badge: Badge;
  readonly tables: readonly MatrixTable[];
  readonly cells: readonly MatrixCell[];
  readonly invalid: readonly InvalidResult[];
  readonly unmatched: readonly string[];
  readonly changes?: MatrixChanges;
}

/**
 * A cell some plan expected: an entry of `versions --matrix`, which already carries its support
 * standing and known defect (the report consults no catalog: it shows what was planned).
 */
export const PlannedCellSchema = z.object({
  id: z.string(),
  kubernetes: z.string(),
  calico: z.string(),
  istio: z.string(),
  support: z.enum(['supported', 'outside-window', 'known-defect', 'unknown']).optional(),
  defect: z.object({ id: z.string(), title: z.string(), issue: z.string() }).optional(),
  notes: z.array(z.object({ component: z.string(), status: z.string(), detail: z.string() })).optional(),
});
export interface PlannedCell {
  readonly id: string;
  readonly kubernetes: string;
  readonly calico: string;
  readonly istio: string;
  readonly support?: 'supported' | 'outside-window' | 'known-defect' | 'unknown';
  readonly defect?: DefectRef;
  readonly notes?: readonly {
    readonly component: string;
    readonly status: string;
    readonly detail: string;
  }[];
}

/** What the diff needs from a previous matrix.json; other fields may change between versions. */
export const PreviousMatrixSchema = z.object({
  schemaVersion: z.literal(MATRIX_SCHEMA_VERSION),
  generatedAt: z.string(),
  cells: z.array(
    z.object({
      id: z.string(),
      status: z.enum(['pass', 'fail', 'error', 'known-defect', 'outside-window', 'not-run', 'conflict']),
    }),
  ),
});
export type PreviousMatrix = z.infer<typeof PreviousMatrixSchema>;

/** The `{"include": [...]}` of `versions --matrix`, as far as the report needs it. */
export const PlannedMatrixSchema = z.object({ include: z.array(PlannedCellSchema) });

export const BADGE_LABEL = 'ALP conformance';

function byVersion(a: string, b: string): number {
  if (parseVersion(a) && parseVersion(b)) return compareVersions(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function runStatus(r: CellResult): CellStatus {
  switch (r.verdict) {
    case 'pass':
      return 'pass';
    case 'error':
      return 'error';
    case 'fail':
      // results.json v1 spelled a known defect as a fail whose symptom was observed.
      return r.knownDefect?.symptomObserved ? 'known-defect' : 'fail';
    case 'known-defect':
      return 'known-defect';
    case 'unsupported':
      return r.support.some((s) => s.status === 'outside-window') ? 'outside-window' : 'known-defect';
  }
}

const ratio = (xs: readonly { status: string }[], ok: string) => ({
  passed: xs.filter((x) => x.status === ok).length,
  total: xs.length,
});

function toRun(l: LoadedResult): MatrixRun {
  const r = l.result;
  // Expectations `--test` left out were not tested: they count neither way.
  const exps = (r.suite?.steps ?? []).flatMap((s) => s.expectations).filter((e) => e.status !== 'skipped');
  const med = median(propagationsOf(r));
  const truth: MatrixTruthStep[] = truthTableOf(r).map((t) => ({
    step: t.step,
    agree: t.agree,
    disagree: t.disagree,
    noVerdict: t.noVerdict,
    oracle: t.oracle,
    disagreements: t.rows
      .filter((x) => x.result === 'disagree')
      .map(({ request, expected, by, observed, decidedBy }) => ({
        request,
        expected,
        by,
        observed,
        ...(decidedBy ? { decidedBy } : {}),
      })),
  }));
  const runUrl = safeUrl(r.runner.githubRunUrl);
  const diag = r.diagnostics
    ? (r.diagnostics.artifact ?? r.diagnostics.archive ?? r.diagnostics.dir)
    : undefined;
  return {
    file: l.file,
    verdict: r.verdict,
    status: runStatus(r),
    reason: r.reason,
    ...(med !== undefined ? { medianPropagationMs: med } : {}),
    expectations: ratio(exps, 'pass'),
    checks: ratio(r.checks, 'pass'),
    durationMs: r.durationMs,
    finishedAt: r.finishedAt,
    ...(runUrl ? { runUrl } : {}),
    ...(diag ? { diagnostics: diag } : {}),
    ...(truth.length ? { truth } : {}),
  };
}

/**
 * What the matrix keeps of one results.json: 10,000 full results need not stay in memory for it
 * (the report digests each as it is read and lets the rest go).
 */
export interface ResultDigest {
  readonly cell: {
    readonly id: string;
    readonly kubernetes: string;
    readonly calico: string;
    readonly istio: string;
  };
  readonly verdict: CellResult['verdict'];
  readonly reason: string;
  readonly support: CellResult['support'];
  readonly knownDefect?: CellResult['knownDefect'];
  readonly run: MatrixRun;
  readonly propagations: readonly number[];
  /** Same content, same fingerprint (load-results.ts): a copy, not a second opinion. */
  readonly fingerprint: string;
}

export function digestResult(l: LoadedResult): ResultDigest {
  const r = l.result;
  const { id, kubernetes, calico, istio } = r.cell;
  return {
    cell: { id, kubernetes, calico, istio },
    verdict: r.verdict,
    reason: r.reason,
    support: r.support,
    ...(r.knownDefect ? { knownDefect: r.knownDefect } : {}),
    run: toRun(l),
    propagations: propagationsOf(r),
    fingerprint: l.fingerprint ?? fingerprintOf(r),
  };
}

/** One digest per distinct content, in order; the files of identical copies go on the first. */
function withoutCopies(loaded: readonly ResultDigest[]): ResultDigest[] {
  const byPrint = new Map<string, { digest: ResultDigest; copies: string[] }>();
  for (const d of loaded) {
    const seen = byPrint.get(d.fingerprint);
    if (seen) seen.copies.push(d.run.file);
    else byPrint.set(d.fingerprint, { digest: d, copies: [] });
  }
  return [...byPrint.values()].map(({ digest, copies }) =>
    copies.length ? { ...digest, run: { ...digest.run, copies } } : digest,
  );
}

function cellFromResults(id: string, all: readonly ResultDigest[], plan?: PlannedCell): MatrixCell {
  // Byte-identical or re-formatted copies of one run count once; only different contents conflict.
  const loaded = withoutCopies(all);
  const first = loaded[0]!;
  const runs = loaded.map((l) => l.run);
  const pooled = median(loaded.flatMap((l) => l.propagations));
  const kd = loaded.find((l) => l.knownDefect)?.knownDefect;
  const flagged = first.support.find((s) => s.defectId);
  const defect: DefectRef | undefined = kd
    ? { id: kd.id, title: kd.title, issue: kd.issue }
    : (plan?.defect ?? (flagged ? { id: flagged.defectId!, title: flagged.detail, issue: '' } : undefined));
  let status: CellStatus;
  let note: string;
  if (runs.length > 1) {
    status = 'conflict';
    const verdicts = [...new Set(runs.map((r) => r.verdict))];
    note =
      verdicts.length > 1
        ? `${runs.length} results disagree (${runs.map((r) => `${r.verdict} in ${r.file}`).join('; ')})`
        : `${runs.length} results for one cell (${runs.map((r) => r.file).join('; ')}); none is chosen`;
  } else {
    status = runs[0]!.status;
    const copies = runs[0]!.copies ?? [];
    note = copies.length
      ? `${first.reason} (identical copies counted once: ${[runs[0]!.file, ...copies].join('; ')})`
      : first.reason;
  }
  return {
    id,
    anchor: anchorFor(id),
    kubernetes: first.cell.kubernetes,
    calico: first.cell.calico,
    istio: first.cell.istio,
    status,
    ran: loaded.some((l) => l.verdict !== 'unsupported'),
    // Many runs of one cell make a long note: capped like any text.
    note: capText(note),
    support: first.support.map((s) => ({ component: s.component, status: s.status, detail: s.detail })),
    ...(defect ? { defect } : {}),
    ...(pooled !== undefined ? { medianPropagationMs: pooled } : {}),
    runs,
  };
}

/** A planned cell with no result: what the plan says about it. */
function absentCell(p: PlannedCell): MatrixCell {
  const support = p.notes ?? [];
  const outside = support.find((s) => s.status === 'outside-window');
  return {
    id: p.id,
    anchor: anchorFor(p.id),
    kubernetes: p.kubernetes,
    calico: p.calico,
    istio: p.istio,
    ran: false,
    runs: [],
    status: outside || p.support === 'outside-window' ? 'outside-window' : 'not-run',
    note: outside
      ? `no result; ${outside.component} ${outside.detail}`
      : p.support === 'outside-window'
        ? 'no result; outside an upstream support window'
        : 'no result for this planned cell',
    support,
    ...(p.defect ? { defect: p.defect } : {}),
  };
}

/** A slot no result and no plan names (the tables are a full Calico × Istio grid). */
function emptySlot(kubernetes: string, calico: string, istio: string): MatrixCell {
  const id = `k8s-${kubernetes}_calico-${calico}_istio-${istio}`;
  return {
    id,
    anchor: anchorFor(id),
    kubernetes,
    calico,
    istio,
    ran: false,
    runs: [],
    status: 'not-run',
    note: 'no result, and not in the planned matrix',
    support: [],
  };
}

export function summarize(cells: readonly MatrixCell[]): MatrixSummary {
  const n = (s: CellStatus) => cells.filter((c) => c.status === s).length;
  return {
    cells: cells.length,
    run: cells.filter(countsAsRun).length,
    pass: n('pass'),
    fail: n('fail'),
    error: n('error'),
    knownDefect: cells.filter((c) => c.status === 'known-defect' && c.ran).length,
    outsideWindow: n('outside-window'),
    notRun: n('not-run') + cells.filter((c) => c.status === 'known-defect' && !c.ran).length,
    conflict: n('conflict'),
    planned: cells.filter((c) => c.planned).length,
    missing: cells.filter(isMissing).length,
  };
}

/** A planned, in-window cell that reported nothing. */
export function isMissing(c: MatrixCell): boolean {
  return c.planned === true && c.status === 'not-run';
}

function countsAsRun(c: MatrixCell): boolean {
  return c.ran && c.status !== 'outside-window' && c.status !== 'not-run';
}

/**
 * "9/12 passing · 2 missing · 1 known defect": passing over cells that ran plus planned in-window
 * cells that reported nothing (a missing cell is not a passing one); known-defect failures counted
 * in the total and named apart. The colour follows the pass ratio over that total less known
 * defects, so an upstream defect alone does not turn the badge red, and a missing cell does.
 */
export function badgeFor(s: MatrixSummary): Badge {
  if (s.run === 0 && s.missing === 0)
    return { label: BADGE_LABEL, message: 'no results', color: 'lightgrey' };
  const extras = [
    s.missing > 0 ? `${s.missing} missing` : '',
    s.knownDefect > 0 ? `${s.knownDefect} known defect` : '',
    s.conflict > 0 ? `${s.conflict} conflict` : '',
  ].filter(Boolean);
  const total = s.run + s.missing;
  const message = [`${s.pass}/${total} passing`, ...extras].join(' · ');
  const judged = total - s.knownDefect;
  const r = judged === 0 ? undefined : s.pass / judged;
  const color =
    r === undefined
      ? 'yellow'
      : r >= 1
        ? 'brightgreen'
        : r >= 0.9
          ? 'green'
          : r >= 0.75
            ? 'yellowgreen'
            : r >= 0.5
              ? 'yellow'
              : r > 0
                ? 'orange'
                : 'red';
  return { label: BADGE_LABEL, message, color };
}

export function diffMatrix(cells: readonly MatrixCell[], previous: PreviousMatrix): MatrixChanges {
  const before = new Map<string, CellStatus>(previous.cells.map((c) => [c.id, c.status]));
  const newlyFailing: CellChange[] = [];
  const newlyPassing: CellChange[] = [];
  for (const c of cells) {
    const was: CellStatus | 'absent' = before.get(c.id) ?? 'absent';
    const change: CellChange = { id: c.id, anchor: c.anchor, was, now: c.status };
    if (FAILING.has(c.status) && (was === 'absent' || !FAILING.has(was))) newlyFailing.push(change);
    if (c.status === 'pass' && was !== 'pass') newlyPassing.push(change);
  }
  return { previousGeneratedAt: previous.generatedAt, newlyFailing, newlyPassing };
}

export interface BuildMatrixInput {
  readonly results: readonly (LoadedResult | ResultDigest)[];
  readonly invalid?: readonly InvalidResult[];
  readonly unmatched?: readonly string[];
  readonly planned?: readonly PlannedCell[];
  readonly previous?: PreviousMatrix;
  readonly generator: string;
  readonly generatedAt: string;
}

const slotKey = (k: string, c: string, i: string) => `${k}\u0000${c}\u0000${i}`;

export function buildMatrix(input: BuildMatrixInput): MatrixReport {
  // Results grouped by their cell id: more than one is a conflict, shown with every file.
  const byId = new Map<string, ResultDigest[]>();
  for (const x of input.results) {
    const l = 'run' in x ? x : digestResult(x);
    const list = byId.get(l.cell.id) ?? [];
    list.push(l);
    byId.set(l.cell.id, list);
  }
  const plan = new Map((input.planned ?? []).map((p) => [slotKey(p.kubernetes, p.calico, p.istio), p]));
  const cells: MatrixCell[] = [...byId].map(([id, list]) => {
    const first = list[0]!.cell;
    const p = plan.get(slotKey(first.kubernetes, first.calico, first.istio));
    return { ...cellFromResults(id, list, p), ...(p ? { planned: true } : {}) };
  });

  // Axes per Kubernetes version: every Calico and Istio a result or the plan names.
  const axes = new Map<string, { calico: Set<string>; istio: Set<string> }>();
  const note = (k: string, c: string, i: string) => {
    const a = axes.get(k) ?? { calico: new Set<string>(), istio: new Set<string>() };
    a.calico.add(c);
    a.istio.add(i);
    axes.set(k, a);
  };
  for (const c of cells) note(c.kubernetes, c.calico, c.istio);
  for (const p of input.planned ?? []) note(p.kubernetes, p.calico, p.istio);

  const filled = new Set(cells.map((c) => slotKey(c.kubernetes, c.calico, c.istio)));
  const tables: MatrixTable[] = [];
  for (const k of [...axes.keys()].sort(byVersion)) {
    const a = axes.get(k)!;
    const calico = [...a.calico].sort(byVersion);
    const istio = [...a.istio].sort(byVersion);
    tables.push({ kubernetes: k, calico, istio });
    for (const c of calico)
      for (const i of istio) {
        if (filled.has(slotKey(k, c, i))) continue;
        const p = plan.get(slotKey(k, c, i));
        cells.push(p ? { ...absentCell(p), planned: true } : emptySlot(k, c, i));
      }
  }
  // Unique anchors even if two ids clean up to the same one.
  const used = new Set<string>();
  const unique = cells.map((c) => {
    let a = c.anchor;
    for (let n = 2; used.has(a); n++) a = `${c.anchor}-${n}`;
    used.add(a);
    return a === c.anchor ? c : { ...c, anchor: a };
  });
  unique.sort(
    (x, y) =>
      byVersion(x.kubernetes, y.kubernetes) ||
      byVersion(x.calico, y.calico) ||
      byVersion(x.istio, y.istio) ||
      (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
  );
  const summary = summarize(unique);
  return {
    schemaVersion: MATRIX_SCHEMA_VERSION,
    generator: input.generator,
    generatedAt: input.generatedAt,
    summary,
    badge: badgeFor(summary),
    tables,
    cells: unique,
    invalid: input.invalid ?? [],
    unmatched: input.unmatched ?? [],
    ...(input.previous ? { changes: diffMatrix(unique, input.previous) } : {}),
  };
}

/** Cells by table slot (usually one; several when results for one slot carry different ids). */
export function slotIndex(report: MatrixReport): (k: string, calico: string, istio: string) => MatrixCell[] {
  const index = new Map<string, MatrixCell[]>();
  for (const c of report.cells) {
    const key = slotKey(c.kubernetes, c.calico, c.istio);
    const list = index.get(key) ?? [];
    list.push(c);
    index.set(key, list);
  }
  return (k, calico, istio) => index.get(slotKey(k, calico, istio)) ?? [];
}

export const STATUS_LABEL: Readonly<Record<CellStatus, string>> = {
  pass: 'pass',
  fail: 'fail',
  error: 'error',
  'known-defect': 'known defect',
  'outside-window': 'outside window',
  'not-run': 'not run',
  conflict: 'conflict',
};

export const STATUS_MARK: Readonly<Record<CellStatus, string>> = {
  pass: '✅',
  fail: '❌',
  error: '⚠️',
  'known-defect': '🐞',
  'outside-window': '🚫',
  'not-run': '⬜',
  conflict: '⁉️',
};

export const STATUS_MEANING: Readonly<Record<CellStatus, string>> = {
  pass: 'every check and expectation held',
  fail: 'an expectation or check did not hold',
  error: 'setup failed before the suite could judge',
  'known-defect': 'failed with the symptom of a known upstream defect',
  'outside-window': 'outside an upstream support window (not run, or skipped by policy)',
  'not-run': 'no result for this cell',
  conflict: 'several results for one cell; none is chosen',
};
