import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Real node:http servers on 127.0.0.1 that answer like an Istio ingress gateway would. */
export interface TestServer {
  readonly url: string;
  readonly server: Server;
  /** TCP connections accepted so far (keep-alive reuse shows as few). */
  connections(): number;
  requests(): number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function startServer(handler: Handler): Promise<TestServer> {
  let conns = 0;
  let reqs = 0;
  const server = createServer((req, res) => {
    reqs++;
    handler(req, res);
  });
  server.on('connection', () => conns++);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    connections: () => conns,
    requests: () => reqs,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ENVOY = { server: 'istio-envoy' };

/** Dikastes said PERMISSION_DENIED: Envoy's bare 403. */
export const extAuthzDenied: Handler = (_req, res) => {
  res.writeHead(403, { ...ENVOY, 'content-length': '0' });
  res.end();
};

export const upstreamReset =
  (reason: string): Handler =>
  (_req, res) => {
    const body = `upstream connect error or disconnect/reset before headers. ${reason}`;
    res.writeHead(503, { ...ENVOY, 'content-type': 'text/plain', 'content-length': String(body.length) });
    res.end(body);
  };

/** Felix dropped the SYN: the gateway's connect timed out on every attempt (UPSTREAM.md §6). */
export const L4_REASONS = [
  'reset reason: connection timeout',
  'retried and the latest reset reason: connection timeout',
];

/** Upstream connect failures that are the mesh's or the app's, never Calico's (UPSTREAM.md §6). */
export const MESH_FAULT_REASONS = [
  'reset reason: connection termination',
  'reset reason: remote reset',
  'reset reason: connection failure, transport failure reason: TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end',
  'retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: 111',
];

export const noHealthyUpstream: Handler = (_req, res) => {
  res.writeHead(503, { ...ENVOY, 'content-type': 'text/plain' });
  res.end('no healthy upstream');
};

export const noRoute: Handler = (_req, res) => {
  res.writeHead(404, { ...ENVOY, 'content-length': '0' });
  res.end();
};

export const badGateway: Handler = (_req, res) => {
  res.writeHead(502, ENVOY);
  res.end();
};

export const istioRbacDenied: Handler = (_req, res) => {
  res.writeHead(403, { ...ENVOY, 'content-type': 'text/plain' });
  res.end('RBAC: access denied');
};

/** The app behind Envoy answered with `status` (Envoy adds its timing header to upstream answers). */
export const app =
  (status: number, body = `<html>app ${status}</html>`): Handler =>
  (req, res) => {
    res.writeHead(status, {
      ...ENVOY,
      'content-type': 'text/html',
      'x-envoy-upstream-service-time': '3',
      'x-seen-host': req.headers.host ?? '',
    });
    res.end(body);
  };

export const slow =
  (delayMs: number): Handler =>
  (_req, res) => {
    const t = setTimeout(() => res.end('late'), delayMs);
    res.on('close', () => clearTimeout(t));
  };

export const resetConnection: Handler = (req) => {
  req.socket.destroy();
};

/** Denies (bare 403) until `now()` reaches `flipAt`, then lets the app answer; tests pass a virtual clock. */
export function flipping(
  flipAt: number,
  before: Handler = extAuthzDenied,
  after: Handler = app(200),
  now: () => number = () => performance.now(),
): Handler {
  return (req, res) => (now() >= flipAt ? after(req, res) : before(req, res));
}

/** Denies (bare 403) the first `count` requests, then lets the app answer: a flip on an event, not a time. */
export function flippingAfter(
  count: number,
  before: Handler = extAuthzDenied,
  after: Handler = app(200),
): Handler {
  let seen = 0;
  return (req, res) => (++seen > count ? after(req, res) : before(req, res));
}

/** Alternates between allow and deny every `periodMs` of `now()`. */
export function flapping(
  periodMs: number,
  now: () => number = () => performance.now(),
  start = now(),
): Handler {
  return (req, res) =>
    Math.floor((now() - start) / periodMs) % 2 === 0 ? app(200)(req, res) : extAuthzDenied(req, res);
}
