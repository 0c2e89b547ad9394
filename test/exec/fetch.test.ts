import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumMismatchError, undiciFetcher } from '../../src/exec/fetch.js';
import { startServer, type TestServer } from '../tools/http-server.js';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const BODY = Buffer.from('x'.repeat(200_000));

let server: TestServer;
let dir: string;
beforeEach(async () => {
  server = await startServer();
  dir = await mkdtemp(join(tmpdir(), 'cic-fetch-'));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const fetcher = undiciFetcher({ retries: 2, retryDelayMs: 10 });
const signal = (): AbortSignal => AbortSignal.timeout(10_000);

describe('undiciFetcher', () => {
  it('downloads, hashes and verifies, creating parent directories', async () => {
    server.route('/f', { body: BODY });
    const dest = join(dir, 'a/b/f');
    const got = await fetcher.fetchToFile(`${server.url}/f`, dest, { sha256: sha(BODY), signal: signal() });
    expect(got).toEqual({ sha256: sha(BODY), bytes: BODY.length });
    expect((await readFile(dest)).equals(BODY)).toBe(true);
    expect(await readdir(join(dir, 'a/b'))).toEqual(['f']);
  });

  it('refuses a checksum mismatch: names url, expected and got, leaves no file, does not retry', async () => {
    server.route('/f', { body: BODY });
    const wrong = sha('something else');
    const dest = join(dir, 'f');
    const err = await fetcher
      .fetchToFile(`${server.url}/f`, dest, { sha256: wrong, signal: signal() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as Error).message).toContain(`${server.url}/f`);
    expect((err as Error).message).toContain(`expected ${wrong}`);
    expect((err as Error).message).toContain(`got ${sha(BODY)}`);
    expect(await readdir(dir)).toEqual([]);
    expect(server.requests).toEqual(['/f']);
  });

  it('retries 500, 429 and 408, then succeeds', async () => {
    server.route('/f', { body: BODY, failFirst: [500, 429, 408] });
    const got = await undiciFetcher({ retries: 3, retryDelayMs: 10 }).fetchToFile(
      `${server.url}/f`,
      join(dir, 'f'),
      { signal: signal() },
    );
    expect(got.bytes).toBe(BODY.length);
    expect(server.requests).toEqual(['/f', '/f', '/f', '/f']);
  });

  it('does not retry a 404 and says which URL and status', async () => {
    await expect(
      fetcher.fetchToFile(`${server.url}/missing`, join(dir, 'f'), { signal: signal() }),
    ).rejects.toThrow(/missing: HTTP 404/);
    expect(server.requests).toEqual(['/missing']);
  });

  it('detects a truncated body, retries it, and gives up with a clear error', async () => {
    server.route('/f', { body: BODY, truncateTo: 1000 });
    const err = await fetcher
      .fetchToFile(`${server.url}/f`, join(dir, 'f'), { signal: signal() })
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/truncated|interrupted|terminated|closed/i);
    expect(server.requests).toHaveLength(3);
    expect(await readdir(dir)).toEqual([]);
  });

  it('recovers when only the first body was truncated', async () => {
    server.route('/f', { body: BODY, truncateTo: 10, truncateTimes: 1 });
    const got = await fetcher.fetchToFile(`${server.url}/f`, join(dir, 'f'), {
      sha256: sha(BODY),
      signal: signal(),
    });
    expect(got.sha256).toBe(sha(BODY));
    expect(server.requests).toEqual(['/f', '/f']);
  });

  it('rejects a malformed --sha256 before any request', async () => {
    server.route('/f', { body: BODY });
    await expect(
      fetcher.fetchToFile(`${server.url}/f`, join(dir, 'f'), { sha256: 'abc', signal: signal() }),
    ).rejects.toThrow(/64 hex digits/);
    expect(server.requests).toEqual([]);
  });

  it('stops when the signal aborts', async () => {
    server.route('/f', { body: BODY, failFirst: [503, 503, 503] });
    const slow = undiciFetcher({ retries: 5, retryDelayMs: 5_000 });
    const t0 = performance.now();
    await expect(
      slow.fetchToFile(`${server.url}/f`, join(dir, 'f'), { signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    expect(performance.now() - t0).toBeLessThan(3_000);
  });
});
