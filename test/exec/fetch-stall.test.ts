import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { undiciFetcher } from '../../src/exec/fetch.js';

/** A server that sends headers and a few bytes, then nothing: a stalled mirror. */
async function stallingServer() {
  const open: ServerResponse[] = [];
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    open.push(res);
    res.writeHead(200, { 'content-length': '1000000' });
    res.write('x'.repeat(10));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/f`,
    requests: () => requests,
    close: async () => {
      for (const r of open) r.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let dir: string;
let server: Awaited<ReturnType<typeof stallingServer>>;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cic-stall-'));
  server = await stallingServer();
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('undiciFetcher on a stalled download', () => {
  it('ends each stalled attempt at the stall bound, retries, then gives up naming the stall; no file left', async () => {
    const fetcher = undiciFetcher({ retries: 1, retryDelayMs: 1, stallMs: 100 });
    const err = await fetcher
      .fetchToFile(server.url, join(dir, 'f'), { signal: new AbortController().signal })
      .then(
        () => new Error('the download succeeded'),
        (e: unknown) => e as Error,
      );
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/stalled, no bytes for 0\.1 s \(gave up after 2 attempts\)/);
    expect(server.requests()).toBe(2);
    expect(await readdir(dir)).toEqual([]);
  });

  it('the overall bound ends the download even when bytes keep the stall bound at bay', async () => {
    const fetcher = undiciFetcher({ retries: 5, retryDelayMs: 1, stallMs: 60_000, totalMs: 150 });
    const err = await fetcher
      .fetchToFile(server.url, join(dir, 'f'), { signal: new AbortController().signal })
      .then(
        () => new Error('the download succeeded'),
        (e: unknown) => e as Error,
      );
    expect(err.message).toBe(`GET ${server.url}: no complete download within 0.15 s`);
    expect(await readdir(dir)).toEqual([]);
  });
});
