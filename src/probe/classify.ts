import type { ProbeVerdictT } from '../result/schema.js';

/** What the prober saw on the wire, before any judgement. Header names are lower-case. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The first bytes of the body as text (the prober bounds it). */
  readonly body: string;
  /** Total body size in bytes, as far as it was read. */
  readonly bodyBytes: number;
  /** How long the answer took: a connect timeout takes at least the route's connect timeout. */
  readonly latencyMs?: number;
}

export interface Classification {
  readonly verdict: ProbeVerdictT;
  /** Why: for `unavailable` and `denied-mesh` the named cause; for `denied-l4` the gateway's reset reason. */
  readonly reason?: string;
}

/**
 * What the classifier must know about the cluster: how Felix denies (FelixConfiguration
 * `iptablesFilterDenyAction` / `nftablesFilterDenyAction`: Drop by default, or Reject), and the route's
 * connect timeout (an older Envoy reports a connect timeout as a bare "connection failure").
 */
export interface ClassifyContext {
  readonly denyAction: 'drop' | 'reject';
  readonly connectTimeoutMs?: number;
}

export const DEFAULT_CONTEXT: ClassifyContext = { denyAction: 'drop' };

/** Envoy's body for a failed or reset upstream connection. */
export const UPSTREAM_RESET_PREFIX = 'upstream connect error or disconnect/reset before headers';
export const NO_HEALTHY_UPSTREAM = 'no healthy upstream';
/** Istio AuthorizationPolicy's denial body: an Istio verdict, never a Calico one. */
export const ISTIO_RBAC_DENIED = 'RBAC: access denied';

/** Headers kept in an observation: enough to tell the gateway's own answers from the app's. */
export function isRelevantHeader(name: string): boolean {
  return (
    name === 'server' ||
    name === 'content-type' ||
    name === 'content-length' ||
    name === 'www-authenticate' ||
    name.startsWith('x-envoy-') ||
    name.startsWith('x-ratelimit')
  );
}

/**
 * Envoy's router adds `x-envoy-upstream-service-time` to every response an upstream produced, and
 * never to a reply it generates itself (no route, no healthy upstream, a failed upstream connect).
 * Behind the gateway the upstream is the target's sidecar: its ext_authz 403 carries the header too.
 */
function upstreamAnswered(h: Readonly<Record<string, string>>): boolean {
  return h['x-envoy-upstream-service-time'] !== undefined;
}

/** The reset reason after Envoy's prefix, e.g. "retried and the latest reset reason: connection timeout". */
function resetReason(body: string): string {
  return body
    .slice(UPSTREAM_RESET_PREFIX.length)
    .replace(/^[\s.,:]+/, '')
    .trim();
}

const unavailable = (reason: string): Classification => ({ verdict: 'unavailable', reason });
const mesh = (reason: string): Classification => ({ verdict: 'denied-mesh', reason });

/**
 * A failed upstream connect, by Envoy's reset reason (UPSTREAM.md §6 "The request path"). Only a
 * timeout is Felix's drop; a refusal is Felix only when it rejects; everything else is the mesh or
 * the app.
 */
