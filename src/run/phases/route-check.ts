import type { Kubectl } from '../../kube/kubectl.js';
import { asObject } from '../../kube/objects.js';
import type { RouteOnCluster } from '../../plan/types.js';

/**
 * connectTimeout in ms, for the forms that can equal the rendered "2s" ("2s", "2.0s", "2000ms"); any
 * other duration (CEL `duration(self)` accepts Go durations: crd-all.gen.yaml @ 1.28.1) is a change.
 */
function durationMs(v: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(String(v ?? '').trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
}

const shown = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));
const sameList = (a: unknown, b: string) =>
  typeof a === 'string' &&
  [...new Set(a.split(',').map((x) => x.trim()))].sort().join(',') === b.split(',').sort().join(',');

const path = (v: unknown, keys: readonly string[]): unknown =>
  keys.reduce<unknown>((o, k) => (Array.isArray(o) ? (o[Number(k)] as unknown) : asObject(o)?.[k]), v);

/** One field the route facts rest on: where it sits and whether the cluster's value is the same. */
interface Field {
  readonly path: readonly string[];
  readonly want: unknown;
  readonly same: (got: unknown) => boolean;
}

function mismatches(label: string, obj: unknown, fields: readonly Field[]): string[] {
  return fields.flatMap((f) => {
    const got = path(obj, f.path);
    return f.same(got)
      ? []
      : [`${label}: ${f.path.join('.')} is ${shown(got)}, the route assumes ${shown(f.want)}`];
  });
}

/**
 * With `harness-workload`, the route facts (connect timeout, retries, one request per connection) are
 * those of the harness's own DestinationRule and VirtualService; this reads both back and lists every
 * way the cluster differs (missing object, changed field). Empty: the route is as the plan assumes.
 */
export async function routeProblems(
  k: Kubectl,
  want: RouteOnCluster,
  signal: AbortSignal,
): Promise<string[]> {
  const { namespace: ns, destinationRule: dr, virtualService: vs } = want;
  const problems: string[] = [];

  const drLabel = `DestinationRule ${ns}/${dr.name}`;
  const gotDr = await k.getJson(['get', 'destinationrule', dr.name, '-n', ns], signal);
  if (!gotDr.ok) problems.push(`${drLabel} is not on the cluster (${gotDr.error})`);
  else {
    const pool = ['spec', 'trafficPolicy', 'connectionPool'];
    problems.push(
      ...mismatches(drLabel, gotDr.value, [
        {
          path: [...pool, 'tcp', 'connectTimeout'],
          want: dr.connectTimeout,
          same: (got) => durationMs(got) !== undefined && durationMs(got) === durationMs(dr.connectTimeout),
        },
        {
          path: [...pool, 'http', 'maxRequestsPerConnection'],
          want: dr.maxRequestsPerConnection,
          same: (got) => got === dr.maxRequestsPerConnection,
        },
      ]),
    );
  }

  const vsLabel = `VirtualService ${ns}/${vs.name}`;
  const gotVs = await k.getJson(['get', 'virtualservice', vs.name, '-n', ns], signal);
  if (!gotVs.ok) problems.push(`${vsLabel} is not on the cluster (${gotVs.error})`);
  else {
    // The harness renders one HTTP route; its retries are what the facts count.
    problems.push(
      ...mismatches(vsLabel, gotVs.value, [
        {
          path: ['spec', 'http', '0', 'retries', 'attempts'],
          want: vs.retries.attempts,
          same: (got) => got === vs.retries.attempts,
        },
        {
          path: ['spec', 'http', '0', 'retries', 'retryOn'],
          want: vs.retries.retryOn,
          same: (got) => sameList(got, vs.retries.retryOn),
        },
      ]),
    );
  }
  return problems;
}
