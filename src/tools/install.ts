import * as tc from '@actions/tool-cache';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  access,
  chmod,
  constants,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  stat,
} from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Arch, ToolName, ToolSource } from '../catalog/tools.js';
import type { MirrorRule } from '../config/cell-config.js';
import { ChecksumMismatchError, type Fetcher } from '../exec/fetch.js';
import type { Log } from '../exec/log.js';
import type { ProcessRunner } from '../exec/process.js';
import type { ToolResultSchema } from '../result/schema.js';
import { PINNED_TOOL_SHA256, pinKey } from './checksums.js';
import { parseVersion, stripV } from '../util/version.js';
import type { z } from 'zod';

export type { Arch, ToolName };
export type ToolResult = z.infer<typeof ToolResultSchema>;

/** Where verified binaries live between runs. */
export interface ToolCache {
  /** Absolute binary path, when this tool, version and arch were stored before. */
  find(tool: ToolName, version: string, arch: Arch): Promise<string | undefined>;
  /** Copies a verified binary in; returns its absolute path in the cache. */
  store(tool: ToolName, version: string, arch: Arch, binaryPath: string): Promise<string>;
}

export interface InstallOptions {
  readonly arch: Arch;
  readonly mirrors: readonly MirrorRule[];
  readonly cache: ToolCache;
  /** Use the tool on PATH when its version matches. */
  readonly fromPath: boolean;
  readonly fetcher: Fetcher;
  readonly runner: ProcessRunner;
  readonly log: Log;
  readonly signal: AbortSignal;
  /** Where downloads are staged (default: the OS temp dir). */
  readonly tmpDir?: string;
  /** PATH to search when fromPath (default: process.env.PATH). */
  readonly pathEnv?: string;
  /** Pinned digests (default: the catalog's PINNED_TOOL_SHA256). */
  readonly pins?: Readonly<Record<string, string>>;
  /**
   * Where each tool comes from, as the plan names it (plan.tools, already through the mirrors): the
   * installer looks nothing up itself.
   */
  readonly sourceOf: (tool: ToolName, version: string, arch: Arch) => ToolSource;
}

/** A tool could not be installed; says which, which version, and why. */
export class ToolInstallError extends Error {
  override name = 'ToolInstallError';
}

const VERSION_TIMEOUT_MS = 15_000;

export function hostArch(): Arch {
  switch (process.arch) {
    case 'x64':
      return 'amd64';
    case 'arm64':
      return 'arm64';
    default:
      throw new Error(
        `unsupported host architecture ${process.arch}: kind, kubectl and istioctl are fetched for amd64 or arm64`,
      );
  }
}

/** The version as each tool's release URLs spell it: kind and kubectl `vX.Y.Z`, istioctl `X.Y.Z`. */
export function releaseVersion(tool: ToolName, version: string): string {
  return tool === 'istioctl' ? stripV(version) : `v${stripV(version)}`;
}

interface PathCheck {
  readonly argv: readonly string[];
  /** The version the tool reports, from its output. */
  parse(stdout: string): string | undefined;
  /** Whether a reported version will do for the wanted one. */
  accepts(found: string, wanted: string): boolean;
}

const sameMinor = (a: string, b: string): boolean => {
  const pa = parseVersion(stripV(a).split(/[-+]/)[0]!);
  const pb = parseVersion(stripV(b).split(/[-+]/)[0]!);
  return !!pa && !!pb && pa.major === pb.major && pa.minor === pb.minor;
};
const exact = (a: string, b: string): boolean => stripV(a) === stripV(b);

