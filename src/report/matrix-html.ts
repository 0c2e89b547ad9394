import { formatMs, truthLine } from './cell-facts.js';
import { html, safeUrl } from './escape.js';
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
import type { CellHistory } from './history.js';

/**
 * matrix.html: one self-contained page (inline CSS, no scripts, no external requests; the CSP forbids
 * them). Tables scroll inside their own box so the page never overflows a phone's width; every slot
 * links to the cell's details section.
 */

const CSS = `
:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#59636e;--line:#d1d9e0;
--pass:#dafbe1;--fail:#ffebe9;--error:#fff1c2;--defect:#fbefff;--outside:#eef1f4;--none:#f6f8fa;--conflict:#ffd8b5}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;
--pass:#12361f;--fail:#4a1518;--error:#3f3210;--defect:#37204a;--outside:#212830;--none:#151b23;--conflict:#4a2a0c}}
*{box-sizing:border-box}
body{margin:0;padding:1rem;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
p,li,h1,h2,h3{overflow-wrap:anywhere}
main,header{max-width:72rem;margin:0 auto}
h1{font-size:1.4rem;margin:.2rem 0 .6rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}h3{font-size:1rem;margin:0 0 .4rem}
.muted,small{color:var(--muted)}
.badge{display:inline-block;font-weight:600;padding:.15rem .6rem;border-radius:.3rem;background:var(--none);border:1px solid var(--line)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%;border:1px solid var(--line);border-radius:.4rem}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
.matrix th[scope=row]{position:sticky;left:0;background:var(--bg);white-space:nowrap}
.matrix td{min-width:7.5rem}
.matrix a.cell{display:block;color:inherit;text-decoration:none}
.matrix a.cell:hover,.matrix a.cell:focus{text-decoration:underline}
.matrix small{display:block}
.s-pass{background:var(--pass)}.s-fail{background:var(--fail)}.s-error{background:var(--error)}
.s-known-defect{background:var(--defect)}.s-outside-window{background:var(--outside)}
.s-not-run{background:var(--none)}.s-conflict{background:var(--conflict)}
.detail{border:1px solid var(--line);border-radius:.4rem;padding:.6rem .8rem;margin:.6rem 0}
.detail:target{outline:3px solid #0969da}
.detail table{font-size:.9rem;min-width:44rem}
ul{padding-left:1.2rem}
ol.strip{display:inline-flex;gap:2px;list-style:none;margin:0;padding:0;vertical-align:middle}
ol.strip li{width:.8rem;height:.8rem;border:1px solid var(--line);border-radius:2px}
.red-since{font-weight:600}
a{color:#0969da}@media (prefers-color-scheme:dark){a{color:#4493f8}}
`;

const status = (s: CellStatus) => `${STATUS_MARK[s]} ${STATUS_LABEL[s]}`;

function ext(text: string, url: string | undefined): string {
  const safe = safeUrl(url);
  return safe ? `<a href="${html(safe)}" rel="noopener noreferrer">${text}</a>` : text;
}

function slot(c: MatrixCell): string {
  const latency =
    c.medianPropagationMs !== undefined ? `<small>median ${formatMs(c.medianPropagationMs)}</small>` : '';
  const defect =
    c.status === 'known-defect' && c.defect ? `<small>${ext(html(c.defect.id), c.defect.issue)}</small>` : '';
  return `<a class="cell" href="#${c.anchor}" title="${html(c.id)}" data-cell-id="${html(c.id)}" data-status="${c.status}">${status(c.status)}${latency}</a>${defect}`;
}

function changeItem(c: CellChange): string {
  const was = c.was === 'absent' ? 'absent' : status(c.was);
  return `<li><a href="#${c.anchor}">${html(c.id)}</a>: ${was} → ${status(c.now)}</li>`;
}

function strip(h: CellHistory): string {
  const items = h.strip
    .map(
      (n) =>
        `<li class="s-${n.status}" title="${html(n.at)}: ${STATUS_LABEL[n.status]}" data-at="${html(n.at)}" data-status="${n.status}"></li>`,
    )
    .join('');
  const since = h.failingSince
    ? ` <span class="red-since" data-failing-since="${html(h.failingSince)}">failing since ${html(h.failingSince.slice(0, 10))}</span>`
    : '';
  return `<div class="history">Last ${h.strip.length} night${h.strip.length === 1 ? '' : 's'}, oldest first: <ol class="strip" aria-label="history">${items}</ol>${since}</div>`;
}

