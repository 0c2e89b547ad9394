import { readFile } from 'node:fs/promises';
import { loadAll } from 'js-yaml';
import {
  decidedByText,
  semanticsText,
  summarise,
  truthTableLines,
  truthTableTail,
  type Summary,
  type TruthRow,
} from '../oracle/index.js';
import type { OracleSemantics } from '../oracle/model.js';
import {
  agreesWith,
  expectedText,
  INGRESS_GATEWAY,
  judgeQueries,
  podTemplateOf,
  worldFromManifests,
  type Identity,
  type ManifestDoc,
  type TargetIdentity,
} from '../oracle/suite-oracle.js';
import type { LoadedSuite } from './load.js';
import { offlineRoute, RouteError, type KnownService, type KnownWorkload } from './offline-routes.js';
import { routesOf } from './sources.js';
import { expectationName } from './selection.js';

export type { KnownService, KnownWorkload } from './offline-routes.js';

/** A truth-table row of `suite check`; a request from a source inside the mesh names both ends. */
export interface CheckedRow extends TruthRow {
  readonly source?: Identity;
  readonly to?: { readonly service: string; readonly port: number; readonly namespace: string };
}

export interface CheckedStep {
  readonly name: string;
  readonly cases: readonly CheckedRow[];
}

export interface SuiteCheck {
  readonly calico: string;
  readonly suite: string;
  /** Where the target's labels, service account and port came from. */
  readonly target: TargetIdentity & { readonly from: string };
  readonly steps: readonly CheckedStep[];
  readonly summary: Summary;
}

/** Why a suite cannot be checked offline: each line names the step, expectation or manifest. */
export class SuiteCheckError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'SuiteCheckError';
  }
}

function equalityLabels(selector: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (selector ?? '').split(',').filter(Boolean)) {
    if (part.includes('!=')) continue;
    const [k, v] = part.split(/==?/) as [string, string];
    out[k] = v;
  }
  return out;
}

const selects = (wanted: Record<string, string>, labels: Readonly<Record<string, string>>) =>
  Object.entries(wanted).every(([k, v]) => labels[k] === v);

/**
 * The target workload offline, named by the suite's `target.namespace` and `target.selector`: a
 * Pod or workload in the suite's own manifests whose pod labels the selector matches; else the
 * pinned workload the harness deploys (Online Boutique's, from the catalog); else the selector's
 * labels with service account `default` and port 8080.
 */
export function offlineTarget(
  suite: LoadedSuite,
  docs: ReadonlyMap<string, readonly ManifestDoc[]>,
  known: readonly KnownWorkload[],
): TargetIdentity & { readonly from: string } {
  const { namespace, selector } = suite.spec.target;
  const wanted = equalityLabels(selector);
  for (const list of docs.values())
    for (const d of list) {
      const t = podTemplateOf(d);
      if (!t || (t.namespace !== undefined && t.namespace !== namespace)) continue;
      if (selector && selects(wanted, t.labels))
        return {
          namespace,
          labels: t.labels,
          serviceAccount: t.serviceAccount,
          port: t.port ?? 8080,
          ports: t.ports,
          from: t.source,
        };
    }
  const w = selector ? known.find((k) => selects(wanted, k.labels)) : undefined;
  if (w)
    return {
      namespace,
      labels: w.labels,
      serviceAccount: w.serviceAccount,
      port: w.port,
      ports: [],
      from: w.source,
    };
  return {
    namespace,
    labels: wanted,
    serviceAccount: 'default',
    port: 8080,
    ports: [],
    from: selector ? `target.selector ${selector}` : 'no target.selector: a pod without labels',
  };
}

