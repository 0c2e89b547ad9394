import type { PolicyApplier, SuiteRunRequest, SuiteRunner } from './contract.js';
import type { ExpectationResult, SuiteFinding, SuiteResult, SuiteStepResult } from '../result/schema.js';
import {
  awaitExpectations,
  DEFAULT_EVENTUAL,
  describeWanted,
  describeObservation,
  systemClock,
  systemSleep,
  type Clock,
  type EventualOptions,
  type Expectation,
  type Sleep,
} from '../probe/eventually.js';
import {
  createProber,
  DEFAULT_PROBE_TIMEOUT_MS,
  parseBaseUrl,
  type Prober,
  type ProberOptions,
} from '../probe/prober.js';
import { diagnose, suiteError, type DiagnosedStep } from './diagnosis.js';
import { judgeWithCounters, type StatsSnapshot } from './envoy-evidence.js';
import { loadSuite, type LoadedSuite } from './load.js';
import { parseDuration, type StepSpec, type TimingSpec } from './schema.js';
import { compileTestFilters, describeFilters, selectSuite, type SuiteSelection } from './selection.js';
import { gateObservation } from './trust-gate.js';
import { hasAuto, judgeStep, toExpectations, withOracle, type OracleCache } from './oracle-step.js';
import { routeKey, SourceSession } from './source-session.js';
import type { Route } from './sources.js';

export interface Timing extends EventualOptions {
  readonly probeTimeoutMs: number;
}

export interface SuiteRunnerDeps {
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  readonly createProber?: (opts: ProberOptions) => Prober;
  /** Wins over the suite's and steps' timing (tests and benchmarks use short ones). */
  readonly timing?: Partial<Timing>;
  /** Bound on deleting everything the suite applied. */
  readonly cleanupTimeoutMs?: number;
}

export const DEFAULT_CLEANUP_TIMEOUT_MS = 180_000;

const ms = (d: string | undefined) => (d === undefined ? undefined : parseDuration(d));

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function fromSpec(t: TimingSpec | Omit<TimingSpec, 'probeTimeout'> | undefined): Partial<Timing> {
  if (!t) return {};
  return defined({
    consecutive: t.consecutive,
    timeoutMs: ms(t.timeout),
    intervalMs: ms(t.interval),
    holdMs: ms(t.hold),
    probeTimeoutMs: 'probeTimeout' in t ? ms(t.probeTimeout) : undefined,
  });
}

/** Defaults < the plan's derived probe timeout < suite timing < step timing < the runner's override. */
export function resolveTiming(
  suite: TimingSpec | undefined,
  step: Omit<TimingSpec, 'probeTimeout'> | undefined,
  override: Partial<Timing> = {},
  planProbeTimeoutMs?: number,
): Timing {
  return {
    ...DEFAULT_EVENTUAL,
    probeTimeoutMs: planProbeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
    ...fromSpec(suite),
    ...fromSpec(step),
    ...defined(override),
  };
}

/** A suite expectation as written (an `expect: auto` one before the oracle has answered). */
function toExpectation(e: StepSpec['expect'][number]): Expectation {
  return toExpectations({ expect: [e] }, undefined)[0]!;
}

/** An expectation `--test` did not select: recorded, never probed. */
function notSelected(e: Expectation, filters: string): ExpectationResult {
  return {
    name: e.name,
    request: e.request,
    expected: e.expected,
    ...(e.layer ? { layer: e.layer } : {}),
    status: 'skipped',
    skippedBy: 'selection',
    probes: 0,
    message: `not selected by --test ${filters}`,
  };
}

/**
 * An unselected step probed only to wait for its policy state: once it agrees the step is skipped
 * (its probes are not a test result); if it never agrees, later steps would run on an unknown state,
 * so its real results stand and the step fails like any other.
 */
