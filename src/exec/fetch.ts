import { TransientFetchError } from './fetch-errors.js';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReadStream } from 'node:fs';
import { EnvHttpProxyAgent, fetch, type Dispatcher } from 'undici';
import { sleep } from '../util/sleep.js';

export interface Fetcher {
  /** Downloads url to dest (atomically); with sha256, dest only appears when the digest matches. */
  fetchToFile(
    url: string,
    dest: string,
    opts: { sha256?: string; signal: AbortSignal },
  ): Promise<{ sha256: string; bytes: number }>;
}

/** The download is not what its published checksum says: never retried, never used. */
export class ChecksumMismatchError extends Error {
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`sha256 mismatch for ${url}: expected ${expected}, got ${actual}; the download was removed`);
    this.name = 'ChecksumMismatchError';
  }
}

export { TransientFetchError };

const RETRY_STATUS = (s: number): boolean => s >= 500 || s === 408 || s === 429;
const SHA256_RE = /^[0-9a-f]{64}$/;

function reason(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
}

/** Self-hosted runners behind a proxy: honour HTTP(S)_PROXY / NO_PROXY when set. */
function proxyDispatcher(): Dispatcher | undefined {
  const e = process.env;
  const set = e.HTTPS_PROXY || e.https_proxy || e.HTTP_PROXY || e.http_proxy;
  return set ? new EnvHttpProxyAgent() : undefined;
}

/** A redirect that would lower the transport's security, or one too many: never followed. */
export class RedirectRefusedError extends Error {
  override name = 'RedirectRefusedError';
}

const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/** GET with redirects followed by hand, so an https download can never continue over http. */
async function get(
  url: string,
  signal: AbortSignal,
  dispatcher: Dispatcher | undefined,
  extraHeaders: Readonly<Record<string, string>> = {},
): Promise<Awaited<ReturnType<typeof fetch>>> {
  let current = url;
  for (let hops = 0; ; hops++) {
    let res;
    // A credential goes only to the origin it was meant for, never along a redirect to another.
    const sameOrigin = new URL(current).origin === new URL(url).origin;
    const headers = Object.fromEntries(
      Object.entries(extraHeaders).filter(([k]) => sameOrigin || k.toLowerCase() !== 'authorization'),
    );
    try {
      // identity: so content-length is the size of the bytes we hash.
      res = await fetch(current, {
        signal,
        redirect: 'manual',
        headers: { ...headers, 'accept-encoding': 'identity' },
        ...(dispatcher ? { dispatcher } : {}),
      });
    } catch (e) {
      if (signal.aborted) throw e;
      throw new TransientFetchError(`GET ${current}: ${reason(e)}`);
    }
    const location = res.headers.get('location');
    if (!REDIRECT_STATUS.has(res.status) || !location) return res;
    await res.body?.cancel().catch(() => undefined);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new Error(
        `GET ${current}: HTTP ${res.status} to an invalid location ${JSON.stringify(location)}`,
      );
    }
    if (new URL(current).protocol === 'https:' && next.protocol !== 'https:') {
      throw new RedirectRefusedError(
        `GET ${url}: ${current} redirects to ${next.href}, from https to ${next.protocol.slice(0, -1)}; refused (a download never loses TLS on the way)`,
      );
    }
    if (hops + 1 >= MAX_REDIRECTS) {
      throw new RedirectRefusedError(`GET ${url}: more than ${MAX_REDIRECTS} redirects; refused`);
    }
    current = next.href;
  }
}
/** No byte for this long (headers included): the attempt is a stalled one. */
const DEFAULT_STALL_MS = 60_000;
/** Every attempt of one download together. */
const DEFAULT_TOTAL_MS = 10 * 60_000;