/** Every manifest the suite names, parsed once. */
async function readManifests(suite: LoadedSuite): Promise<Map<string, ManifestDoc[]>> {
  const out = new Map<string, ManifestDoc[]>();
  const problems: string[] = [];
  for (const [rel, abs] of suite.manifests) {
    try {
      out.set(
        rel,
        loadAll(await readFile(abs, 'utf8')).map((doc) => ({ doc, source: rel })),
      );
    } catch (e) {
      problems.push(`${rel}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  if (problems.length) throw new SuiteCheckError(problems);
  return out;
}

/**
 * `suite check`: every expectation of every step against the oracle alone, with the manifests live at
 * that step (applied so far, minus deleted). A written verdict agrees or disagrees; `expect: auto` is
 * the oracle's own answer (unchecked). No cluster, no network.
 */
export async function checkSuite(
  suite: LoadedSuite,
  sem: OracleSemantics,
  known: readonly KnownWorkload[],
  services: readonly KnownService[] = [],
): Promise<SuiteCheck> {
  const docs = await readManifests(suite);
  const allRoutes = routesOf(suite.spec);
  const target = offlineTarget(suite, docs, known);
  const live: string[] = [];
  const steps: CheckedStep[] = [];
  const problems: string[] = [];
  for (const [i, step] of suite.spec.steps.entries()) {
    live.push(...step.apply);
    for (const d of step.delete) live.splice(live.indexOf(d), 1);
    const { world, problems: bad } = worldFromManifests(live.flatMap((f) => docs.get(f) ?? []));
    if (bad.length) {
      problems.push(...bad.map((b) => `steps[${i}] (${step.name}): ${b}`));
      continue;
    }
    const routes = allRoutes[i] ?? [];
    const cases: CheckedRow[] = [];
    for (const [j, e] of step.expect.entries()) {
      const name = expectationName(e);
      const route = routes[j];
      let ends: { source: Identity; target: TargetIdentity; text?: string } = {
        source: INGRESS_GATEWAY,
        target,
      };
      if (route) {
        try {
          ends = offlineRoute(route, docs, known, services, suite.spec.target.namespace);
        } catch (err) {
          if (!(err instanceof RouteError)) throw err;
          // The route is the expectation's own, or the step's default.
          const end = err.field.split('.')[0] as 'from' | 'to';
          const at = e[end] ? `steps[${i}].expect[${j}].${err.field}` : `steps[${i}].${err.field}`;
          problems.push(`${at} (${name}): ${err.message}`);
          continue;
        }
      }
      const a = judgeQueries(
        world,
        ends.target,
        [{ name, method: e.request.method, path: e.request.path }],
        sem,
        () => ends.source,
      )[0]!;
      if (!a.ok) {
        problems.push(`steps[${i}].expect[${j}] (${name}): the oracle cannot judge it: ${a.why}`);
        continue;
      }
      const r = a.result;
      const written = e.verdict ? { verdict: e.verdict, ...(e.layer ? { layer: e.layer } : {}) } : undefined;
      cases.push({
        name,
        ...(ends.text ? { via: ends.text } : {}),
        verdict: r.verdict,
        expected: written ? expectedText(written) : null,
        agrees: written ? agreesWith(written, r.verdict) : null,
        decidedBy: r.decidedBy,
        explanation: `${decidedByText(r)}. ${r.explanation}`,
        ...(route
          ? {
              source: {
                namespace: ends.source.namespace,
                labels: ends.source.labels,
                serviceAccount: ends.source.serviceAccount,
              },
              to: { ...route.to },
            }
          : {}),
      });
    }
    steps.push({ name: step.name, cases });
  }
  if (problems.length) throw new SuiteCheckError(problems);
  return {
    calico: sem.calico,
    suite: suite.spec.name,
    target,
    steps,
    summary: summarise(steps.flatMap((s) => s.cases)),
  };
}

/** The truth table of a checked suite: header, target, one table per step, summary and disagreements. */
export function checkText(report: SuiteCheck, sem: OracleSemantics, file: string): string {
  const t = report.target;
  const labels = Object.entries(t.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const rows = report.steps.flatMap((s) => s.cases);
  const width = Math.min(40, Math.max(4, ...rows.map((c) => c.name.length)));
  const lines = [
    `${semanticsText(sem)}: suite ${report.suite} (${file})`,
    `target ${t.namespace}/${labels || '(no labels)'}, service account ${t.serviceAccount}, port ${t.port} (from ${t.from}); source: the ingress gateway${rows.some((r) => r.via) ? ' unless a row names another' : ''}`,
  ];
  for (const [i, s] of report.steps.entries())
    lines.push('', `step ${i + 1}: ${s.name}`, ...truthTableLines(s.cases, width));
  lines.push('', ...truthTableTail(rows, report.summary));
  return `${lines.join('\n')}\n`;
}
