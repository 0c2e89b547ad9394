import type { ExpectationResult } from '../result/schema.js';

/** Envoy's ext_authz outcome counters (envoy http ext_authz filter stats). */
export const EXT_AUTHZ_COUNTERS = ['ok', 'denied', 'error', 'failure_mode_allowed'] as const;
export type ExtAuthzCounter = (typeof EXT_AUTHZ_COUNTERS)[number];

/** The inbound ext_authz counters of the target pods, summed, or why they could not be read. */
export type StatsSnapshot =
  | {
      readonly ok: true;
      readonly counters: Readonly<Record<ExtAuthzCounter, number>>;
      readonly lines: string[];
    }
  | { readonly ok: false; readonly why: string };

/** Reads the target pods' counters (kubectl exec … pilot-agent request GET stats, or a fake). */
export interface EnvoyStatsReader {
  read(signal: AbortSignal): Promise<StatsSnapshot>;
}

const STAT_LINE = /^(\S+)\.ext_authz\.(ok|denied|error|failure_mode_allowed)\s*:\s*(\d+)\s*$/;

/**
 * Sums the inbound ext_authz counters in Envoy's `stats` text. The exact prefix depends on the Istio
 * version (`http.inbound_0.0.0.0_8080.` or, newer, `http.inbound_0.0.0.0_8080;.`, and a
 * `cluster.inbound|8080||;.` family: istio pilot/pkg/networking/core/cluster_test.go, 1.28.1), so
 * only the `ext_authz.<counter>` suffix is matched. The HTTP filter's `http.` family is preferred (one
 * count per request); other inbound families count only when it is absent. Raw lines are kept.
 */
export function parseExtAuthzStats(text: string): {
  counters: Record<ExtAuthzCounter, number>;
  lines: string[];
} {
  const families = new Map<string, { line: string; counter: ExtAuthzCounter; value: number }[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = STAT_LINE.exec(line);
    if (!m || !m[1]!.includes('inbound')) continue;
    const family = m[1]!.startsWith('http.') ? 'http' : 'other';
    const list = families.get(family) ?? [];
    list.push({ line, counter: m[2] as ExtAuthzCounter, value: Number(m[3]) });
    families.set(family, list);
  }
  const chosen = families.get('http') ?? families.get('other') ?? [];
  const counters = { ok: 0, denied: 0, error: 0, failure_mode_allowed: 0 };
  for (const c of chosen) counters[c.counter] += c.value;
  return { counters, lines: chosen.map((c) => c.line) };
}

export function sumSnapshots(
  parts: readonly { counters: Record<ExtAuthzCounter, number>; lines: string[] }[],
) {
  const counters = { ok: 0, denied: 0, error: 0, failure_mode_allowed: 0 };
  for (const p of parts) for (const k of EXT_AUTHZ_COUNTERS) counters[k] += p.counters[k];
  return { counters, lines: parts.flatMap((p) => p.lines) };
}

export const DIKASTES_FAULT = "Dikastes unreachable or slower than ext_authz's timeout";

type Evidence = NonNullable<ExpectationResult['envoy']>;

/**
 * What the counters say about one expectation, measured over its step. A deny at L7 stands only if
 * `denied` grew; `error` growth without it is a Dikastes fault (unreachable, or slower than ext_authz's
 * 200 ms default: Calico's EnvoyFilter sets no timeout), never a policy decision. Unread counters leave
 * the verdict to the response, marked "not confirmed by Envoy".
 */
export function judgeWithCounters(
  r: ExpectationResult,
  before: StatsSnapshot,
  after: StatsSnapshot,
): { result: ExpectationResult; evidence: Evidence } {
  if (!before.ok || !after.ok) {
    const why = !before.ok ? before.why : !after.ok ? after.why : '';
    return { result: r, evidence: { status: 'unread', note: `not confirmed by Envoy: ${why}` } };
  }
  const deltas = Object.fromEntries(
    EXT_AUTHZ_COUNTERS.map((k) => [k, Math.max(0, after.counters[k] - before.counters[k])]),
  ) as Record<ExtAuthzCounter, number>;
  const base = { deltas, lines: after.lines.slice(0, 20) };
  const l7 = r.observed?.verdict === 'denied-l7';
  if (!l7) return { result: r, evidence: { status: 'confirmed', ...base } };
  if (deltas.denied > 0) {
    const note =
      deltas.error > 0
        ? `ext_authz.error also grew by ${deltas.error}: some 403s may be Dikastes faults`
        : undefined;
    return { result: r, evidence: { status: 'confirmed', ...base, ...(note ? { note } : {}) } };
  }
  const cause =
    deltas.error > 0
      ? `${DIKASTES_FAULT}: ext_authz.error grew by ${deltas.error} and ext_authz.denied did not`
      : 'ext_authz.denied did not grow: the 403 did not come from a Dikastes decision';
  const status = r.status === 'pass' ? 'fail' : r.status;
  return {
    result: { ...r, status, message: r.message ? `${r.message}; ${cause}` : cause },
    evidence: { status: 'contradicted', ...base, note: cause },
  };
}
