import type { CellResult } from '../result/schema.js';
import { toolProvenance } from '../result/tool-label.js';
import { BoundedLines, SUMMARY_LIMIT_BYTES } from './bounded-text.js';
import {
  describeRoute,
  expectationsOf,
  formatMs,
  median,
  percentile,
  propagationsOf,
  truthLine,
  truthTableOf,
} from './cell-facts.js';
import { linkTo, md, mdShort } from './escape.js';

/** Status marks shared by the summary and the matrix. */
export const MARK: Readonly<Record<string, string>> = {
  pass: '✅',
  passed: '✅',
  fail: '❌',
  failed: '❌',
  'timed-out': '⏱️',
  error: '⚠️',
  unavailable: '⚠️',
  skip: '⏭️',
  skipped: '⏭️',
  cancelled: '⏹️',
  unsupported: '⏭️',
  supported: '✅',
  'outside-window': '🚫',
  'known-defect': '🐞',
  unknown: '❔',
  'denied-mesh': '🛡️',
};

const mark = (s: string) => MARK[s] ?? '•';

const link = (text: string, url: string | undefined) => linkTo(md(text), url);

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
const header = (cells: readonly string[]) => [row(cells), row(cells.map(() => '---'))];

/** Builds the catalog does not pin or know, said plainly before anything else. */
function provenanceLines(result: CellResult): string[] {
  const p = result.provenance;
  if (!p) return [];
  const lines: string[] = [];
  const standing = (
    name: string,
    c: { version: string; standing: string; factsFrom: string; inheritedFacts?: readonly string[] },
  ) => {
    if (c.standing === 'newer-patch')
      lines.push(
        `> ⚠️ **${name} ${md(c.version)} is not pinned**: newer than the catalog's ${md(c.factsFrom)} patches; the ${md(c.factsFrom)} facts and support window apply.`,
      );
    if (c.standing === 'inherited' || c.standing === 'label')
      lines.push(
        `> ⚠️ **${name} ${md(c.version)}: facts inherited from ${md(c.factsFrom)}**${c.inheritedFacts?.length ? ` (${c.inheritedFacts.map(md).join(', ')})` : ''}, support unknown, not pinned.`,
      );
  };
  standing('Calico', p.calico);
  standing('Istio', p.istio);
  const m = p.calico.manifests;
  if (m.source !== 'release-tag')
    lines.push(
      `> ⚠️ **Calico manifests not pinned**: from the ${md(m.source)} ${mdShort(m.location, 200)} (sha256 of each file in results.json).`,
    );
  const img = p.calico.images;
  const given = [
    img.dikastesSource === 'user' ? `Dikastes ${md(img.dikastes)}` : '',
    img.operator ? `operator ${md(img.operator)}` : '',
    img.registry ? `registry ${md(img.registry)}` : '',
    img.imagePath ? `imagePath ${md(img.imagePath)}` : '',
    img.imagePrefix ? `imagePrefix ${md(img.imagePrefix)}` : '',
    p.istio.istioctl.source !== 'release' ? `istioctl ${mdShort(p.istio.istioctl.location, 200)}` : '',
    p.istio.hub ? `Istio hub ${md(p.istio.hub)}` : '',
    p.istio.tag ? `Istio tag ${md(p.istio.tag)}` : '',
  ].filter(Boolean);
  if (given.length) lines.push(`> ℹ️ The user's builds: ${given.join(', ')}.`);
  return lines.length ? [...lines, ''] : [];
}

/**
 * The GitHub job summary of one cell. Every value from the result is escaped; the whole stays under
 * the 1 MiB summary limit (rows past it are dropped with a note pointing at results.json).
 */