function detail(c: MatrixCell, h: CellHistory | undefined): string {
  const parts = [
    `<section class="detail" id="${c.anchor}">`,
    `<h3>${html(c.id)}</h3>`,
    `<p><strong>${status(c.status)}</strong> — ${html(c.note)}</p>`,
  ];
  if (h) parts.push(strip(h));
  if (c.defect) {
    parts.push(
      `<p>Known upstream defect ${ext(html(c.defect.id), c.defect.issue)}: ${html(c.defect.title)}</p>`,
    );
  }
  if (c.support.length > 0) {
    parts.push(
      `<ul>${c.support.map((s) => `<li>${html(s.component)}: ${html(s.status)} — ${html(s.detail)}</li>`).join('')}</ul>`,
    );
  }
  if (c.runs.length > 0) {
    parts.push(
      '<div class="scroll"><table><thead><tr><th>Result</th><th>Verdict</th><th>Expectations</th><th>Checks</th><th>Median propagation</th><th>Duration</th><th>Finished</th></tr></thead><tbody>',
    );
    for (const r of c.runs) {
      parts.push(
        `<tr class="s-${r.status}"><td>${ext(html(r.file), r.runUrl)}${r.diagnostics ? `<br><small>diagnostics: ${html(r.diagnostics)}</small>` : ''}</td><td>${STATUS_MARK[r.status]} ${html(r.verdict)}: ${html(r.reason)}</td><td>${r.expectations.passed}/${r.expectations.total}</td><td>${r.checks.passed}/${r.checks.total}</td><td>${formatMs(r.medianPropagationMs)}</td><td>${formatMs(r.durationMs)}</td><td>${html(r.finishedAt)}</td></tr>`,
      );
    }
    parts.push('</tbody></table></div>');
    // Cyclonus-style truth table per step: agree / disagree, and what disagreed.
    for (const r of c.runs.filter((x) => x.truth?.length)) {
      parts.push(`<p>Truth table of ${html(r.file)}:</p><ul class="truth">`);
      for (const t of r.truth ?? []) {
        const wrong = t.disagreements
          .map(
            (d) =>
              `<li>${html(d.request)}: expected ${html(d.expected)}${d.by === 'oracle' ? ' (oracle)' : ''}, observed ${html(d.observed)}${d.decidedBy ? ` — ${html(d.decidedBy)}` : ''}</li>`,
          )
          .join('');
        parts.push(
          `<li>${t.disagree ? '❌' : t.noVerdict ? '⚠️' : '✅'} ${html(t.step)}: ${html(truthLine(t))}${wrong ? `<ul>${wrong}</ul>` : ''}</li>`,
        );
      }
      parts.push('</ul>');
    }
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** The page; with `history`, each cell's details show its last nights as a strip. */
export function matrixHtml(report: MatrixReport, history?: ReadonlyMap<string, CellHistory>): string {
  const s = report.summary;
  const at = slotIndex(report);
  const body: string[] = [];
  body.push(
    '<header>',
    `<h1>Calico ALP × Istio conformance</h1>`,
    `<p><span class="badge" data-badge>${html(report.badge.label)}: ${html(report.badge.message)}</span></p>`,
    `<p>${s.cells} cells: ${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.knownDefect} known defect, ${s.conflict} conflict, ${s.outsideWindow} outside window, ${s.notRun} not run.${s.missing > 0 ? ` <strong>${s.missing} planned cell${s.missing === 1 ? '' : 's'} reported no result.</strong>` : ''}</p>`,
    `<p class="muted">Generated ${html(report.generatedAt)} by ${html(report.generator)}. Latency is the median policy propagation (policy applied → first agreeing probe).</p>`,
    '</header>',
    '<main>',
  );

  for (const t of report.tables) {
    body.push(
      `<section class="matrix" data-kubernetes="${html(t.kubernetes)}">`,
      `<h2>Kubernetes ${html(t.kubernetes)}</h2>`,
      '<div class="scroll"><table>',
      `<thead><tr><th scope="col">Calico ╲ Istio</th>${t.istio.map((i) => `<th scope="col">${html(i)}</th>`).join('')}</tr></thead>`,
      '<tbody>',
    );
    for (const calico of t.calico) {
      const tds = t.istio.map((istio) => {
        const here = at(t.kubernetes, calico, istio);
        const cls = here.length === 1 ? ` class="s-${here[0]!.status}"` : '';
        return `<td${cls}>${here.map(slot).join('')}</td>`;
      });
      body.push(`<tr><th scope="row">${html(calico)}</th>${tds.join('')}</tr>`);
    }
    body.push('</tbody></table></div>', '</section>');
  }

  body.push(
    '<h2>Legend</h2>',
    `<ul>${(Object.keys(STATUS_LABEL) as CellStatus[]).map((k) => `<li>${status(k)}: ${html(STATUS_MEANING[k])}</li>`).join('')}</ul>`,
  );

  if (report.changes) {
    const ch = report.changes;
    const list = (xs: readonly CellChange[]) =>
      xs.length ? `<ul>${xs.map(changeItem).join('')}</ul>` : '<p>None.</p>';
    body.push(
      '<section id="changes">',
      '<h2>Changed since last run</h2>',
      `<p class="muted">Compared with the matrix of ${html(ch.previousGeneratedAt)}.</p>`,
      `<h3>Newly failing (${ch.newlyFailing.length})</h3>`,
      list(ch.newlyFailing),
      `<h3>Newly passing (${ch.newlyPassing.length})</h3>`,
      list(ch.newlyPassing),
      '</section>',
    );
  }
  if (report.invalid.length > 0) {
    body.push(
      '<section id="invalid">',
      `<h2>Invalid results files (${report.invalid.length})</h2><ul>`,
      ...report.invalid.map(
        (f) => `<li>${html(f.file)}<ul>${f.problems.map((p) => `<li>${html(p)}</li>`).join('')}</ul></li>`,
      ),
      '</ul></section>',
    );
  }
  if (report.unmatched.length > 0) {
    body.push(
      '<section id="unmatched"><h2>Patterns that matched no file</h2><ul>',
      ...report.unmatched.map((u) => `<li>${html(u)}</li>`),
      '</ul></section>',
    );
  }
  body.push('<h2>Details</h2>', ...report.cells.map((c) => detail(c, history?.get(c.id))), '</main>');

  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${html(report.badge.label)}: ${html(report.badge.message)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
