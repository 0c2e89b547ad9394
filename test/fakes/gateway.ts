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

function matches(http: HttpMatch | undefined, method: string, path: string): boolean {
  if (!http) return true;
  const m = !http.methods?.length || http.methods.includes(method);
  const clean = path.split('?')[0] ?? path;
  const p =
    !http.paths?.length ||
    http.paths.some((x) =>
      x.exact !== undefined
        ? clean === x.exact
        : x.prefix !== undefined &&
          (clean === x.prefix || clean.startsWith(x.prefix.endsWith('/') ? x.prefix : `${x.prefix}/`)),
    );
  return m && p;
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
  const policies = Object.values(state.policies ?? {})
    .filter((p) => String(p.spec?.selector ?? '').includes("'frontend'"))
    .sort((a, b) => (a.spec?.order ?? 1e9) - (b.spec?.order ?? 1e9));
  const l4Drop =
    policies.length > 0 && !policies.some((p) => (p.spec?.ingress ?? []).some((r) => r.action === 'Allow'));
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
  if (scenario.denyAll) return { ...denied, counted: 'denied' };
  const page = {
    status: 200,
    body: '<html><title>Online Boutique</title></html>',
    headers: { ...upstream, 'content-type': 'text/html' },
    counted: 'ok' as const,
  };
  if (policies.length === 0) return page;
  for (const p of policies) {
    for (const r of p.spec?.ingress ?? []) {
      if (!matches(r.http, method, path)) continue;
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
