import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * The Istio ingress gateway of the fake cluster, as a real HTTP server. It answers as the real path
 * does (UPSTREAM.md §6), from what the fake kubectl recorded, without reading the project's catalog:
 * - Felix: a policy selecting the frontend with no Allow rule drops NEW connections; connections
 *   opened before it stay up (conntrack accepts established flows).
 * - The gateway pools upstream connections unless the frontend's DestinationRule sets
 *   `maxRequestsPerConnection: 1`; a request on a pooled connection reaches the sidecar even under a
 *   drop-all policy, where Dikastes denies it (403, empty, from upstream).
 * - A dropped connect times out after the DestinationRule's connect timeout (10 s by default), retried
 *   as the route says (2 retries by default), scaled by the scenario's timeScale.
 * - The frontend's sidecar counts ext_authz outcomes (ok, denied, error) in ext-authz.json beside the
 *   state, which the fake kubectl prints for `pilot-agent request GET stats`.
 */
interface HttpMatch {
  methods?: string[];
  paths?: { exact?: string; prefix?: string }[];
}
interface Rule {
  action?: string;
  http?: HttpMatch;
}
interface Policy {
  metadata?: { name?: string };
  spec?: { order?: number; selector?: string; ingress?: Rule[] };
}
interface FakeState {
  boutique?: boolean;
  istio?: unknown;
  policies?: Record<string, Policy>;
  /** Recorded by the fake kubectl from applied DestinationRules and VirtualServices. */
  routes?: { maxRequestsPerConnection?: number; connectTimeout?: string; retries?: number };
}

export type Counters = { ok: number; denied: number; error: number };
export type Answer = {
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** ms to wait before answering (a connect timeout), already scaled. */
  delayMs?: number;
  /** The ext_authz outcome the sidecar counted, if the request reached it. */
  counted?: keyof Counters;
};

/**
 * Envoy's normalize_path, which Istio turns on for the mesh default (pathNormalization BASE): Chromium's
 * DoPartialPath on the path before `?` (envoy source/common/chromium_url/url_canon_path.cc): `%2e`
 * counts as a dot, `.`/`..` segments resolve, `\` becomes `/`, unreserved escapes are decoded, other
 * escapes kept, characters outside the path set encoded; duplicate slashes stay.
 */
