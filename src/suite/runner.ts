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
import { gateObservation } from './trust-gate.js';
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

function toExpectations(step: StepSpec, routes: readonly (Route | undefined)[] = []): Expectation[] {
  return step.expect.map((e, j) => ({
    name: e.name ?? `${e.request.method} ${e.request.path}`,
    request: {
      method: e.request.method,
      path: e.request.path,
      ...(e.request.headers ? { headers: e.request.headers } : {}),
    },
    expected: e.verdict,
    ...(e.layer ? { layer: e.layer } : {}),
    ...(routes[j] ? { via: routeKey(routes[j]) } : {}),
  }));
}

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
    try {
      suite = await loadSuite(req.suiteFile);
      parseBaseUrl(req.ingressUrl);
    } catch (e) {
      return suiteError(req.suiteFile, req.suiteFile, errText(e));
    }
    const { spec } = suite;
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

    const live: string[] = [];
    const steps: DiagnosedStep[] = [];
    let everApplied = false;
    let skipReason: string | undefined;
    let cancelled: string | undefined;

    const runStep = async (
      step: StepSpec,
      routes: readonly (Route | undefined)[],
    ): Promise<SuiteStepResult> => {
      const t0 = clock.now();
      const applied: string[] = [];
      const deleted: string[] = [];
      const done = (rest: Pick<SuiteStepResult, 'status' | 'expectations'> & { message?: string }) => ({
        name: step.name,
        applied,
        deleted,
        durationMs: Math.max(0, Math.round(clock.now() - t0)),
        ...rest,
      });
      log(`step ${step.name}`);
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
        if (req.recheckTrust) {
          const was = trust.ready;
          trust = await req.recheckTrust(signal);
          if (was !== trust.ready || !trust.ready)
            log(`  trust gate: ${trust.ready ? 'ready' : 'not ready'} (${trust.evidence})`);
        }
        const before = await readStats(req, signal);
        const appliedAt = clock.now();
        const timing = resolveTiming(spec.timing, step.timing, deps.timing, req.defaultProbeTimeoutMs);
        const probed = await awaitExpectations(toExpectations(step, routes), appliedAt, timing, {
          probe,
          clock,
          sleep,
          signal,
          log,
          changed: step.apply.length + step.delete.length > 0,
        });
        const after = await readStats(req, signal);
        const results = probed.map((r, j) => {
          const route = routes[j];
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
          const judged = judgeWithCounters(r, before, after);
          return { ...judged.result, envoy: judged.evidence };
        });
        for (const r of results) logExpectation(log, r);
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
        const result = await runStep(step, sources.routes[i] ?? []);
        steps.push({ result, beforeAnyPolicy: !everApplied });
        log(`step ${step.name}: ${result.status}`);
        if (result.status !== 'pass' && !spec.continueAfterFailure) {
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
      : results.every((r) => r.status === 'pass')
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
      steps: results,
      cleanup: cleanupResult,
    };
  };
}
