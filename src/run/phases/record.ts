import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Plan } from '../../plan/types.js';
import { cellId } from '../../resolve/cell.js';
import { CellResultSchema, RESULT_SCHEMA_VERSION, type CellResult } from '../../result/schema.js';
import { VERSION } from '../../version.js';
import type { CellReportFiles, CellRun } from '../cell-run.js';
import type { CellPhase } from '../phase-runner.js';
import { defectNotObserved, symptomObserved } from '../verdict.js';

/**
 * The plan already names the exact versions; results.json keeps the same facts, minus plan-only ones.
 * On an existing cluster the versions it runs win, so a report files the result in the right cell.
 */
function resultCell(plan: Plan, detected: CellResult['detected']): CellResult['cell'] {
  const { clusterName: _name, install: _install, ...cell } = plan.cell;
  if (!detected) return cell;
  const labelled = {
    ...cell,
    ...(detected.kubernetes ? { kubernetes: detected.kubernetes } : {}),
    ...(detected.calico ? { calico: detected.calico } : {}),
    ...(detected.istio ? { istio: detected.istio } : {}),
    ...(detected.dikastesImage ? { dikastesImage: detected.dikastesImage } : {}),
  };
  return { ...labelled, id: cellId(labelled.kubernetes, labelled.calico, labelled.istio) };
}

function knownDefect(run: CellRun): CellResult['knownDefect'] {
  const d = run.plan.facts.knownDefect;
  if (!d) return undefined;
  const seen = symptomObserved(d, run.suite);
  const note = !seen && run.decided?.verdict === 'pass' ? defectNotObserved(d) : undefined;
  return { id: d.id, title: d.title, issue: d.issue, symptomObserved: seen, ...(note ? { note } : {}) };
}

/** Phase `record`: results.json (always, whatever happened), then the reports. */
export const recordPhase: CellPhase = {
  name: 'record',
  stage: 'always',
  async run(run) {
    const { deps, prepared } = run;
    const finishedMs = deps.now();
    const defect = knownDefect(run);
    // A phase that threw after the verdict (diagnostics, cleanup) is named beside it, never hidden.
    const decided = run.decided ?? { verdict: 'error' as const, reason: 'no verdict was reached' };
    const late = run.faults.slice(run.faultsInVerdict);
    const reason = late.length
      ? `${decided.reason} (also: ${late.map((f) => `phase ${f.phase} failed: ${f.error}`).join('; ')})`
      : decided.reason;
    const result = CellResultSchema.parse({
      schemaVersion: RESULT_SCHEMA_VERSION,
      generator: `calico-istio-conformance ${VERSION}`,
      cell: resultCell(run.plan, run.detected),
      ...(run.detected ? { detected: run.detected } : {}),
      // The resolution's support entries are already the results' shape.
      support: prepared.cell.support,
      ...(run.plan.facts.notes.length ? { notes: run.plan.facts.notes } : {}),
      startedAt: new Date(prepared.startedMs).toISOString(),
      finishedAt: new Date(finishedMs).toISOString(),
      durationMs: Math.max(0, finishedMs - prepared.startedMs),
      runner: deps.runnerInfo,
      verdict: decided.verdict,
      reason,
      ...(prepared.skip === undefined
        ? { tools: run.tools?.results() ?? [], phases: run.phases, checks: run.checks }
        : {}),
      ...(run.suite ? { suite: run.suite } : {}),
      ...(defect ? { knownDefect: defect } : {}),
      ...(run.diagnostics ? { diagnostics: run.diagnostics } : {}),
      cleanup: run.cleanup ?? { status: 'not-created' },
      run: {
        id: prepared.runId,
        ...(run.plan.facts.clusterName ? { clusterName: run.plan.facts.clusterName } : {}),
        ...(run.plan.facts.cellLabel
          ? { cellLabel: `${run.plan.facts.cellLabel.key}=${run.plan.facts.cellLabel.value}` }
          : {}),
        ...(run.plan.facts.hostPort ? { hostPort: run.plan.facts.hostPort } : {}),
        ingressUrl: run.plan.facts.ingressUrl,
        timeoutMinutes: run.req.config.timeoutMinutes,
        deadlineAt: new Date(prepared.deadlineMs).toISOString(),
      },
      ...(run.host ? { host: run.host } : {}),
      ...(run.observed ? { observed: run.observed } : {}),
      ...(run.fetched.length ? { fetched: run.fetched } : {}),
    });
    await writeFile(prepared.resultsFile, `${JSON.stringify(result, null, 2)}\n`);
    run.req.hooks?.onVerdict?.(result.verdict);
    let reports: CellReportFiles | undefined;
    try {
      reports = await deps.writeReports(result, prepared.resultsDir);
    } catch (e) {
      run.log.error(`Could not write the reports: ${e instanceof Error ? e.message : String(e)}`);
    }
    const line = `Cell ${prepared.cell.id}: ${result.verdict.toUpperCase()} — ${result.reason}`;
    if (result.verdict === 'pass' || result.verdict === 'unsupported' || result.verdict === 'known-defect')
      run.log.info(line);
    else run.log.error(line);
    run.outcome = {
      cell: prepared.cell,
      result,
      planDir: prepared.planDir,
      resultsFile: prepared.resultsFile,
      ...(reports ? { reports } : {}),
      ...(run.diagnosticsArchive ? { diagnosticsArchive: run.diagnosticsArchive } : {}),
      ...(run.plan.facts.clusterName ? { clusterName: run.plan.facts.clusterName } : {}),
      ...(keptKubeconfig(run) ? { kubeconfig: keptKubeconfig(run) } : {}),
    };
  },
};

/** The kubeconfig of a kept kind cluster, when kind wrote one: later steps reach the cluster with it. */
function keptKubeconfig(run: CellRun): string | undefined {
  const path = run.prepared.env.KUBECONFIG;
  return run.cleanup?.status === 'kept' && path && existsSync(path) ? path : undefined;
}
