import type { Observation } from '../result/schema.js';
import { classifyResponse, DEFAULT_CONTEXT, isRelevantHeader, type ClassifyContext } from './classify.js';
import type { ProbeRequest, Prober } from './prober.js';

/**
 * Probes from inside the mesh: one `curl` per request, run by `kubectl exec` in a source pod, so the
 * request leaves through that pod's own Istio sidecar (its identity, its outbound route). What comes
 * back is read like a gateway answer (UPSTREAM.md §6 "The request path"), the client's sidecar standing
 * where the gateway stood:
 * - a Felix drop is a connect timeout the client's sidecar answers itself: 503 `upstream connect error
 *   or disconnect/reset before headers. … connection timeout` (response flag UF, URX once retries
 *   are spent), without `x-envoy-upstream-service-time`;
 * - a Dikastes denial is the target sidecar's ext_authz 403 with an empty body, passed through by the
 *   client's sidecar (whose router adds `x-envoy-upstream-service-time`: the upstream answered).
 */

/** What one exec gave: the remote command's exit code (kubectl passes it on), its output, or a timeout. */
export interface ExecOutcome {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Runs argv in the source pod's client container, bounded by `timeoutMs` and the signal. */
export type SourceExec = (
  argv: readonly string[],
  timeoutMs: number,
  signal: AbortSignal,
) => Promise<ExecOutcome>;

export interface ExecProberOptions {
  /** `http://<service>.<namespace>.svc.cluster.local:<port>`. */
  readonly baseUrl: string;
  readonly exec: SourceExec;
  /** curl's bound on one request (`--max-time`); kubectl exec gets `EXEC_MARGIN_MS` more. */
  readonly timeoutMs: number;
  /** The client binary and its exit code for "operation timed out" (plan facts). */
  readonly client: { readonly binary: string; readonly timeoutExit: number };
  readonly classify?: ClassifyContext;
  readonly excerptBytes?: number;
}

/** kubectl's own round trip to the API server and the kubelet, on top of curl's bound. */
export const EXEC_MARGIN_MS = 15_000;
const MARKER = '__cic_probe__';
const DEFAULT_EXCERPT_BYTES = 512;

/**
 * curl's argv: fixed flags, the request as separate arguments (no shell). `--include` puts the status
 * line and headers before the body; `--write-out` ends the output with the status and the time, and
 * curl writes it even when the transfer fails (then the status is 000). No `--fail`: a 403 or 503 is
 * an answer to read, not an error.
 */
export function curlArgv(binary: string, url: string, req: ProbeRequest, timeoutMs: number): string[] {
  const headers = Object.entries(req.headers ?? {}).flatMap(([k, v]) => ['--header', `${k}: ${v}`]);
  return [
    binary,
    '--silent',
    '--show-error',
    '--include',
    '--max-time',
    (timeoutMs / 1000).toFixed(3),
    '--request',
    req.method,
    ...headers,
    '--write-out',
    `\\n${MARKER}:%{http_code}:%{time_total}\\n`,
    '--url',
    url,
  ];
}

interface Parsed {
  readonly status: number;
  readonly timeS: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** `--include` output with the write-out trailer → status, headers (lower-case), body; undefined without the trailer. */
export function parseCurlOutput(stdout: string): Parsed | undefined {
  const at = stdout.lastIndexOf(`\n${MARKER}:`);
  if (at < 0) return undefined;
  const [code, time] = stdout
    .slice(at + MARKER.length + 2)
    .trim()
    .split(':');
  let rest = stdout.slice(0, at);
  let headers: Record<string, string> = {};
  // Interim 1xx blocks come first; the last header block before the body is the answer's.
  for (;;) {
    const m = /^HTTP\/[\d.]+ (\d{3})[^\n]*\n/.exec(rest);
    if (!m) break;
    const end = rest.search(/\r?\n\r?\n/);
    const block = end < 0 ? rest : rest.slice(0, end);
    rest = end < 0 ? '' : rest.slice(end).replace(/^\r?\n\r?\n/, '');
    headers = {};
    for (const line of block.split(/\r?\n/).slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (!m[1]!.startsWith('1')) break;
  }
  return { status: Number(code), timeS: Number(time), headers, body: rest };
}

const relevant = (h: Record<string, string>) =>
  Object.fromEntries(Object.entries(h).filter(([k]) => isRelevantHeader(k)));

/** Why curl gave no answer, by its exit code (curl's `CURLE_*` numbers). */
function curlFailure(exit: number | null, stderr: string, timeoutMs: number, timeoutExit: number): string {
  const said =
    stderr
      .replace(/command terminated with exit code \d+/, '')
      .trim()
      .split('\n')[0] ?? '';
  if (exit === timeoutExit) return `no response within ${timeoutMs} ms (probe timeout)`;
  switch (exit) {
    case 6:
      return `the source could not resolve the target's name (${said})`;
    case 7:
      return `the source could not connect: is its Istio sidecar running? (${said})`;
    case 52:
    case 56:
      return `the connection was reset before an answer (${said})`;
    default:
      return `curl exit ${exit ?? 'unknown'}: ${said || 'no error output'}`;
  }
}

/** One observation from one exec; reasons worded for the client's sidecar, which stands where the gateway stood. */
export function observe(
  out: ExecOutcome,
  timeoutMs: number,
  opts: Pick<ExecProberOptions, 'classify' | 'client' | 'excerptBytes'>,
  latencyMs: number,
): Omit<Observation, 'at'> {
  if (out.timedOut)
    return {
      verdict: 'unavailable',
      latencyMs,
      reason: `kubectl exec gave no answer in time (probe timeout ${timeoutMs} ms)`,
    };
  const parsed = parseCurlOutput(out.stdout);
  if (!parsed) {
    const why = out.stderr.trim().split('\n')[0] || `exit ${out.exitCode ?? 'unknown'}`;
    return { verdict: 'unavailable', latencyMs, reason: `kubectl exec into the source failed: ${why}` };
  }
  if (parsed.status === 0)
    return {
      verdict: 'unavailable',
      latencyMs,
      reason: curlFailure(out.exitCode, out.stderr, timeoutMs, opts.client.timeoutExit),
    };
  const excerpt = Buffer.from(parsed.body, 'utf8')
    .subarray(0, opts.excerptBytes ?? DEFAULT_EXCERPT_BYTES)
    .toString('utf8');
  const c = classifyResponse(
    {
      status: parsed.status,
      headers: parsed.headers,
      body: parsed.body,
      bodyBytes: Buffer.byteLength(parsed.body),
      latencyMs: Number.isFinite(parsed.timeS) ? parsed.timeS * 1000 : latencyMs,
    },
    opts.classify ?? DEFAULT_CONTEXT,
  );
  return {
    verdict: c.verdict,
    status: parsed.status,
    bodyExcerpt: excerpt,
    headers: relevant(parsed.headers),
    latencyMs,
    ...(c.reason
      ? {
          reason: c.reason
            .replace(/\bthe gateway\b/g, "the client's sidecar")
            .replace(/\bgateway\b/g, 'client sidecar'),
        }
      : {}),
  };
}

export function createExecProber(opts: ExecProberOptions): Prober {
  if (!(opts.timeoutMs > 0)) throw new Error(`probe timeout must be positive, got ${opts.timeoutMs}`);
  return {
    async probe(req, outer) {
      const signal = outer ?? new AbortController().signal;
      signal.throwIfAborted();
      const at = new Date().toISOString();
      const started = performance.now();
      const argv = curlArgv(opts.client.binary, `${opts.baseUrl}${req.path}`, req, opts.timeoutMs);
      const out = await opts.exec(argv, opts.timeoutMs + EXEC_MARGIN_MS, signal);
      signal.throwIfAborted();
      return { ...observe(out, opts.timeoutMs, opts, Math.round(performance.now() - started)), at };
    },
    async close() {},
  };
}