function jsonField(stdout: string, ...path: string[]): string | undefined {
  try {
    let v: unknown = JSON.parse(stdout);
    for (const p of path) v = (v as Record<string, unknown> | undefined)?.[p];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** How to ask a tool on PATH for its version, and what counts as a match. */
const PATH_CHECKS: Record<ToolName, PathCheck> = {
  kind: {
    // `kind v0.32.0 go1.24.2 linux/amd64`
    argv: ['version'],
    parse: (out) => /^kind\s+(v\d+\.\d+\.\d+\S*)/m.exec(out)?.[1],
    accepts: exact,
  },
  kubectl: {
    argv: ['version', '--client', '-o', 'json'],
    parse: (out) => jsonField(out, 'clientVersion', 'gitVersion'),
    // kubectl supports one minor of skew either way; the same minor is the safe choice.
    accepts: sameMinor,
  },
  istioctl: {
    argv: ['version', '--remote=false', '-o', 'json'],
    parse: (out) => jsonField(out, 'clientVersion', 'version') ?? /(\d+\.\d+\.\d+[^\s"]*)/.exec(out)?.[1],
    accepts: exact,
  },
};

async function onPath(tool: string, pathEnv: string): Promise<string | undefined> {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, tool);
    try {
      await access(p, constants.X_OK);
      if ((await stat(p)).isFile()) return p;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

async function fromPath(tool: ToolName, version: string, opts: InstallOptions): Promise<string | undefined> {
  const path = await onPath(tool, opts.pathEnv ?? process.env.PATH ?? '');
  if (!path) {
    opts.log.info(`${tool}: not on PATH; downloading ${version}`);
    return undefined;
  }
  const check = PATH_CHECKS[tool];
  const r = await opts.runner.run([path, ...check.argv], {
    timeoutMs: VERSION_TIMEOUT_MS,
    signal: opts.signal,
  });
  const found = r.exitCode === 0 ? check.parse(r.stdout) : undefined;
  if (found && check.accepts(found, version)) {
    opts.log.info(`${tool}: using ${path} (${found}) from PATH: version-checked, not checksum-verified`);
    return path;
  }
  opts.log.info(
    `${tool}: ${path} reports ${found ?? 'no readable version'}, not ${version}; downloading ${version}`,
  );
  return undefined;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** First whitespace-separated field of a checksum file: `hex`, `hex  name` or `hex name`. */
export function parseChecksumFile(text: string): string | undefined {
  const first = text.trim().split(/\s+/)[0]?.toLowerCase();
  return first && /^[0-9a-f]{64}$/.test(first) ? first : undefined;
}

async function downloadTool(
  tool: ToolName,
  version: string,
  opts: InstallOptions,
  work: string,
): Promise<{ binary: string; sha256: string; checksum: Pick<ToolResult, 'checksumSource' | 'checksumUrl'> }> {
  const src = opts.sourceOf(tool, version, opts.arch);
  const url = src.url;
  const checksumUrl = src.checksumUrl;
  const what = `${tool} ${version} (${opts.arch})`;
  const pinned = (opts.pins ?? PINNED_TOOL_SHA256)[pinKey(tool, version, opts.arch)];
  let expected: string | undefined = pinned?.toLowerCase();
  if (!expected) {
    const sumFile = join(work, 'checksum');
    try {
      await opts.fetcher.fetchToFile(checksumUrl, sumFile, { signal: opts.signal });
    } catch (e) {
      throw new ToolInstallError(
        `${what}: could not fetch the published checksum ${checksumUrl}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    expected = parseChecksumFile(await readFile(sumFile, 'utf8'));
    if (!expected) {
      throw new ToolInstallError(`${what}: ${checksumUrl} does not start with a sha256 hex digest`);
    }
  }
  const checksum = pinned
    ? { checksumSource: 'catalog' as const }
    : { checksumSource: 'published' as const, checksumUrl };
  const file = join(work, src.archivePath ? 'download.tar.gz' : tool);
  opts.log.info(
    pinned
      ? `${tool}: downloading ${url} (sha256 ${expected}, pinned in the catalog)`
      : `${tool}: downloading ${url} (sha256 ${expected}, from the download's own source ${checksumUrl}: not pinned in the catalog)`,
  );
  try {
    await opts.fetcher.fetchToFile(url, file, { sha256: expected, signal: opts.signal });
  } catch (e) {
    if (e instanceof ChecksumMismatchError) {
      throw new ToolInstallError(
        `${what}: checksum mismatch for ${e.url}: expected ${e.expected} (${pinned ? 'pinned in the catalog' : `from ${checksumUrl}`}), got ${e.actual}; nothing downloaded was executed or cached`,
        { cause: e },
      );
    }
    throw new ToolInstallError(`${what}: download of ${url} failed: ${(e as Error).message}`, { cause: e });
  }
  if (!src.archivePath) return { binary: file, sha256: expected, checksum };
  const out = join(work, 'extract');
  await mkdir(out);
  // Verified above; tar only unpacks (argv, no shell), the binary inside is not run here.
  const r = await opts.runner.run(
    ['tar', '-xzf', file, '-C', out, '--no-same-owner', '--', src.archivePath],
    {
      timeoutMs: 120_000,
      signal: opts.signal,
    },
  );
  if (r.exitCode !== 0) {
    throw new ToolInstallError(
      `${what}: could not extract ${src.archivePath} from ${url}: tar exited ${r.exitCode ?? 'by signal'}: ${r.stderr.trim()}`,
    );
  }
  const binary = join(out, src.archivePath);
  try {
    if (!(await stat(binary)).isFile()) throw new Error('not a file');
  } catch {
    throw new ToolInstallError(`${what}: ${url} has no file ${src.archivePath}`);
  }
  return { binary, sha256: await sha256File(binary), checksum };
}

/**
 * Finds or downloads one tool: PATH (when allowed and the version matches), then the cache, then
 * the upstream release verified against its published sha256 before it is chmod'ed, cached or used.
 */
export async function installTool(
  tool: ToolName,
  version: string,
  opts: InstallOptions,
): Promise<{ path: string; result: ToolResult }> {
  const v = releaseVersion(tool, version);
  if (opts.fromPath) {
    const p = await fromPath(tool, v, opts);
    if (p) return { path: p, result: { name: tool, version: v, source: 'path' } };
  }
  const cached = await opts.cache.find(tool, v, opts.arch);
  if (cached) {
    opts.log.info(`${tool}: ${v} from the tool cache (${cached})`);
    return {
      path: cached,
      result: { name: tool, version: v, source: 'cache', sha256: await sha256File(cached) },
    };
  }
  const work = await mkdtemp(join(opts.tmpDir ?? tmpdir(), `cic-${tool}-`));
  try {
    const { binary, sha256, checksum } = await downloadTool(tool, v, opts, work);
    await chmod(binary, 0o755);
    const path = await opts.cache.store(tool, v, opts.arch, binary);
    opts.log.info(`${tool}: ${v} verified (sha256 ${sha256}) and cached at ${path}`);
    return { path, result: { name: tool, version: v, source: 'download', sha256, ...checksum } };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** @actions/tool-cache, keyed by tool, version and arch (survives between jobs on self-hosted runners). */
export function actionsToolCache(): ToolCache {
  return {
    async find(tool, version, arch) {
      const dir = tc.find(tool, version, arch);
      return dir ? join(dir, tool) : undefined;
    },
    async store(tool, version, arch, binaryPath) {
      const dir = await tc.cacheFile(binaryPath, tool, tool, version, arch);
      return join(dir, tool);
    },
  };
}

function defaultCacheRoot(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg ? xdg : join(homedir(), '.cache'), 'calico-istio-conformance');
}

/** `<root>/<tool>/<version>/<arch>/<tool>`; root defaults to $XDG_CACHE_HOME/calico-istio-conformance. */
export function dirToolCache(root?: string): ToolCache {
  const base = (): string => root ?? defaultCacheRoot();
  const binPath = (tool: ToolName, version: string, arch: Arch): string =>
    join(base(), tool, version, arch, tool);
  return {
    async find(tool, version, arch) {
      const p = binPath(tool, version, arch);
      try {
        await access(p, constants.X_OK);
        return p;
      } catch {
        return undefined;
      }
    },
    async store(tool, version, arch, binaryPath) {
      const p = binPath(tool, version, arch);
      await mkdir(join(p, '..'), { recursive: true });
      // Copy then rename: a concurrent reader never sees half a binary.
      const tmp = `${p}.part-${process.pid}`;
      await copyFile(binaryPath, tmp);
      await chmod(tmp, 0o755);
      await rename(tmp, p);
      return p;
    },
  };
}
