import { join } from 'node:path';
import { collectDiagnostics } from '../../diagnostics/collect.js';
/** What diagnostics leave of the deadline for cleanup (kind delete) and the record. */
const AFTER_DIAGNOSTICS_MS = 90_000;
/** Diagnostics always get at least this, even past the deadline: a failure without them explains nothing. */
const MIN_DIAGNOSTICS_MS = 30_000;
import type { CellPhase } from '../phase-runner.js';

/** Phase `diagnostics`: after a failure, from a cluster that exists, before it is deleted. */
export const diagnosticsPhase: CellPhase = {
  name: 'diagnostics',
  stage: 'always',
  async run(run) {
    const verdict = run.decided?.verdict;
    const failed = verdict === 'fail' || verdict === 'error';
    const cluster = run.plan.facts.clusterName;
    const kubectl = run.kubectl?.path;
    if (!failed || run.signal.aborted || !run.clusterUp || !(kubectl || cluster)) return;
    const { resultsDir, env, target } = run.prepared;
    const kindPath = cluster ? await run.toolPaths.kind?.catch(() => undefined) : undefined;
    const tools = run.tools;
    const targetPod = run.checkReport?.targetPod;
    // Not the user's cancellation (diagnostics run after it), but the deadline: cleanup must still fit.
    const budget = Math.max(
      MIN_DIAGNOSTICS_MS,
      run.prepared.deadlineMs - run.deps.now() - AFTER_DIAGNOSTICS_MS,
    );
    const got = await run.log.group('Diagnostics', () =>
      collectDiagnostics(
        run.deps.runner,
        {
          dir: join(resultsDir, 'diagnostics'),
          archive: join(resultsDir, 'diagnostics.tar.gz'),
          ...(kubectl ? { kubectl } : {}),
          ...(kindPath && cluster ? { kind: { path: kindPath, cluster } } : {}),
          ...(tools ? { istioctl: () => tools.get('istioctl') } : {}),
          env,
          namespace: target.namespace,
          istioNamespace: run.plan.facts.istioNamespace,
          ...(run.log.redact ? { redact: (t: string) => run.log.redact!(t) } : {}),
          // A cluster of the user's own: only what the harness touched, unless they opted in.
          clusterWide: !!cluster || run.req.config.diagnosticsClusterWide,
          namespaces: run.touchedNamespaces(),
          ...(targetPod ? { targetPod } : {}),
          ...(target.selector ? { targetLabel: target.selector } : {}),
          timeoutMs: run.bounds.diagnosticsCommandMs,
        },
        AbortSignal.timeout(budget),
      ),
    );
    run.diagnosticsArchive = got.archive;
    run.diagnostics = { dir: got.dir, ...(got.archive ? { archive: got.archive } : {}) };
    const failures = got.entries.filter((e) => !e.ok);
    run.log.info(
      `Diagnostics in ${got.dir}${got.archive ? ` (archive ${got.archive})` : ''}: ${got.entries.length - failures.length}/${got.entries.length} collected`,
    );
    for (const f of failures) run.log.warn(`diagnostics: ${f.file}: ${f.detail ?? 'failed'}`);
  },
};
