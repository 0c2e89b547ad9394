import { BoundedLines, SUMMARY_LIMIT_BYTES } from './bounded-text.js';
import { formatMs, truthLine } from './cell-facts.js';
import { linkTo, md, mdShort } from './escape.js';
import {
  STATUS_LABEL,
  STATUS_MARK,
  STATUS_MEANING,
  slotIndex,
  type CellChange,
  type CellStatus,
  type MatrixCell,
  type MatrixReport,
} from './matrix-model.js';

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;

const status = (s: CellStatus) => `${STATUS_MARK[s]} ${STATUS_LABEL[s]}`;

/**
 * GitHub renders `<a id="x">` in a summary or README as `id="user-content-x"` and does not rewrite
 * links: a working link targets the prefixed id.
 */
export const target = (anchor: string) => `#user-content-${anchor}`;

/** The text of one matrix slot: status (a known defect links to its issue), median latency, details link. */
function slotText(c: MatrixCell): string {
  const parts = [
    c.status === 'known-defect' && c.defect
      ? `${STATUS_MARK['known-defect']} ${linkTo(`known defect ${md(c.defect.id)}`, c.defect.issue)}`
      : status(c.status),
  ];
  if (c.medianPropagationMs !== undefined) parts.push(formatMs(c.medianPropagationMs));
  if (c.runs.length > 0) parts.push(`<a href="${target(c.anchor)}">details</a>`);
  return parts.join(' · ');
}

function changeLine(c: CellChange): string {
  const was = c.was === 'absent' ? 'absent' : status(c.was);
  return `- <a href="${target(c.anchor)}">${md(c.id)}</a>: ${was} → ${status(c.now)}`;
}

/** matrix.md: the matrix per Kubernetes version, changes since the last run, details, invalid inputs. */
export function matrixMarkdown(report: MatrixReport, limitBytes = SUMMARY_LIMIT_BYTES): string {
  const out = new BoundedLines(limitBytes, 'matrix.json');
  const s = report.summary;
  out.add(
    '# Calico ALP × Istio conformance matrix',
    '',
    `**${md(report.badge.label)}: ${md(report.badge.message)}** — ${s.cells} cells: ${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.knownDefect} known defect, ${s.conflict} conflict, ${s.outsideWindow} outside window, ${s.notRun} not run.${s.missing > 0 ? ` **${s.missing} planned cell${s.missing === 1 ? '' : 's'} reported no result.**` : ''}`,
    '',
    `<sub>Generated ${md(report.generatedAt)} by ${md(report.generator)}. Latency: median policy propagation (policy applied → first agreeing probe).</sub>`,
    '',
  );

  const at = slotIndex(report);
  for (const t of report.tables) {
    out.add(`## Kubernetes ${md(t.kubernetes)}`, '');
    out.add(row(['Calico ╲ Istio', ...t.istio.map(md)]), row(['---', ...t.istio.map(() => '---')]));
    for (const calico of t.calico) {
      const slots = t.istio.map((istio) => {
        const here = at(t.kubernetes, calico, istio);
        return here.length === 0 ? '' : here.map(slotText).join('<br>');
      });
      out.add(row([`**${md(calico)}**`, ...slots]));
    }
    out.add('');
  }

  out.add(
    `Legend: ${(Object.keys(STATUS_LABEL) as CellStatus[]).map((k) => `${status(k)} (${STATUS_MEANING[k]})`).join(' · ')}`,
    '',
  );

  if (report.changes) {
    const ch = report.changes;
    out.add(
      `## Changed since last run`,
      '',
      `<sub>Compared with the matrix of ${md(ch.previousGeneratedAt)}.</sub>`,
      '',
    );
    out.add(`### Newly failing (${ch.newlyFailing.length})`, '');
    out.add(...(ch.newlyFailing.length ? ch.newlyFailing.map(changeLine) : ['None.']), '');
    out.add(`### Newly passing (${ch.newlyPassing.length})`, '');
    out.add(...(ch.newlyPassing.length ? ch.newlyPassing.map(changeLine) : ['None.']), '');
  }

  if (report.invalid.length > 0) {
    out.add(`## Invalid results files (${report.invalid.length})`, '');
    for (const f of report.invalid) {
      out.add(`- ${md(f.file)}`, ...f.problems.map((p) => `  - ${mdShort(p, 400)}`));
    }
    out.add('');
  }
  if (report.unmatched.length > 0) {
    out.add(`## Patterns that matched no file`, '', ...report.unmatched.map((u) => `- ${md(u)}`), '');
  }

  const withRuns = report.cells.filter((c) => c.runs.length > 0);
  if (withRuns.length > 0) {
    out.add('## Details', '');
    for (const c of withRuns) {
      out.add(
        `### <a id="${c.anchor}"></a>${md(c.id)}`,
        '',
        `${status(c.status)}: ${mdShort(c.note, 600)}`,
        '',
      );
      if (c.defect) {
        out.add(
          `Known upstream defect ${linkTo(md(c.defect.id), c.defect.issue)}: ${md(c.defect.title)}`,
          '',
        );
      }
      for (const sup of c.support) out.add(`- ${md(sup.component)}: ${md(sup.status)} — ${md(sup.detail)}`);
      if (c.support.length > 0) out.add('');
      out.add(
        row([
          '',
          'Results file',
          'Verdict',
          'Expectations',
          'Checks',
          'Median propagation',
          'Duration',
          'Finished',
        ]),
        row(['---', '---', '---', '---', '---', '---', '---', '---']),
      );
      for (const r of c.runs) {
        out.add(
          row([
            STATUS_MARK[r.status],
            linkTo(md(r.file), r.runUrl),
            `${md(r.verdict)}: ${mdShort(r.reason, 200)}`,
            `${r.expectations.passed}/${r.expectations.total}`,
            `${r.checks.passed}/${r.checks.total}`,
            formatMs(r.medianPropagationMs),
            formatMs(r.durationMs),
            md(r.finishedAt),
          ]),
        );
      }
      out.add('');
      // Cyclonus-style truth table per step: agree / disagree, and what disagreed.
      for (const r of c.runs.filter((x) => x.truth?.length)) {
        out.add(`Truth table of ${md(r.file)}:`, '');
        for (const t of r.truth ?? []) {
          out.add(`- ${t.disagree ? '❌' : t.noVerdict ? '⚠️' : '✅'} ${md(t.step)}: ${truthLine(t)}`);
          for (const d of t.disagreements)
            out.add(
              `  - ${md(d.request)}: expected ${md(d.expected)}${d.by === 'oracle' ? ' (oracle)' : ''}, observed ${md(d.observed)}${d.decidedBy ? ` — ${md(d.decidedBy)}` : ''}`,
            );
        }
        out.add('');
      }
    }
  }
  return out.toString();
}
