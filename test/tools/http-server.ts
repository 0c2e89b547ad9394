import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the test server answers one path. */
export interface Route {
  readonly body: Buffer | string;
  /** Answer these statuses first (one per request), then the body. */
  readonly failFirst?: readonly number[];
  /** Send only this many bytes while announcing the full content-length, then cut the socket. */
  readonly truncateTo?: number;
  /** Truncate only the first N answers (default: all). */
  readonly truncateTimes?: number;
}

export interface TestServer {
  readonly url: string;
  /** Every request path seen, in order. */
  readonly requests: string[];
  route(path: string, r: Route): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (random port); unknown paths are 404. */
export async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Route & { seen: number }>();
  const requests: string[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    requests.push(path);
    const r = routes.get(path);
    if (!r) {
      res.writeHead(404).end('not found');
      return;
    }
    const n = r.seen++;
    const fail = r.failFirst?.[n];
    if (fail !== undefined) {
      res.writeHead(fail).end(`status ${fail}`);
      return;
    }
    const body = Buffer.from(r.body);
    res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
    if (r.truncateTo !== undefined && n < (r.truncateTimes ?? Infinity)) {
      res.write(body.subarray(0, r.truncateTo), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    route: (path, r) => routes.set(path, { ...r, seen: 0 }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