function classifyReset(r: RawResponse, ctx: ClassifyContext): Classification {
  const reason = resetReason(r.body.trimStart());
  const lower = reason.toLowerCase();
  const shown = `${r.status}: ${reason || 'no reason given'}`;
  if (upstreamAnswered(r.headers))
    return unavailable(`503 from upstream, not the gateway (the target's sidecar or app: ${shown})`);
  if (lower.includes('overflow')) return unavailable(`gateway circuit breaker overflow (${shown})`);
  if (lower.includes('tls_error') || lower.includes('tls error') || lower.includes('certificate'))
    return unavailable(`mTLS handshake failed: a TLS mismatch in the mesh, not a policy (${shown})`);
  if (lower.includes('connection termination'))
    return unavailable(`connection terminated by the peer: plaintext into a STRICT mTLS peer? (${shown})`);
  if (lower.includes('remote reset') || lower.includes('local reset') || lower.includes('refused stream'))
    return unavailable(`stream reset: the app or its sidecar dropped the request (${shown})`);
  if (lower.includes('connection timeout')) return { verdict: 'denied-l4', reason };
  const refused = lower.includes('connect error: 111') || lower.includes('connection refused');
  if (refused) {
    return ctx.denyAction === 'reject'
      ? { verdict: 'denied-l4', reason: `${reason} (Felix rejects denied connections)` }
      : unavailable(`connection refused: nothing listening (Felix drops, it never refuses) (${shown})`);
  }
  // Envoy before the `connection timeout` reset reason called a connect timeout a connection failure:
  // only its duration tells a drop from a fast failure.
  const timedOut =
    ctx.connectTimeoutMs !== undefined &&
    r.latencyMs !== undefined &&
    r.latencyMs >= ctx.connectTimeoutMs * 0.9;
  if (lower.includes('connection failure') && !lower.includes('transport failure reason') && timedOut)
    return {
      verdict: 'denied-l4',
      reason: `${reason} after ${Math.round(r.latencyMs!)} ms (a connect timeout)`,
    };
  return unavailable(`upstream connect failed: ${shown}`);
}

/**
 * Classifies one gateway response. Only blames Calico for Calico: an empty 403 (ext_authz, whatever
 * the `server` header) is `denied-l7`; a gateway-generated connect timeout is `denied-l4`; Istio's own
 * denials are `denied-mesh`; everything the app answered is `allowed`; the rest is `unavailable`.
 */
export function classifyResponse(r: RawResponse, ctx: ClassifyContext = DEFAULT_CONTEXT): Classification {
  const body = r.body.trimStart();
  const empty = r.bodyBytes === 0;

  if (r.status === 403 && body.startsWith(ISTIO_RBAC_DENIED))
    return mesh(`403 "${ISTIO_RBAC_DENIED}": an Istio AuthorizationPolicy denied it, not Calico`);
  if (r.status === 401 && (body.startsWith('Jwt') || /^bearer\b/i.test(r.headers['www-authenticate'] ?? '')))
    return mesh(
      `401 ${body.slice(0, 60) || 'Bearer'}: an Istio RequestAuthentication refused it, not Calico`,
    );
  if (r.status === 429)
    return mesh(`429 ${body.slice(0, 60) || 'rate limited'}: a rate limit in the mesh, not Calico`);
  // Dikastes' PERMISSION_DENIED carries no body; Envoy's ext_authz turns it into a bare 403.
  if (r.status === 403 && empty) return { verdict: 'denied-l7' };

  if (body.startsWith(UPSTREAM_RESET_PREFIX)) return classifyReset(r, ctx);
  if (r.status === 503 && body.startsWith(NO_HEALTHY_UPSTREAM))
    return unavailable('no healthy upstream: the target has no ready endpoint');
  if (r.status === 502) return unavailable('bad gateway (502)');

  // Envoy's "no route" is an empty 404 it writes itself; an app's 404 has a body or the upstream header.
  if (r.status === 404 && empty && !upstreamAnswered(r.headers))
    return unavailable('no route: the gateway has no route for this host and path (404)');
  if ((r.status === 503 || r.status === 504) && !upstreamAnswered(r.headers))
    return unavailable(`gateway error ${r.status}: ${body.slice(0, 80) || 'empty body'}`);
  // A 503 an upstream produced with no page is the target's sidecar failing, not the app answering.
  if (r.status === 503 && empty) return unavailable('empty 503 from upstream: the target sidecar failed');
  return { verdict: 'allowed' };
}

/** Transport failures between us and the gateway: never a verdict on policy. */
export function classifyError(err: unknown, timeoutMs: number, timedOut: boolean): Classification {
  if (timedOut) return unavailable(`no response within ${timeoutMs} ms (probe timeout)`);
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ECONNREFUSED':
      return unavailable(`connection refused by the gateway (${message})`);
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return unavailable(`connection reset by the gateway (${message})`);
    case 'UND_ERR_CONNECT_TIMEOUT':
      return unavailable(`could not connect to the gateway in time (${message})`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return unavailable(`gateway host not resolved (${message})`);
    default:
      return unavailable(`request failed: ${code ? `${code} ` : ''}${message}`);
  }
}

export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
