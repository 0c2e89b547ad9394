import type { EnvoyStatsReader, StatsSnapshot } from '../suite/envoy-evidence.js';
import { parseExtAuthzStats, sumSnapshots } from '../suite/envoy-evidence.js';
import type { Kubectl } from './kubectl.js';
import { firstLine, livePods, matchesLabels, podsOf } from './objects.js';

export interface StatsTarget {
  readonly namespace: string;
  readonly selector?: string;
  /** Pods never counted (the harness's gateway canary). */
  readonly exclude: Readonly<Record<string, string>>;
  /** The sidecar container and the command that prints Envoy's stats (`pilot-agent request GET stats`). */
  readonly container: string;
  readonly command: readonly string[];
}

/**
 * The target pods' inbound ext_authz counters, summed, through `kubectl exec <pod> -c istio-proxy --
 * pilot-agent request GET stats` (UPSTREAM.md §6). No exec permission, no pods or no matching stats:
 * a snapshot saying why, so the suite marks denials "not confirmed by Envoy".
 */
export function kubectlEnvoyStats(kubectl: Kubectl, t: StatsTarget): EnvoyStatsReader {
  return {
    async read(signal): Promise<StatsSnapshot> {
      const pods = await kubectl.getJson(
        ['get', 'pods', '-n', t.namespace, ...(t.selector ? ['-l', t.selector] : [])],
        signal,
      );
      if (!pods.ok) return { ok: false, why: `could not list the target pods: ${firstLine(pods.error)}` };
      const live = livePods(podsOf(pods.value)).filter((p) => !matchesLabels(p, t.exclude));
      if (live.length === 0) return { ok: false, why: 'no target pods' };
      const parts = [];
      for (const p of live) {
        const got = await kubectl.exec(p.metadata.name, t.container, t.namespace, t.command, signal);
        if (!got.ok) return { ok: false, why: `${p.metadata.name}: ${firstLine(got.error)}` };
        const parsed = parseExtAuthzStats(String(got.value));
        if (parsed.lines.length === 0)
          return {
            ok: false,
            why: `${p.metadata.name}: no inbound ext_authz stats (is proxyStatsMatcher keeping them?)`,
          };
        parts.push(parsed);
      }
      return { ok: true, ...sumSnapshots(parts) };
    },
  };
}
