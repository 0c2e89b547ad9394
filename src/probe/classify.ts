import type { ProbeVerdictT } from '../result/schema.js';

/** What the prober saw on the wire, before any judgement. Header names are lower-case. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The first bytes of the body as text (the prober bounds it). */
  readonly body: string;
  /** Total body size in bytes, as far as it was read. */
  readonly bodyBytes: number;
}

export interface Classification {
  readonly verdict: ProbeVerdictT;
  /** Why: for `unavailable` what made it no verdict; for `denied-l4` the gateway's reset reason. */
  readonly reason?: string;
}

/** Envoy's body for a failed or reset upstream connection (the only L4 signature a client sees). */
export const UPSTREAM_RESET_PREFIX = 'upstream connect error or disconnect/reset before headers';
export const NO_HEALTHY_UPSTREAM = 'no healthy upstream';
/** Istio AuthorizationPolicy's denial body: an Istio verdict, never a Calico one. */
export const ISTIO_RBAC_DENIED = 'RBAC: access denied';

/** Reset reasons that mean "the pod could not be reached": Felix dropping (timeout) or rejecting (refused, reset). */
const L4_RESET_REASONS = [
  'connection failure',
  'connection termination',
  'connection timeout',
  'remote reset',
  'local reset',
  'remote connection failure',
  'local connection failure',
  'delayed connect error',
];

/** Headers kept in an observation: enough to tell the gateway's own answers from the app's. */
export function isRelevantHeader(name: string): boolean {
  return (
    name === 'server' || name === 'content-type' || name === 'content-length' || name.startsWith('x-envoy-')
  );
}

function fromEnvoy(h: Readonly<Record<string, string>>): boolean {
  const server = (h.server ?? '').trim().toLowerCase();
  return server === 'istio-envoy' || server === 'envoy';
}

/**
 * Envoy's router adds `x-envoy-upstream-service-time` to every response an upstream produced, and never to
 * a reply it generates itself (no route, ext_authz denial, no healthy upstream).
 */
function upstreamAnswered(h: Readonly<Record<string, string>>): boolean {
  return h['x-envoy-upstream-service-time'] !== undefined;
}

/** The reset reason after Envoy's prefix, e.g. "reset reason: connection failure". */
function resetReason(body: string): string {
  return body
    .slice(UPSTREAM_RESET_PREFIX.length)
    .replace(/^[\s.,:]+/, '')
    .trim();
}

/**
 * Classifies one gateway response (UPSTREAM.md §1 Dikastes, §2 client view of ext_authz).
 * Order matters: the gateway's own signatures first, then "the app answered".
 */
export function classifyResponse(r: RawResponse): Classification {
  const body = r.body.trimStart();
  const envoy = fromEnvoy(r.headers);
  const empty = r.bodyBytes === 0;

  if (body.startsWith(ISTIO_RBAC_DENIED)) {
    return {
      verdict: 'unavailable',
      reason: `${r.status} "${ISTIO_RBAC_DENIED}": an Istio AuthorizationPolicy denied it, not Calico`,
    };
  }
  // Dikastes' PERMISSION_DENIED carries no body; Envoy turns it into a bare 403.
  if (r.status === 403 && empty && envoy) return { verdict: 'denied-l7' };

  if (body.startsWith(UPSTREAM_RESET_PREFIX)) {
    const reason = resetReason(body);
    const lower = reason.toLowerCase();
    if (lower.includes('overflow')) {
      return { verdict: 'unavailable', reason: `gateway circuit breaker overflow (${r.status}: ${reason})` };
    }
    if (L4_RESET_REASONS.some((k) => lower.includes(k))) {
      return { verdict: 'denied-l4', reason: reason || 'upstream connect error' };
    }
    return {
      verdict: 'unavailable',
      reason: `upstream reset with an unrecognised reason (${r.status}: ${reason || 'none given'})`,
    };
  }
  if (r.status === 503 && body.startsWith(NO_HEALTHY_UPSTREAM)) {
    return { verdict: 'unavailable', reason: 'no healthy upstream: the target has no ready endpoint' };
  }
  if (r.status === 502) return { verdict: 'unavailable', reason: 'bad gateway (502)' };

  // A 404 with an empty body from Envoy and no upstream timing header is Envoy's "no route": the
  // VirtualService does not match the Host/path. An app's 404 has a body (Online Boutique renders an
  // error page) or, passing through Envoy, carries x-envoy-upstream-service-time.
  if (r.status === 404 && empty && envoy && !upstreamAnswered(r.headers)) {
    return {
      verdict: 'unavailable',
      reason: 'no route: the gateway has no route for this host and path (404)',
    };
  }
  // Other 5xx the gateway wrote itself (upstream request timeout, overload) are no verdict either.
  if ((r.status === 503 || r.status === 504) && envoy && !upstreamAnswered(r.headers)) {
    return {
      verdict: 'unavailable',
      reason: `gateway error ${r.status}: ${body.slice(0, 80) || 'empty body'}`,
    };
  }
  return { verdict: 'allowed' };
}

/** Transport failures between us and the gateway: never a verdict on policy. */
export function classifyError(err: unknown, timeoutMs: number, timedOut: boolean): Classification {
  if (timedOut)
    return { verdict: 'unavailable', reason: `no response within ${timeoutMs} ms (probe timeout)` };
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ECONNREFUSED':
      return { verdict: 'unavailable', reason: `connection refused by the gateway (${message})` };
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return { verdict: 'unavailable', reason: `connection reset by the gateway (${message})` };
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { verdict: 'unavailable', reason: `could not connect to the gateway in time (${message})` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { verdict: 'unavailable', reason: `gateway host not resolved (${message})` };
    default:
      return { verdict: 'unavailable', reason: `request failed: ${code ? `${code} ` : ''}${message}` };
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