async function download(
  url: string,
  dest: string,
  outer: AbortSignal,
  dispatcher: Dispatcher | undefined,
  stallMs = DEFAULT_STALL_MS,
): Promise<{ sha256: string; bytes: number }> {
  // A server that stops sending ends the attempt (transient) instead of holding it forever.
  const stall = new AbortController();
  let timer = setTimeout(() => stall.abort(), stallMs);
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), stallMs);
  };
  const signal = AbortSignal.any([outer, stall.signal]);
  try {
    return await downloadOnce(url, dest, signal, dispatcher, alive);
  } catch (e) {
    if (stall.signal.aborted && !outer.aborted)
      throw new TransientFetchError(`GET ${url}: stalled, no bytes for ${stallMs / 1000} s`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Streams chunks into dest, hashing them on the way; a failed read destroys the half-written file's
 * stream and throws what `failed` makes of the error and the bytes written so far.
 */
async function writeHashed(
  dest: string,
  chunks: AsyncIterable<Uint8Array>,
  failed: (e: unknown, bytes: number) => Error,
  onChunk: () => void = () => undefined,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const out = createWriteStream(dest, { mode: 0o644 });
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
  });
  try {
    for await (const buf of chunks) {
      onChunk();
      hash.update(buf);
      bytes += buf.byteLength;
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  } catch (e) {
    out.destroy();
    await closed.catch(() => undefined);
    throw failed(e, bytes);
  }
  out.end();
  await closed;
  return { sha256: hash.digest('hex'), bytes };
}

/** A user's local build (`file:///…`): copied and hashed like a download; a missing file is no transient. */
function copyLocal(url: string, dest: string): Promise<{ sha256: string; bytes: number }> {
  const path = fileURLToPath(url);
  return writeHashed(
    dest,
    createReadStream(path),
    (e) => new Error(`read ${path}: ${reason(e)}`, { cause: e }),
  );
}

async function downloadOnce(
  url: string,
  dest: string,
  signal: AbortSignal,
  dispatcher: Dispatcher | undefined,
  alive: () => void,
): Promise<{ sha256: string; bytes: number }> {
  const res = await get(url, signal, dispatcher);
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    const msg = `GET ${url}: HTTP ${res.status} ${res.statusText}`.trim();
    throw RETRY_STATUS(res.status) ? new TransientFetchError(msg) : new Error(msg);
  }
  alive();
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const lengthHeader = res.headers.get('content-length');
  const expectedBytes = lengthHeader !== null && !encoded ? Number(lengthHeader) : undefined;
  const { sha256, bytes } = await writeHashed(
    dest,
    res.body,
    (e, written) =>
      signal.aborted
        ? (e as Error)
        : new TransientFetchError(`GET ${url}: body interrupted after ${written} bytes: ${reason(e)}`),
    alive,
  );
  if (expectedBytes !== undefined && Number.isFinite(expectedBytes) && bytes !== expectedBytes) {
    throw new TransientFetchError(
      `GET ${url}: truncated download: ${bytes} of ${expectedBytes} bytes (content-length)`,
    );
  }
  return { sha256, bytes };
}

export function undiciFetcher(
  opts: {
    retries?: number;
    retryDelayMs?: number;
    dispatcher?: Dispatcher;
    stallMs?: number;
    totalMs?: number;
  } = {},
): Fetcher {
  const retries = opts.retries ?? 3;
  const delay = opts.retryDelayMs ?? 2_000;
  const totalMs = opts.totalMs ?? DEFAULT_TOTAL_MS;
  const dispatcher = opts.dispatcher ?? proxyDispatcher();
  return {
    async fetchToFile(url, dest, { sha256, signal: outer }) {
      // One bound over every attempt and back-off of this download.
      const total = AbortSignal.timeout(totalMs);
      const signal = AbortSignal.any([outer, total]);
      const expected = sha256?.toLowerCase();
      if (expected !== undefined && !SHA256_RE.test(expected)) {
        throw new Error(`fetch ${url}: --sha256 must be 64 hex digits, got ${JSON.stringify(sha256)}`);
      }
      await mkdir(dirname(dest), { recursive: true });
      for (let attempt = 0; ; attempt++) {
        const tmp = `${dest}.part-${randomBytes(4).toString('hex')}`;
        try {
          const got = url.startsWith('file:')
            ? await copyLocal(url, tmp)
            : await download(url, tmp, signal, dispatcher, opts.stallMs);
          if (expected !== undefined && got.sha256 !== expected) {
            throw new ChecksumMismatchError(url, expected, got.sha256);
          }
          await rename(tmp, dest);
          return got;
        } catch (e) {
          await rm(tmp, { force: true });
          if (total.aborted && !outer.aborted)
            throw new Error(`GET ${url}: no complete download within ${totalMs / 1000} s`, { cause: e });
          if (!(e instanceof TransientFetchError) || signal.aborted) throw e;
          if (attempt >= retries) {
            throw new TransientFetchError(`${e.message} (gave up after ${attempt + 1} attempts)`, {
              cause: e,
            });
          }
          try {
            await sleep(delay * 2 ** attempt, signal);
          } catch (e2) {
            if (total.aborted && !outer.aborted)
              throw new Error(`GET ${url}: no complete download within ${totalMs / 1000} s`, { cause: e2 });
            throw e2;
          }
        }
      }
    },
  };
}

/** One GET whose body is read into memory (release feeds, files to hash): bounded in time and size. */
export interface HttpGetOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** The whole request, body included. */
  readonly timeoutMs: number;
  /** A larger body is refused (default 64 MiB). */
  readonly maxBytes?: number;
  readonly dispatcher?: Dispatcher;
}

export type HttpGet = (url: string, opts: HttpGetOptions) => Promise<{ status: number; body: Buffer }>;

/** GET with the same redirect rules as downloads (https never continues over http); any status is returned. */
export const httpGet: HttpGet = async (url, opts) => {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const max = opts.maxBytes ?? 64 * 1024 * 1024;
  try {
    const res = await get(url, signal, opts.dispatcher ?? proxyDispatcher(), opts.headers);
    const chunks: Buffer[] = [];
    let bytes = 0;
    if (res.body) {
      for await (const chunk of res.body) {
        bytes += (chunk as Uint8Array).byteLength;
        if (bytes > max) {
          await res.body.cancel().catch(() => undefined);
          throw new Error(`GET ${url}: body larger than ${max} bytes; refused`);
        }
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
    }
    return { status: res.status, body: Buffer.concat(chunks) };
  } catch (e) {
    if (timeout.aborted && !opts.signal?.aborted)
      throw new Error(`GET ${url}: no answer within ${opts.timeoutMs / 1000} s`, { cause: e });
    throw e;
  }
};