function barrierResult(
  judged: readonly ExpectationResult[],
  done: (
    rest: Pick<SuiteStepResult, 'status' | 'expectations'> & Partial<SuiteStepResult>,
  ) => SuiteStepResult,
  filters: string,
): SuiteStepResult {
  const status = stepStatus(judged);
  if (status !== 'pass')
    return done({
      status,
      message: `not selected by --test ${filters}, but probed because later selected steps build on its policy state, which did not take effect`,
      expectations: [...judged],
    });
  return done({
    status: 'skipped',
    skippedBy: 'selection',
    message: `not selected by --test ${filters}: its manifests were applied and probed only to wait for that policy state (later selected steps build on it)`,
    expectations: judged.map((r) => ({
      ...r,
      status: 'skipped' as const,
      skippedBy: 'selection' as const,
      message: `not selected by --test ${filters}; probed only to wait for the step's policy state (agreed after ${r.probes} probes)`,
    })),
  });
}

/** Probed expectations decide a step; those `--test` left out do not. */
function stepStatus(results: readonly ExpectationResult[]): SuiteStepResult['status'] {
  if (results.some((r) => r.status === 'fail')) return 'fail';
  if (results.some((r) => r.status === 'unavailable')) return 'unavailable';
  return 'pass';
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

function logExpectation(log: (l: string) => void, r: ExpectationResult): void {
  const want = describeWanted(r);
  const seen = r.observed ? describeObservation(r.observed) : 'nothing';
  const tail = r.propagationMs !== undefined ? `, propagation ${r.propagationMs} ms` : '';
  log(`  ${r.status.toUpperCase()} ${r.name}: expected ${want}, saw ${seen} (${r.probes} probes${tail})`);
  if (r.oracle?.agrees === false && r.message) log(`    ${r.message}`);
  const e = r.envoy;
  if (e && e.status !== 'confirmed' && r.observed?.verdict === 'denied-l7')
    log(`    envoy: ${e.note ?? e.status}`);
}

/**
 * Deletes what the suite applied, newest first, then the probe clients it deployed, each under its
 * own bound (the run's signal may be aborted).
 */
async function cleanup(
  applied: readonly string[],
  suite: LoadedSuite,
  policies: PolicyApplier,
  sources: SourceSession,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<NonNullable<SuiteResult['cleanup']>> {
  const signal = AbortSignal.timeout(timeoutMs);
  const failures: string[] = [];
  for (const rel of [...applied].reverse()) {
    log(`cleanup: delete ${rel}`);
    try {
      await policies.delete(suite.manifests.get(rel) ?? rel, signal);
    } catch (e) {
      failures.push(`${rel}: ${errText(e)}`);
    }
  }
  const clients = await sources.close(timeoutMs, log);
  failures.push(...clients.failed);
  if (failures.length) return { status: 'failed', detail: failures.join('; ') };
  const done = [
    ...(applied.length ? [`deleted ${[...applied].reverse().join(', ')}`] : []),
    ...(clients.removed.length ? [`removed probe clients ${clients.removed.join(', ')}`] : []),
  ];
  return done.length ? { status: 'done', detail: done.join('; ') } : { status: 'nothing' };
}

/** The counters before or after a step; a read that fails is a note, never a failed step. */
async function readStats(req: SuiteRunRequest, signal: AbortSignal): Promise<StatsSnapshot> {
  if (!req.envoyStats) return { ok: false, why: 'no Envoy stats reader for this run' };
  try {
    return await req.envoyStats.read(signal);
  } catch (e) {
    if (signal.aborted) throw e;
    return { ok: false, why: errText(e) };
  }
}

export function createSuiteRunner(deps: SuiteRunnerDeps = {}): SuiteRunner {
  const clock = deps.clock ?? systemClock;
  const sleep = deps.sleep ?? systemSleep;
  const makeProber = deps.createProber ?? createProber;

  return async (req: SuiteRunRequest): Promise<SuiteResult> => {
    const { log, signal, policies } = req;
    // Everything is checked before the first side effect.
    let suite: LoadedSuite;
    let selection: SuiteSelection;
    const filters = describeFilters(req.tests ?? []);
    try {
      suite = await loadSuite(req.suiteFile);
      parseBaseUrl(req.ingressUrl);
      const compiled = compileTestFilters(req.tests ?? []);
      if (!compiled.ok)
        throw new Error(
          `--test ${compiled.problems.map((p) => `${JSON.stringify(p.filter)} ${p.why}`).join('; ')}`,
        );
      selection = selectSuite(suite.spec, req.tests?.length ? compiled.selection : undefined);
      if (selection.selectedExpectations === 0)
        throw new Error(`--test ${filters} selects no expectation of suite ${suite.spec.name}`);
    } catch (e) {
      return suiteError(req.suiteFile, req.suiteFile, errText(e));
    }
    const { spec } = suite;
    const selecting = (req.tests?.length ?? 0) > 0;
    const suiteTiming = resolveTiming(spec.timing, undefined, deps.timing, req.defaultProbeTimeoutMs);
    const prober = makeProber({
      baseUrl: req.ingressUrl,
      timeoutMs: suiteTiming.probeTimeoutMs,
      ...(spec.target.host ? { host: spec.target.host } : {}),
      ...(req.classify ? { classify: req.classify } : {}),
    });
    const sources = new SourceSession(spec, req.sources, {
      // The plan's derived bound is for the gateway's own route; a Service's route is not the
      // harness's, so Istio's defaults apply unless the suite says otherwise.
      probeTimeoutMs: resolveTiming(spec.timing, undefined, deps.timing).probeTimeoutMs,
      // The route's connect timeout is the gateway's; a source's route to a Service has its own.
      ...(req.classify ? { classify: { denyAction: req.classify.denyAction } } : {}),
    });
    if (sources.needed && !req.sources) {
      await prober.close();
      return suiteError(
        spec.name,
        req.suiteFile,
        'the suite names sources inside the mesh (from:), and this run has no cluster access to reach them',
      );
    }
    let trust = req.dikastesReady;
    const probe = async (r: Expectation['request'], s: AbortSignal, e: Expectation) => {
      const p = e.via ? sources.prober(e.via) : prober;
      if (!p) throw new Error(`no prober for the source of ${e.name}: its setup did not run`);
      return gateObservation(await p.probe(r, s), trust);
    };

    log(
      `suite ${spec.name}: ${spec.steps.length} steps against ${req.ingressUrl}${spec.target.host ? ` (Host ${spec.target.host})` : ''}`,
    );
    if (req.defaultProbeTimeoutMs && suiteTiming.probeTimeoutMs < req.defaultProbeTimeoutMs)
      log(
        `warning: probe timeout ${suiteTiming.probeTimeoutMs} ms is below the ${req.defaultProbeTimeoutMs} ms an L4 denial may take through this route`,
      );
    if (!trust.ready) log(`trust gate: 403s will not count as denials (${trust.evidence})`);
    if (selecting)
      log(
        `--test ${filters}: ${selection.selectedExpectations} of ${selection.totalExpectations} expectations in ${selection.selectedSteps} of ${spec.steps.length} steps`,
      );

    const live: string[] = [];
    const oracleCache: OracleCache = { docs: new Map() };
    const steps: DiagnosedStep[] = [];
    let everApplied = false;
    let skipReason: string | undefined;
    let cancelled: string | undefined;

    /**
     * One step. `selected` says which expectations are probed. With none, the step still applies and
     * deletes its manifests (later selected steps build on the policy state it leaves) and waits for
     * that state, but its expectations count only if they never agree.
     */
    const runStep = async (
      step: StepSpec,
      selected: readonly boolean[],
      routes: readonly (Route | undefined)[],
    ): Promise<SuiteStepResult> => {
      const t0 = clock.now();
      const applied: string[] = [];
      const deleted: string[] = [];
      const probing = selected.some(Boolean);
      const changed = step.apply.length + step.delete.length > 0;
      const done = (
        rest: Pick<SuiteStepResult, 'status' | 'expectations'> & Partial<SuiteStepResult>,
      ): SuiteStepResult => ({
        name: step.name,
        applied,
        deleted,
        durationMs: Math.max(0, Math.round(clock.now() - t0)),
        ...rest,
      });
      const unselected = changed
        ? 'its manifests applied, probed only to wait for their policy state'
        : 'nothing to apply, not probed';
      log(`step ${step.name}${probing ? '' : ` (not selected by --test ${filters}: ${unselected})`}`);
      try {
        for (const rel of step.apply) {
          log(`  apply ${rel}`);
          // Recorded before the call: a half-applied file is still deleted at cleanup (--ignore-not-found).
          live.push(rel);
          everApplied = true;
          await policies.apply(suite.manifests.get(rel) ?? rel, signal);
          applied.push(rel);
        }
        for (const rel of step.delete) {
          log(`  delete ${rel}`);
          await policies.delete(suite.manifests.get(rel) ?? rel, signal);
          deleted.push(rel);
          live.splice(live.lastIndexOf(rel), 1);
        }
        if (!probing && !changed)
          return done({
            status: 'skipped',
            skippedBy: 'selection',
            message: `not selected by --test ${filters}: nothing probed`,
            expectations: step.expect.map((e) => notSelected(toExpectation(e), filters)),
          });
        if (req.recheckTrust) {
          const was = trust.ready;
          trust = await req.recheckTrust(signal);
          if (was !== trust.ready || !trust.ready)
            log(`  trust gate: ${trust.ready ? 'ready' : 'not ready'} (${trust.evidence})`);
        }
        const oracle = hasAuto(step)
          ? await judgeStep(step, live, suite, req.oracle, oracleCache, signal, routes, (r) =>
              sources.picked(r),
            )
          : undefined;
        if (typeof oracle === 'string') return done({ status: 'error', expectations: [], message: oracle });
        const before = await readStats(req, signal);
        const appliedAt = clock.now();
        const timing = resolveTiming(spec.timing, step.timing, deps.timing, req.defaultProbeTimeoutMs);
        const all = toExpectations(step, oracle).map((e, j) =>
          routes[j] ? { ...e, via: routeKey(routes[j]) } : e,
        );
        // Which of the suite's expectations are probed, in order (their routes go with them).
        const probedAt = all.flatMap((_, i) => (!probing || selected[i] ? [i] : []));
        // An unselected step that changed policy is still probed, as a barrier: without it the next
        // selected step could agree with the state before this change and then flap as it lands.
        const probed = await awaitExpectations(
          probedAt.map((i) => all[i]!),
          appliedAt,
          timing,
          { probe, clock, sleep, signal, log, changed },
        );
        const after = await readStats(req, signal);
        const judged = probed.map((r, k) => {
          const route = routes[probedAt[k]!];
          // The counters are the suite target's pods'; a Service target's sidecar is not read.
          if (route)
            return {
              ...r,
              ...sources.describe(route),
              envoy: {
                status: 'unread' as const,
                note: `not confirmed by Envoy: counters are read from the suite target's pods, not ${route.to.service}`,
              },
            };
          const j = judgeWithCounters(r, before, after);
          return { ...j.result, envoy: j.evidence };
        });
        if (!probing) {
          const barrier = oracle ? withOracle(judged, oracle) : judged;
          for (const r of barrier) logExpectation(log, r);
          return barrierResult(barrier, done, filters);
        }
        // Back in the suite's order, the unselected ones in their place; then the oracle's view beside each.
        const ordered = all.map((e, i) => (selected[i] ? judged.shift()! : notSelected(e, filters)));
        const results = oracle ? withOracle(ordered, oracle) : ordered;
        results.forEach((r, i) => selected[i] && logExpectation(log, r));
        return done({ status: stepStatus(results), expectations: results });
      } catch (e) {
        if (signal.aborted) {
          cancelled = errText(signal.reason);
          return done({ status: 'error', expectations: [], message: `cancelled: ${cancelled}` });
        }
        return done({ status: 'error', expectations: [], message: errText(e) });
      }
    };

    let cleanupResult: SuiteResult['cleanup'];
    let setupFailed: string | undefined;
    try {
      try {
        await sources.open(signal, log);
      } catch (e) {
        if (signal.aborted) cancelled = errText(signal.reason);
        else setupFailed = errText(e);
      }
      for (const [i, step] of spec.steps.entries()) {
        if (setupFailed || skipReason || cancelled) {
          const message = cancelled
            ? 'not run: the run was cancelled'
            : setupFailed
              ? `not run: ${setupFailed}`
              : `not run: ${skipReason}`;
          steps.push({
            result: {
              name: step.name,
              status: 'skipped',
              applied: [],
              deleted: [],
              durationMs: 0,
              message,
              expectations: [],
            },
            beforeAnyPolicy: !everApplied,
          });
          continue;
        }
        if (i > selection.lastSelectedStep) {
          // Nothing selected from here on: applying these manifests could only affect cleanup.
          steps.push({
            result: {
              name: step.name,
              status: 'skipped',
              skippedBy: 'selection',
              applied: [],
              deleted: [],
              durationMs: 0,
              message: `not selected by --test ${filters}: no later step is selected, so nothing was applied`,
              expectations: step.expect.map((e) => notSelected(toExpectation(e), filters)),
            },
            beforeAnyPolicy: !everApplied,
          });
          continue;
        }
        const result = await runStep(step, selection.steps[i]!.selected, sources.routes[i] ?? []);
        steps.push({ result, beforeAnyPolicy: !everApplied });
        log(`step ${step.name}: ${result.status}`);
        if (result.status !== 'pass' && result.skippedBy !== 'selection' && !spec.continueAfterFailure) {
          skipReason = `step "${step.name}" ended ${result.status} and later steps build on it`;
        }
      }
    } finally {
      await prober.close();
      cleanupResult = await cleanup(
        live,
        suite,
        policies,
        sources,
        deps.cleanupTimeoutMs ?? DEFAULT_CLEANUP_TIMEOUT_MS,
        log,
      );
    }

    const results = steps.map((s) => s.result);
    if (setupFailed) {
      const note = cleanupResult.status === 'failed' ? `; cleanup failed: ${cleanupResult.detail ?? ''}` : '';
      return {
        ...suiteError(spec.name, req.suiteFile, setupFailed),
        diagnosis: `${setupFailed}${note}`,
        steps: results,
        cleanup: cleanupResult,
      };
    }
    const status: SuiteResult['status'] = results.some((r) => r.status === 'error')
      ? 'error'
      : results.every((r) => r.status === 'pass' || r.skippedBy === 'selection')
        ? 'pass'
        : 'fail';
    const finding: SuiteFinding | undefined = cancelled
      ? { kind: 'cancelled', message: `cancelled: ${cancelled}` }
      : status === 'pass'
        ? undefined
        : diagnose(steps, req.knownDefect);
    const cleanupNote =
      cleanupResult.status === 'failed' ? `; cleanup failed: ${cleanupResult.detail ?? ''}` : '';
    const finalDiagnosis = finding
      ? `${finding.message}${cleanupNote}`
      : cleanupNote
        ? cleanupNote.slice(2)
        : undefined;
    return {
      name: spec.name,
      file: req.suiteFile,
      status,
      ...(finalDiagnosis ? { diagnosis: finalDiagnosis } : {}),
      ...(finding ? { finding } : {}),
      ...(selecting
        ? {
            selection: {
              filters: [...(req.tests ?? [])],
              selectedSteps: selection.selectedSteps,
              selectedExpectations: selection.selectedExpectations,
              totalExpectations: selection.totalExpectations,
            },
          }
        : {}),
      steps: results,
      cleanup: cleanupResult,
    };
  };
}
