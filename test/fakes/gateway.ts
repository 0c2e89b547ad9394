import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * The Istio ingress gateway of the fake cluster, as a real HTTP server: it answers as Envoy would in
 * front of Dikastes, following the Calico policies the fake kubectl recorded (L4: a selecting policy
 * with no Allow rule drops the connection; L7: the first matching Allow rule lets a request through,
 * anything else is a 403 with an empty body).
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
}

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

export type Answer = { status: number; body: string; headers?: Record<string, string> };

export function decide(
  state: FakeState,
  scenario: Record<string, unknown>,
  method: string,
  path: string,
): Answer {
  const envoy = { server: 'istio-envoy' };
  // A gateway (or whatever answers in its place) whose body is written to be obeyed by the runner.
  if (typeof scenario.hostileBody === 'string')
    return { status: 503, body: scenario.hostileBody, headers: envoy };
  if (!state.boutique || scenario.rolloutNeverCompletes)
    return { status: 503, body: 'no healthy upstream', headers: envoy };
  if (scenario.denyAll) return { status: 403, body: '', headers: envoy };
  const policies = Object.values(state.policies ?? {})
    .filter((p) => String(p.spec?.selector ?? '').includes("'frontend'"))
    .sort((a, b) => (a.spec?.order ?? 1e9) - (b.spec?.order ?? 1e9));
  const page = {
    status: 200,
    body: '<html><title>Online Boutique</title></html>',
    headers: { ...envoy, 'content-type': 'text/html' },
  };
  if (policies.length === 0) return page;
  const l4 = policies.some((p) => (p.spec?.ingress ?? []).some((r) => r.action === 'Allow'));
  if (!l4)
    return {
      status: 503,
      body: 'upstream connect error or disconnect/reset before headers. reset reason: connection timeout',
      headers: envoy,
    };
  for (const p of policies) {
    for (const r of p.spec?.ingress ?? []) {
      if (!matches(r.http, method, path)) continue;
      if (r.action === 'Allow') return page;
      if (r.action === 'Deny') return { status: 403, body: '', headers: envoy };
    }
  }
  return { status: 403, body: '', headers: envoy };
}

export async function startGateway(
  scenarioFile: string,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const scenario = JSON.parse(readFileSync(scenarioFile, 'utf8')) as Record<string, unknown>;
    const stateDir = String(scenario.stateDir);
    const file = join(stateDir, 'state.json');
    const state = (
      existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : (scenario.initialState ?? {})
    ) as FakeState;
    const a = decide(state, scenario, req.method ?? 'GET', req.url ?? '/');
    req.resume();
    res.writeHead(a.status, { 'content-length': Buffer.byteLength(a.body), ...a.headers });
    res.end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
