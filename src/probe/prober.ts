import { Pool } from 'undici';
import type { Observation } from '../result/schema.js';
import {
  classifyError,
  classifyResponse,
  DEFAULT_CONTEXT,
  errorCode,
  isRelevantHeader,
  type ClassifyContext,
} from './classify.js';

export interface ProbeRequest {
  readonly method: string;
  /** Path with optional query, starting with `/`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Prober {
  /** One request, classified. Never throws for transport trouble (that is `unavailable`); rejects only when `signal` aborts. */
  probe(req: ProbeRequest, signal?: AbortSignal): Promise<Observation>;
  close(): Promise<void>;
}

export interface ProberOptions {
  /** Gateway base URL (scheme, host, port; a path prefix is prepended to every request path). */
  readonly baseUrl: string;
  /** Host header sent with every request (the VirtualService host), unless a request sets its own. */
  readonly host?: string;
  /** Our own bound on one request, headers and body. Must exceed the gateway's upstream connect timeout. */
  readonly timeoutMs?: number;
  /** Bytes of body kept for the excerpt. */
  readonly excerptBytes?: number;
  /** Concurrent keep-alive connections to the gateway. */
  readonly connections?: number;
  /** What the classifier knows of the cluster (Felix's deny action, the route's connect timeout). */
  readonly classify?: ClassifyContext;
}

/**
 * For a route the harness does not own: Istio retries a failed connect twice by default
 * (pilot/pkg/networking/core/route/retry/retry.go, 1.28.1) and its connect timeout is 10 s
 * (pkg/config/mesh/mesh.go), so a Felix drop surfaces after (1 + 2) × 10 s; 5 s of margin on top.
 * The harness's own route is faster and the plan derives its timeout (facts.route).
 */
export const DEFAULT_PROBE_TIMEOUT_MS = 35_000;
const DEFAULT_EXCERPT_BYTES = 512;
/** Bodies are read to the end (so the connection can be reused) up to this size, then the connection is dropped. */
const MAX_BODY_BYTES = 1 << 20;

class ProbeTimeout extends Error {
  constructor(ms: number) {
    super(`probe timeout after ${ms} ms`);
    this.name = 'ProbeTimeout';
  }
}

export function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(
      `gateway URL ${JSON.stringify(baseUrl)} is not a URL; expected e.g. http://127.0.0.1:30080`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`gateway URL ${JSON.stringify(baseUrl)} must use http or https, not ${url.protocol}`);
  }
  if (url.search || url.hash) {
    throw new Error(`gateway URL ${JSON.stringify(baseUrl)} must not carry a query or fragment`);
  }
  return url;
}

/** Joins the base URL's path prefix and a request path without doubling slashes. */
export function joinPath(prefix: string, path: string): string {
  const p = prefix.replace(/\/+$/, '');
  return `${p}${path.startsWith('/') ? path : `/${path}`}`;
}

function pickHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const name = k.toLowerCase();
    if (v === undefined || !isRelevantHeader(name)) continue;
    out[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function allHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** A socket error on a kept-alive connection the gateway had already closed; worth one fresh attempt. */
function isStaleSocket(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** Prober over one undici keep-alive pool to the gateway. */
export function createProber(opts: ProberOptions): Prober {
  const base = parseBaseUrl(opts.baseUrl);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new Error(`probe timeout must be positive, got ${timeoutMs}`);
  const excerptBytes = opts.excerptBytes ?? DEFAULT_EXCERPT_BYTES;
  const pool = new Pool(base.origin, {
    connections: opts.connections ?? 8,
    keepAliveTimeout: 4000,
    keepAliveMaxTimeout: 30_000,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  const context = opts.classify ?? DEFAULT_CONTEXT;

  async function once(req: ProbeRequest, signal: AbortSignal, started: number): Promise<Observation> {
    const headers: Record<string, string> = {};
    if (opts.host) headers.host = opts.host;
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    const res = await pool.request({
      path: joinPath(base.pathname, req.path),
      method: req.method as 'GET',
      headers,
      signal,
    });
    const chunks: Buffer[] = [];
    let kept = 0;
    let total = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (kept < excerptBytes) {
        const part = chunk.subarray(0, excerptBytes - kept);
        chunks.push(part);
        kept += part.length;
      }
      if (total > MAX_BODY_BYTES) {
        res.body.destroy();
        break;
      }
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const raw = allHeaders(res.headers);
    const c = classifyResponse(
      {
        status: res.statusCode,
        headers: raw,
        body: text,
        bodyBytes: total,
        latencyMs: performance.now() - started,
      },
      context,
    );
    return {
      verdict: c.verdict,
      status: res.statusCode,
      bodyExcerpt: text,
      headers: pickHeaders(res.headers),
      latencyMs: 0,
      ...(c.reason ? { reason: c.reason } : {}),
    };
  }

  return {
    async probe(req, outer) {
      outer?.throwIfAborted();
      const at = new Date().toISOString();
      const started = performance.now();
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(new ProbeTimeout(timeoutMs)), timeoutMs);
      const onOuter = () => ctl.abort(outer?.reason);
      outer?.addEventListener('abort', onOuter, { once: true });
      try {
        let obs: Observation;
        try {
          obs = await once(req, ctl.signal, started);
        } catch (err) {
          if (outer?.aborted) throw outer.reason;
          if (!ctl.signal.aborted && isStaleSocket(err)) obs = await once(req, ctl.signal, performance.now());
          else throw err;
        }
        return { ...obs, latencyMs: Math.round(performance.now() - started), at };
      } catch (err) {
        if (outer?.aborted) throw outer.reason;
        const timedOut = ctl.signal.reason instanceof ProbeTimeout;
        const c = classifyError(err, timeoutMs, timedOut);
        return {
          verdict: c.verdict,
          latencyMs: Math.round(performance.now() - started),
          ...(c.reason ? { reason: c.reason } : {}),
          at,
        };
      } finally {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onOuter);
      }
    },
    async close() {
      await pool.close().catch(() => pool.destroy());
    },
  };
}
