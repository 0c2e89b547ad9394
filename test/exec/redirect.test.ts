import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer as createHttps, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedirectRefusedError, undiciFetcher } from '../../src/exec/fetch.js';
import { selfSignedCert } from '../support/tls.js';
import { startServer, type TestServer } from '../tools/http-server.js';

const BODY = 'binary';
const sha = createHash('sha256').update(BODY).digest('hex');

describe('redirects', () => {
  let http: TestServer;
  let https: Server;
  let httpsUrl: string;
  let dir: string;
  let agent: Agent;

  beforeAll(async () => {
    const { key, cert } = selfSignedCert();
    http = await startServer();
    http.route('/evil', { body: BODY });
    https = createHttps({ key, cert }, (req, res) => {
      if (req.url === '/down') res.writeHead(302, { location: `${http.url}/evil` }).end();
      else if (req.url === '/same') res.writeHead(301, { location: '/file' }).end();
      else if (req.url === '/file') res.writeHead(200, { 'content-length': BODY.length }).end(BODY);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    httpsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    agent = new Agent({ connect: { ca: cert } });
    dir = await mkdtemp(join(tmpdir(), 'cic-redirect-'));
  });
  afterAll(async () => {
    await http.close();
    https.closeAllConnections();
    await new Promise<void>((r) => https.close(() => r()));
    await agent.close();
    await rm(dir, { recursive: true, force: true });
  });

  const fetcher = () => undiciFetcher({ retries: 0, retryDelayMs: 1, dispatcher: agent });

  it('refuses an https download redirected to http, before asking the http host', async () => {
    const err = await fetcher()
      .fetchToFile(`${httpsUrl}/down`, join(dir, 'f'), { sha256: sha, signal: AbortSignal.timeout(10_000) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedirectRefusedError);
    expect((err as Error).message).toContain('from https to http');
    expect((err as Error).message).toContain(`${http.url}/evil`);
    expect(http.requests).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('follows a redirect that stays on https', async () => {
    const got = await fetcher().fetchToFile(`${httpsUrl}/same`, join(dir, 'ok'), {
      sha256: sha,
      signal: AbortSignal.timeout(10_000),
    });
    expect(got.sha256).toBe(sha);
    await rm(join(dir, 'ok'));
  });
});