export function cellSummaryMarkdown(result: CellResult, limitBytes = SUMMARY_LIMIT_BYTES): string {
  const out = new BoundedLines(limitBytes, 'results.json and junit.xml');
  const c = result.cell;
  out.add(
    `## ${mark(result.verdict)} Calico ALP conformance: ${md(result.verdict)} — ${md(c.id)}`,
    '',
    `**${md(result.reason)}**`,
    '',
  );

  if (result.knownDefect) {
    const d = result.knownDefect;
    out.add(
      `> 🐞 Known upstream defect ${link(d.id, d.issue)}: ${md(d.title)} — symptom ${d.symptomObserved ? 'observed in this run' : 'not observed in this run'}.`,
      '',
    );
    if (d.note) out.add(`> ⚠️ **${md(d.note)}**`, '');
  }
  for (const w of result.detected?.warnings ?? []) out.add(`> ⚠️ ${md(w)}`, '');
  out.add(...provenanceLines(result));
  for (const n of result.notes ?? []) out.add(`> ℹ️ ${md(n)}`, '');
  if (result.suite?.diagnosis) out.add(`> Diagnosis: ${md(result.suite.diagnosis)}`, '');

  out.add(...header(['Component', 'Version', 'Support']));
  const support = (component: 'calico' | 'istio') => {
    const s = result.support.find((x) => x.component === component);
    return s ? `${mark(s.status)} ${md(s.status)} — ${md(s.detail)}` : '–';
  };
  out.add(
    row(['Kubernetes', `${md(c.kubernetes)} (kind ${md(c.kind)}, ${md(c.cluster)})`, '–']),
    row(['Calico', md(c.calico), support('calico')]),
    row(['Istio', `${md(c.istio)} (${md(c.istioFlavour)})`, support('istio')]),
    row(['Dikastes', md(c.dikastesImage), '–']),
    row(['Online Boutique', md(c.boutique), '–']),
    row(['Strict mTLS', c.strictMtls ? 'yes' : 'no', '–']),
    '',
  );

  if (result.phases.length > 0) {
    out.add('### Phases', '', ...header(['', 'Phase', 'Step', 'Duration', 'Attempts', 'Error']));
    for (const p of result.phases) {
      out.add(
        row([
          mark(p.status),
          md(p.phase),
          md(p.title),
          formatMs(p.durationMs),
          String(p.attempts),
          p.error ? mdShort(p.error, 300) : '',
        ]),
      );
    }
    out.add('');
  }

  if (result.checks.length > 0) {
    out.add('### Checks', '', ...header(['', 'Check', 'Evidence']));
    for (const ch of result.checks) out.add(row([mark(ch.status), md(ch.title), mdShort(ch.evidence, 400)]));
    out.add('');
  }

  const exps = expectationsOf(result);
  if (result.suite) {
    out.add(
      `### Suite ${md(result.suite.name)}: ${mark(result.suite.status)} ${md(result.suite.status)}`,
      '',
    );
    const sel = result.suite.selection;
    if (sel)
      out.add(
        `> ⏭️ Selected by --test ${mdShort(sel.filters.join(','), 400)}: ${sel.selectedExpectations} of ${sel.totalExpectations} expectations in ${sel.selectedSteps} of ${result.suite.steps.length} steps; the others are skipped.`,
        '',
      );
    if (exps.length > 0) {
      out.add(
        ...header(['', 'Step', 'Expectation', 'Request', 'Expected', 'Observed', 'Probes', 'Propagation']),
      );
      for (const { step, expectation: e } of exps) {
        const o = e.observed;
        const observed = o
          ? `${md(o.verdict)}${o.status !== undefined ? ` (${o.status})` : ''}${o.reason ? ` — ${mdShort(o.reason, 160)}` : ''}`
          : '–';
        out.add(
          row([
            mark(e.status),
            md(step.name),
            e.message && e.status !== 'pass' ? `${md(e.name)}: ${mdShort(e.message, 240)}` : md(e.name),
            `${md(e.request.method)} ${md(e.request.path)}${describeRoute(e) ? ` ${md(describeRoute(e))}` : ''}`,
            `${md(e.expected)}${e.layer ? ` (${md(e.layer)})` : ''}`,
            observed,
            String(e.probes),
            formatMs(e.propagationMs),
          ]),
        );
      }
      out.add('');
    }
    // Cyclonus-style: per step, expected against observed; the oracle's rule where it set the expectation.
    const truth = truthTableOf(result);
    if (truth.length > 0) {
      out.add('#### Truth table', '');
      for (const t of truth) {
        out.add(`**${md(t.step)}**: ${truthLine(t)}`, '');
        out.add(...header(['', 'Request', 'Expected', 'Observed', 'Decided by (oracle)']));
        for (const r of t.rows)
          out.add(
            row([
              r.result === 'agree' ? '✅' : r.result === 'disagree' ? '❌' : '⚠️',
              md(r.request),
              `${md(r.expected)}${r.by === 'oracle' ? ' (oracle)' : ''}`,
              md(r.observed),
              r.decidedBy ? md(r.decidedBy) : '–',
            ]),
          );
        out.add('');
      }
    }
    const brokenSteps = result.suite.steps.filter((s) => s.status === 'error' && s.message);
    for (const s of brokenSteps) out.add(`- ⚠️ step ${md(s.name)}: ${mdShort(s.message ?? '', 400)}`);
    if (brokenSteps.length > 0) out.add('');
  }

  const prop = propagationsOf(result);
  if (prop.length > 0) {
    out.add(
      '### Propagation latency',
      '',
      `Policy applied → first agreeing probe, over ${prop.length} expectation${prop.length === 1 ? '' : 's'}: median ${formatMs(median(prop))}, p90 ${formatMs(percentile(prop, 90))}, max ${formatMs(Math.max(...prop))}.`,
      '',
    );
  }

  const foot: string[] = [];
  if (result.diagnostics) {
    const d = result.diagnostics;
    foot.push(
      `Diagnostics: ${md(d.artifact ?? d.archive ?? d.dir)}${d.archive && d.artifact ? ` (${md(d.archive)})` : ''}`,
    );
  }
  if (result.cleanup)
    foot.push(
      `Cluster: ${md(result.cleanup.status)}${result.cleanup.detail ? ` — ${md(result.cleanup.detail)}` : ''}`,
    );
  foot.push(
    `Ran ${md(result.startedAt)} → ${md(result.finishedAt)} (${formatMs(result.durationMs)}) on ${md(result.runner.os)}/${md(result.runner.arch)}, node ${md(result.runner.node)}${result.runner.githubRunUrl ? `, ${link('run', result.runner.githubRunUrl)}` : ''}; ${md(result.generator)}`,
  );
  if (result.tools.length > 0) {
    foot.push(
      `Tools: ${result.tools.map((t) => `${md(t.name)} ${md(t.version)} (${md(toolProvenance(t))})`).join(', ')}`,
    );
  }
  out.add(...foot.map((l) => `<sub>${l}</sub><br>`));
  return out.toString();
}
