import { readFile } from 'node:fs/promises';
import { loadAll } from 'js-yaml';
import type { ManifestDoc, OracleAnswer, TargetIdentity, Identity } from '../oracle/suite-oracle.js';
import type { Expectation } from '../probe/eventually.js';
import { describeObservation } from '../probe/eventually.js';
import type { ExpectationResult } from '../result/schema.js';
import type { SuiteOracleBinding } from './contract.js';
import type { LoadedSuite } from './load.js';
import type { StepSpec } from './schema.js';
import { expectationName } from './selection.js';
import {
  clientIdentity,
  clientName,
  PROBE_CLIENT_LABEL,
  routeText,
  type ProbeSource,
  type Route,
} from './sources.js';

type OracleVerdict = NonNullable<ExpectationResult['oracle']>;

/** What the oracle said for each expectation of a step (undefined where the suite wrote the verdict). */
export type StepOracle = readonly (Omit<OracleVerdict, 'agrees'> | undefined)[];

/** Read once per suite: the pods do not change between steps, the manifests do not change at all. */
export interface OracleCache {
  target?: TargetIdentity;
  source?: Identity;
  readonly docs: Map<string, ManifestDoc[]>;
  /** The pods behind each Service a route names, and each workload source, by route end. */
  services?: Map<string, TargetIdentity>;
  workloads?: Map<string, Identity>;
}

/** What the run knows of a route's source: the pod the session picked for it (a workload's). */
export type PickedSource = (route: Route) => ProbeSource | undefined;

/**
 * Both ends of a route as the cluster shows them: a probe client is its spec (plus the harness's label),
 * a workload is the pod the session picked (namespace labels read beside it), the target is the pods
 * behind the Service at its targetPort.
 */
async function routeEnds(
  route: Route,
  binding: SuiteOracleBinding,
  cache: OracleCache,
  picked: PickedSource | undefined,
  signal: AbortSignal,
): Promise<{ source: Identity; target: TargetIdentity } | string> {
  if (!binding.readService)
    return 'a request to a Service needs the oracle to read the Service, and this run cannot';
  const toKey = `${route.to.namespace}/${route.to.service}:${route.to.port}`;
  const services = (cache.services ??= new Map());
  let target = services.get(toKey);
  try {
    target ??= await binding.readService(route.to, signal);
  } catch (e) {
    return `the oracle cannot read the target of ${routeText(route)}: ${e instanceof Error ? e.message : String(e)}`;
  }
  services.set(toKey, target);
  const client = clientIdentity(route.from);
  const name = clientName(route.from);
  // A client's labels and account are its spec (plus the harness's label); its namespace's labels,
  // like a workload's identity, are the cluster's.
  const spec = client && { ...client, labels: { ...client.labels, [PROBE_CLIENT_LABEL]: name } };
  const selector = spec ? `${PROBE_CLIENT_LABEL}=${name}` : (route.from.selector ?? '');
  const fromKey = `${route.from.namespace}/${selector}`;
  const workloads = (cache.workloads ??= new Map());
  let source = workloads.get(fromKey);
  if (!source) {
    if (!binding.readPods) {
      if (!spec) return 'a workload source needs the oracle to read its pods, and this run cannot';
      source = spec;
    } else {
      try {
        source = await binding.readPods(route.from.namespace, selector, signal);
      } catch (e) {
        return `the oracle cannot read the source of ${routeText(route)}: ${e instanceof Error ? e.message : String(e)}`;
      }
      const ns = source.namespaceLabels ? { namespaceLabels: source.namespaceLabels } : {};
      // The pod requests actually come from, when the session picked one.
      const pod = spec ? undefined : picked?.(route);
      if (spec) source = { ...spec, ...ns };
      else if (pod) source = { ...source, labels: { ...pod.labels }, serviceAccount: pod.serviceAccount };
    }
    workloads.set(fromKey, source);
  }
  return { source, target };
}

export const hasAuto = (step: StepSpec) => step.expect.some((e) => e.expect === 'auto');

/**
 * The oracle's verdict for every `expect: auto` expectation of a step, from the manifests live after
 * its apply and delete and the pods as the cluster shows them; a string says why it cannot judge.
 */