export function envoyCanonicalPath(raw: string): string {
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const query = q === -1 ? '' : raw.slice(q);
  const dotAt = (i: number) => (path[i] === '.' ? 1 : /^%2e$/i.test(path.slice(i, i + 3)) ? 3 : 0);
  const slashAt = (i: number) => path[i] === '/' || path[i] === '\\';
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const dot = dotAt(i);
    if (dot && out.endsWith('/')) {
      const after = i + dot;
      if (after === path.length || slashAt(after)) {
        i = after === path.length ? after - 1 : after;
        continue;
      }
      const dot2 = dotAt(after);
      const after2 = after + dot2;
      if (dot2 && (after2 === path.length || slashAt(after2))) {
        // BackUpToPreviousSlash: never above the first slash.
        const prev = out.slice(0, -1).lastIndexOf('/');
        out = prev === -1 ? '/' : out.slice(0, prev + 1);
        i = after2 === path.length ? after2 - 1 : after2;
        continue;
      }
    }
    if (dot) {
      out += '.';
      i += dot - 1;
      continue;
    }
    const ch = path[i]!;
    if (ch === '\\') out += '/';
    else if (ch === '%' && /^[0-9a-fA-F]{2}$/.test(path.slice(i + 1, i + 3))) {
      const c = String.fromCharCode(parseInt(path.slice(i + 1, i + 3), 16));
      out += /[A-Za-z0-9_~-]/.test(c) ? c : path.slice(i, i + 3);
      i += 2;
    } else if (ch <= ' ' || ch >= '\x7f' || '"#<>^`{|}'.includes(ch))
      out += [...Buffer.from(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    else out += ch;
  }
  return out + query;
}

const versionAtLeast = (v: string, min: string) => {
  const n = (x: string) => x.replace(/^v/, '').split('.').map(Number);
  const [a, b] = [n(v), n(min)];
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

/**
 * Dikastes' path view (calico app-policy/checker/match.go normalizeHTTPPath, v3.31.6 and v3.32.1):
 * query cut, one decode (Go url.PathUnescape; a bad escape refuses), surviving %2e/%2f/%5c or NUL
 * refuse, `\` folds to `/`, `;` parameters stripped per segment, then path.Clean. undefined = refused.
 */
function dikastesPath(p: string): string | undefined {
  const cut = p.search(/[?#]/);
  const raw = cut === -1 ? p : p.slice(0, cut);
  if (/%(?![0-9a-fA-F]{2})/.test(raw)) return undefined;
  const decoded = Buffer.from(
    raw.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('latin1');
  if (/%(2e|2f|5c)/i.test(decoded) || decoded.includes('\0')) return undefined;
  const slashed = decoded.replace(/\\/g, '/');
  if (!slashed.startsWith('/')) return undefined;
  const parts: string[] = [];
  for (const seg of slashed.split('/').map((x) => x.split(';')[0]!)) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

/** Does a rule's http clause match? Before v3.31.6 Dikastes compares the raw path (query and fragment cut). */
function matches(http: HttpMatch | undefined, method: string, path: string, calico: string): boolean {
  if (!http) return true;
  const m = !http.methods?.length || http.methods.some((x) => x === '*' || x === method);
  if (!m) return false;
  if (!http.paths?.length) return true;
  if (!versionAtLeast(calico, 'v3.31.6')) {
    const clean = path.split('?')[0]!.split('#')[0]!;
    return http.paths.some((x) =>
      x.exact !== undefined ? clean === x.exact : x.prefix !== undefined && clean.startsWith(x.prefix),
    );
  }
  const req = dikastesPath(path);
  if (req === undefined) return false;
  return http.paths.some((x) => {
    const rule = dikastesPath(x.exact ?? x.prefix ?? '');
    if (rule === undefined) return false;
    if (x.exact !== undefined) return req === rule;
    return rule === '/' || req === rule || req.startsWith(`${rule}/`);
  });
}

const seconds = (d: string | undefined, fallback: number) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(d ?? '');
  return m ? (m[2] === 'ms' ? Number(m[1]) / 1000 : Number(m[1])) : fallback;
};

/** The gateway's memory between requests: whether an upstream connection to the frontend is pooled. */
export interface GatewayMemory {
  pooled: boolean;
}

export function decide(
  state: FakeState,
  scenario: Record<string, unknown>,
  method: string,
  path: string,
  memory: GatewayMemory = { pooled: false },
): Answer {
  const envoy = { server: 'istio-envoy' };
  const upstream = { ...envoy, 'x-envoy-upstream-service-time': '3' };
  // A gateway (or whatever answers in its place) whose body is written to be obeyed by the runner.
  if (typeof scenario.hostileBody === 'string')
    return { status: 503, body: scenario.hostileBody, headers: envoy };
  if (!state.boutique || scenario.rolloutNeverCompletes)
    return { status: 503, body: 'no healthy upstream', headers: envoy };
  const timeScale = Number(scenario.timeScale ?? 0.001);
  const routes = state.routes ?? {};
  const oneRequestPerConnection = routes.maxRequestsPerConnection === 1;
  // Calico orders a tier's policies by order (unset last), then name (felix/calc/policy_sorter.go).
  const policies = Object.values(state.policies ?? {})
    .filter((p) => String(p.spec?.selector ?? '').includes("'frontend'"))
    .sort(
      (a, b) =>
        (a.spec?.order ?? Infinity) - (b.spec?.order ?? Infinity) ||
        String(a.metadata?.name ?? '').localeCompare(String(b.metadata?.name ?? '')),
    );
  // Felix ignores http: the first rule that is not Log decides the connection; none ends the tier in a drop.
  const felix = policies.flatMap((p) => p.spec?.ingress ?? []).find((r) => r.action !== 'Log');
  const l4Drop = policies.length > 0 && felix?.action !== 'Allow';
  const calico = String(scenario.calicoRunning ?? 'v3.32.1');
  // calico#11857: every tag v3.30.0 … v3.31.7 answers every Check with UNKNOWN, Envoy denies (UPSTREAM.md §1).
  const defect = versionAtLeast(calico, 'v3.30.0') && !versionAtLeast(calico, 'v3.32.0');
  const reusing = memory.pooled && !oneRequestPerConnection;
  if (l4Drop && !reusing) {
    const retries = routes.retries ?? 2;
    const timeoutS = seconds(routes.connectTimeout, 10);
    return {
      status: 503,
      body: `upstream connect error or disconnect/reset before headers. ${retries > 0 ? 'retried and the latest reset reason' : 'reset reason'}: connection timeout`,
      headers: envoy,
      delayMs: (1 + retries) * timeoutS * 1000 * timeScale,
    };
  }
  if (!oneRequestPerConnection) memory.pooled = true;
  // The request reached the frontend's sidecar: ext_authz asks Dikastes.
  const denied = { status: 403, body: '', headers: upstream };
  // Dikastes unreachable (or slower than ext_authz's 200 ms): Envoy fails closed and counts an error.
  const unreachableWith = scenario.dikastesUnreachableWith;
  if (
    scenario.dikastesUnreachable ||
    (typeof unreachableWith === 'string' && state.policies?.[unreachableWith])
  )
    return { ...denied, counted: 'error' };
  if (scenario.denyAll || defect) return { ...denied, counted: 'denied' };
  // The sidecar normalises the path (Istio's mesh default BASE) before ext_authz.
  const seen = envoyCanonicalPath(path);
  const page = {
    status: 200,
    body: '<html><title>Online Boutique</title></html>',
    headers: { ...upstream, 'content-type': 'text/html' },
    counted: 'ok' as const,
  };
  if (policies.length === 0) return page;
  for (const p of policies) {
    for (const r of p.spec?.ingress ?? []) {
      if (r.action === 'Log' || !matches(r.http, method, seen, calico)) continue;
      if (r.action === 'Allow') return page;
      if (r.action === 'Deny') return { ...denied, counted: 'denied' };
    }
  }
  return { ...denied, counted: 'denied' };
}

export const COUNTERS_FILE = 'ext-authz.json';

function count(stateDir: string, outcome: keyof Counters): void {
  const file = join(stateDir, COUNTERS_FILE);
  const now: Counters = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Counters)
    : { ok: 0, denied: 0, error: 0 };
  now[outcome]++;
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(now));
  renameSync(`${file}.tmp`, file);
}

export async function startGateway(
  scenarioFile: string,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const memory: GatewayMemory = { pooled: false };
  const server = createServer((req, res) => {
    const scenario = JSON.parse(readFileSync(scenarioFile, 'utf8')) as Record<string, unknown>;
    const stateDir = String(scenario.stateDir);
    const file = join(stateDir, 'state.json');
    const state = (
      existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : (scenario.initialState ?? {})
    ) as FakeState;
    const a = decide(state, scenario, req.method ?? 'GET', req.url ?? '/', memory);
    if (a.counted) count(stateDir, a.counted);
    req.resume();
    const answer = () => {
      res.writeHead(a.status, { 'content-length': Buffer.byteLength(a.body), ...a.headers });
      res.end(a.body);
    };
    if (a.delayMs) setTimeout(answer, a.delayMs);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
