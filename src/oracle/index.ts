import { CaseInputError, evaluateCase, summarise, type Summary } from './evaluate.js';
export { summarise, type Summary } from './evaluate.js';
import { DEFAULT_FROM, formatField, OracleInputError, type LoadedCases } from './load.js';
import type { Case, CaseResult, OracleSemantics } from './model.js';

export { loadCases, OracleInputError, formatOracleProblem } from './load.js';
export type { OracleSemantics, CaseResult } from './model.js';

export interface OracleReport {
  readonly calico: string;
  readonly cases: readonly CaseResult[];
  readonly summary: Summary;
}

const labelText = (l: Readonly<Record<string, string>>) =>
  Object.entries(l)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** "from shop/sa:web {app=web} to shop/app=api:9000" when the source is not the ingress gateway. */
function viaText(c: Case): string | undefined {
  const f = c.from;
  if (f.namespace === DEFAULT_FROM.namespace && f.serviceAccount === DEFAULT_FROM.serviceAccount)
    return undefined;
  const labels = labelText(f.labels);
  return `from ${f.namespace}/sa:${f.serviceAccount}${labels ? ` {${labels}}` : ''} to ${c.to.namespace}/${labelText(c.to.labels) || '(no labels)'}:${c.to.port}`;
}

/** Every case of a loaded file under one version's semantics; a case that lacks a fact a rule needs is bad input. */
export function evaluateCases(loaded: LoadedCases, sem: OracleSemantics): OracleReport {
  const problems = [];
  const results: CaseResult[] = [];
  for (const [i, c] of loaded.cases.entries()) {
    try {
      const r = evaluateCase(c, i, loaded.world, sem);
      const via = viaText(c);
      results.push(via ? { ...r, via } : r);
    } catch (e) {
      if (!(e instanceof CaseInputError)) throw e;
      const field = ['cases', i, ...e.field];
      problems.push({
        file: loaded.file,
        line: loaded.lineOf(i, e.field),
        field: formatField(field),
        message: e.message,
      });
    }
  }
  if (problems.length) throw new OracleInputError(problems);
  return { calico: sem.calico, cases: results, summary: summarise(results) };
}

/** How a version's semantics read in a truth table's header. */
export function semanticsText(sem: OracleSemantics): string {
  const paths =
    sem.httpPaths === 'normalised' ? 'normalised paths, segment-boundary prefixes' : 'raw path prefixes';
  const defect = sem.denyAllDefect ? `, known defect ${sem.denyAllDefect.id}` : '';
  return `Calico ${sem.calico} (${paths}${defect})`;
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** Who decided, in a few words: the truth table's last column. */
export function decidedByText(r: Pick<CaseResult, 'decidedBy'>): string {
  const d = r.decidedBy;
  if (d.kind === 'defect') return 'dikastes: known defect';
  if (d.kind === 'profile') return `${d.enforcement}: profile ${d.policy ?? ''}`.trimEnd();
  const policy = d.namespace ? `${d.namespace}/${d.policy}` : d.policy;
  if (d.kind === 'tier-default')
    return `${d.enforcement}: end of tier ${d.tier}, ${d.action} (no rule matched up to ${policy})`;
  return `${d.enforcement}: ${d.tier}/${policy} rule ${d.rule} ${d.action}`;
}

/** One line of a truth table: a case of `evaluate`, an expectation of `suite check`. */
export interface TruthRow {
  readonly name: string;
  /** Where the request went when not from the ingress gateway: "from boutique/sa:frontend to productcatalogservice:3550". */
  readonly via?: string;
  readonly verdict: CaseResult['verdict'];
  /** As written: a verdict, or `denied` (either layer); null when nothing was expected. */
  readonly expected: string | null;
  readonly agrees: boolean | null;
  readonly decidedBy: CaseResult['decidedBy'];
  readonly explanation: string;
}

/** The table's column header and one line per row (name, verdict, expected, agreement, who decided). */
export function truthTableLines(rows: readonly TruthRow[], width?: number): string[] {
  const w = width ?? Math.min(40, Math.max(4, ...rows.map((c) => c.name.length)));
  const lines = [
    `${pad('CASE', w)}  ${pad('VERDICT', 9)}  ${pad('EXPECTED', 9)}  ${pad('RESULT', 9)}  DECIDED BY`,
  ];
  for (const r of rows) {
    const result = r.agrees === null ? 'unchecked' : r.agrees ? 'agree' : 'DISAGREE';
    lines.push(
      `${pad(r.name, w)}  ${pad(r.verdict, 9)}  ${pad(r.expected ?? '-', 9)}  ${pad(result, 9)}  ${decidedByText(r)}`,
    );
    if (r.via) lines.push(`  ↳ ${r.via}`);
  }
  return lines;
}

/** The summary line and, for each disagreement, the oracle's explanation. */
export function truthTableTail(rows: readonly TruthRow[], s: Summary): string[] {
  const lines = [`${s.cases} case(s): ${s.agree} agree, ${s.disagree} disagree, ${s.unchecked} unchecked`];
  for (const r of rows.filter((x) => x.agrees === false))
    lines.push(
      '',
      `✗ ${r.name}${r.via ? ` (${r.via})` : ''}: expected ${r.expected}, the oracle says ${r.verdict}`,
      `  ${r.explanation}`,
    );
  return lines;
}

/** The truth table: one line per case (name, verdict, expected, agreement, who decided), then a summary. */
export function truthTable(report: OracleReport, header: string): string {
  return `${[header, ...truthTableLines(report.cases), ...truthTableTail(report.cases, report.summary)].join('\n')}\n`;
}