export async function judgeStep(
  step: StepSpec,
  live: readonly string[],
  suite: LoadedSuite,
  binding: SuiteOracleBinding | undefined,
  cache: OracleCache,
  signal: AbortSignal,
  routes: readonly (Route | undefined)[] = [],
  picked?: PickedSource,
): Promise<StepOracle | string> {
  if (!binding) return 'expect: auto needs the policy oracle, and this run has no Calico version to give it';
  const { worldFromManifests, judgeQueries, INGRESS_GATEWAY } = await import('../oracle/suite-oracle.js');
  const { decidedByText } = await import('../oracle/index.js');
  const auto = step.expect.flatMap((e, i) => (e.expect === 'auto' ? [{ e, route: routes[i] }] : []));
  if (auto.some((a) => !a.route)) {
    cache.target ??= await binding.readTarget(signal);
    cache.source ??= binding.readSource ? await binding.readSource(signal) : INGRESS_GATEWAY;
  }
  const docs: ManifestDoc[] = [];
  for (const rel of live) {
    let parsed = cache.docs.get(rel);
    if (!parsed) {
      const text = await readFile(suite.manifests.get(rel) ?? rel, 'utf8');
      parsed = loadAll(text).map((doc) => ({ doc, source: rel }));
      cache.docs.set(rel, parsed);
    }
    docs.push(...parsed);
  }
  const { world, problems } = worldFromManifests(docs);
  if (problems.length) return `the oracle cannot read the policies: ${problems.join('; ')}`;
  const answers: OracleAnswer[] = [];
  for (const { e, route } of auto) {
    const ends = route
      ? await routeEnds(route, binding, cache, picked, signal)
      : { source: cache.source ?? INGRESS_GATEWAY, target: cache.target! };
    if (typeof ends === 'string') return ends;
    answers.push(
      ...judgeQueries(
        world,
        ends.target,
        [{ name: expectationName(e), method: e.request.method, path: e.request.path }],
        binding.semantics,
        // The route's source when it names one; otherwise the gateway as the cluster shows it.
        () => ends.source,
      ),
    );
  }
  const out: (Omit<OracleVerdict, 'agrees'> | undefined)[] = [];
  let k = 0;
  for (const e of step.expect) {
    if (e.expect !== 'auto') {
      out.push(undefined);
      continue;
    }
    const a = answers[k++]!;
    if (!a.ok) return `the oracle cannot judge ${expectationName(e)}: ${a.why}`;
    const r = a.result;
    out.push({
      verdict: r.verdict,
      decidedBy: r.decidedBy,
      explanation: `${decidedByText(r)}. ${r.explanation}`,
    });
  }
  return out;
}

/** The probe's expectation for each suite expectation: the written verdict, or the oracle's. */
export function toExpectations(
  step: Pick<StepSpec, 'expect'>,
  oracle: StepOracle | undefined,
): Expectation[] {
  return step.expect.map((e, i) => {
    const o = oracle?.[i];
    const want = o
      ? o.verdict === 'allowed'
        ? { expected: 'allow' as const }
        : { expected: 'deny' as const, layer: o.verdict === 'denied-l4' ? ('l4' as const) : ('l7' as const) }
      : { expected: e.verdict ?? 'deny', ...(e.layer ? { layer: e.layer } : {}) };
    return {
      name: expectationName(e),
      request: {
        method: e.request.method,
        path: e.request.path,
        ...(e.request.headers ? { headers: e.request.headers } : {}),
      },
      ...want,
    };
  });
}

/**
 * The oracle's verdict recorded beside what was observed; a disagreement is a failed expectation whose
 * message gives both sides: what was observed (classification, Envoy's evidence) and the oracle's why.
 */
export function withOracle(results: readonly ExpectationResult[], oracle: StepOracle): ExpectationResult[] {
  return results.map((r, i) => {
    const o = oracle[i];
    if (!o) return r;
    const seen = r.observed && r.observed.verdict !== 'unavailable' ? r.observed.verdict : undefined;
    const agrees = seen === undefined ? null : seen === o.verdict;
    const result: ExpectationResult = { ...r, oracle: { ...o, agrees } };
    if (agrees !== false || !r.observed) return result;
    const envoy = r.envoy?.note ? `; Envoy: ${r.envoy.note}` : r.envoy ? `; Envoy: ${r.envoy.status}` : '';
    return {
      ...result,
      status: 'fail',
      message: `Calico disagrees with the oracle: observed ${describeObservation(r.observed)}${envoy}; the oracle says ${o.verdict}: ${o.explanation}`,
    };
  });
}
