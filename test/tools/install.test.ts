import { toolSource } from '../../src/catalog/tools.js';
import { applyMirrors } from '../../src/util/mirror.js';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { undiciFetcher } from '../../src/exec/fetch.js';
import { execaRunner, type ProcessRunner } from '../../src/exec/process.js';
import {
  actionsToolCache,
  dirToolCache,
  hostArch,
  installTool,
  parseChecksumFile,
  type InstallOptions,
} from '../../src/tools/install.js';
import { memoryLog } from '../exec/fakes.js';
import { startServer, type TestServer } from './http-server.js';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A stand-in binary: prints its version like the real tool, and leaves a mark whenever it runs. */
function script(versionOutput: string, marker: string): string {
  return `#!/bin/sh\necho ran >> '${marker}'\ncat <<'EOF'\n${versionOutput}\nEOF\n`;
}

const KIND = 'v0.32.0';
const KUBECTL = 'v1.34.8';
const ISTIO = '1.27.9';
const ARCH = 'amd64' as const;

let server: TestServer;
let work: string;
let marker: string;
let cacheRoot: string;
let calls: string[][];
let runner: ProcessRunner;

/** Serves the three tools in their upstream layout under /kind, /k8s and /istio. */
async function publish(): Promise<{ kind: Buffer; kubectl: Buffer; istioTar: Buffer }> {
  const kind = Buffer.from(script(`kind ${KIND} go1.24.2 linux/amd64`, marker));
  const kubectl = Buffer.from(
    script(JSON.stringify({ clientVersion: { gitVersion: KUBECTL }, kustomizeVersion: 'v5' }), marker),
  );
  const stage = join(work, 'stage');
  await mkdir(stage);
  await writeFile(
    join(stage, 'istioctl'),
    script(JSON.stringify({ clientVersion: { version: ISTIO } }), marker),
    {
      mode: 0o755,
    },
  );
  const tarPath = join(work, 'istioctl.tar.gz');
  execFileSync('tar', ['-czf', tarPath, '-C', stage, 'istioctl']);
  const istioTar = await readFile(tarPath);
  const istioName = `istioctl-${ISTIO}-linux-amd64.tar.gz`;
  server.route(`/kind/${KIND}/kind-linux-amd64`, { body: kind });
  server.route(`/kind/${KIND}/kind-linux-amd64.sha256sum`, { body: `${sha(kind)}  kind-linux-amd64\n` });
  server.route(`/k8s/${KUBECTL}/bin/linux/amd64/kubectl`, { body: kubectl });
  server.route(`/k8s/${KUBECTL}/bin/linux/amd64/kubectl.sha256`, { body: sha(kubectl) });
  server.route(`/istio/${ISTIO}/${istioName}`, { body: istioTar });
  server.route(`/istio/${ISTIO}/${istioName}.sha256`, { body: `${sha(istioTar)} ${istioName}\n` });
  return { kind, kubectl, istioTar };
}

function options(o: Partial<InstallOptions> = {}): InstallOptions {
  const mirrors = o.mirrors ?? [
    { from: 'https://kind.sigs.k8s.io/dl/', to: `${server.url}/kind/` },
    { from: 'https://dl.k8s.io/release/', to: `${server.url}/k8s/` },
    { from: 'https://github.com/istio/istio/releases/download/', to: `${server.url}/istio/` },
  ];
  return {
    arch: ARCH,
    mirrors,
    // As the plan names them (plan.tools): the catalog's source, through the mirrors.
    sourceOf: (tool, version, arch) => {
      const src = toolSource(tool, version, arch);
      return {
        ...src,
        url: applyMirrors(src.url, mirrors),
        checksumUrl: applyMirrors(src.checksumUrl, mirrors),
      };
    },
    cache: dirToolCache(cacheRoot),
    fromPath: false,
    fetcher: undiciFetcher({ retries: 2, retryDelayMs: 10 }),
    runner,
    log: memoryLog().log,
    signal: AbortSignal.timeout(20_000),
    tmpDir: work,
    ...o,
  };
}

async function ranTimes(): Promise<number> {
  try {
    return (await readFile(marker, 'utf8')).split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

beforeEach(async () => {
  server = await startServer();
  work = await mkdtemp(join(tmpdir(), 'cic-tools-'));
  marker = join(work, 'ran.log');
  cacheRoot = join(work, 'cache');
  calls = [];
  const real = execaRunner();
  runner = { run: (argv, o) => (calls.push([...argv]), real.run(argv, o)) };
});
afterEach(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

describe('installTool: downloads', () => {
  it.each([
    ['kind', KIND, `kind ${KIND} go1.24.2`],
    ['kubectl', '1.34.8', KUBECTL],
    ['istioctl', ISTIO, ISTIO],
  ] as const)(
    '%s: checksum first, then the verified binary, executable and cached',
    async (tool, version, says) => {
      await publish();
      const { path, result } = await installTool(tool, version, options());
      expect(path).toBe(
        join(cacheRoot, tool, tool === 'istioctl' ? ISTIO : `v${version.replace(/^v/, '')}`, ARCH, tool),
      );
      expect(result).toMatchObject({ name: tool, source: 'download' });
      expect(result.sha256).toBe(sha(await readFile(path)));
      expect(server.requests[0]).toMatch(/\.sha256(sum)?$/);
      expect(server.requests).toHaveLength(2);
      expect(execFileSync(path, { encoding: 'utf8' })).toContain(says);
      // Staging directories are gone.
      expect((await readdir(work)).filter((f) => f.startsWith('cic-'))).toEqual([]);
    },
  );

  it('without a pinned digest the result says the checksum came from the download’s own source', async () => {
    await publish();
    const { result } = await installTool('kind', KIND, options({ pins: {} }));
    expect(result).toMatchObject({
      checksumSource: 'published',
      checksumUrl: `${server.url}/kind/${KIND}/kind-linux-amd64.sha256sum`,
    });
  });

  it('a pinned digest wins over a mirror serving a matching binary/checksum pair', async () => {
    const { kind } = await publish();
    // The mirror's pair matches itself; the catalog pins the real binary's digest.
    const pins = { [`kind ${KIND} ${ARCH}`]: sha('the real kind binary') };
    const err = (await installTool('kind', KIND, options({ pins })).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain('pinned in the catalog');
    expect(err.message).toContain(`got ${sha(kind)}`);
    expect(server.requests.some((r) => r.endsWith('.sha256sum'))).toBe(false);
    expect(await filesUnder(cacheRoot)).toEqual([]);
    const ok = await installTool('kind', KIND, options({ pins: { [`kind ${KIND} ${ARCH}`]: sha(kind) } }));
    expect(ok.result).toMatchObject({ source: 'download', checksumSource: 'catalog', sha256: sha(kind) });
  });

  it('extracts istioctl with tar from argv, never through a shell', async () => {
    await publish();
    await installTool('istioctl', ISTIO, options());
    const tar = calls.find((c) => c[0] === 'tar')!;
    expect(tar.slice(0, 2)).toEqual(['tar', '-xzf']);
    expect(tar.at(-1)).toBe('istioctl');
    expect(calls.every((c) => c[0] !== 'sh' && c[0] !== 'bash')).toBe(true);
  });

  it.each(['kind', 'kubectl', 'istioctl'] as const)(
    '%s: a wrong published checksum aborts; nothing executed, nothing cached, clear error',
    async (tool) => {
      const { kind, kubectl, istioTar } = await publish();
      const wrong = sha('not the binary');
      const paths = {
        kind: [`/kind/${KIND}/kind-linux-amd64.sha256sum`, `${wrong}  kind-linux-amd64\n`],
        kubectl: [`/k8s/${KUBECTL}/bin/linux/amd64/kubectl.sha256`, wrong],
        istioctl: [`/istio/${ISTIO}/istioctl-${ISTIO}-linux-amd64.tar.gz.sha256`, `${wrong} x.tar.gz\n`],
      } as const;
      server.route(paths[tool][0], { body: paths[tool][1] });
      const actual = sha({ kind, kubectl, istioctl: istioTar }[tool]);
      const version = { kind: KIND, kubectl: KUBECTL, istioctl: ISTIO }[tool];
      const err = (await installTool(tool, version, options()).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toContain(`${tool} ${version}`);
      expect(err.message).toContain(server.url);
      expect(err.message).toContain(`expected ${wrong}`);
      expect(err.message).toContain(`got ${actual}`);
      expect(err.message).toContain('nothing downloaded was executed or cached');
      expect(await ranTimes()).toBe(0);
      expect(calls).toEqual([]);
      expect(await filesUnder(cacheRoot)).toEqual([]);
      expect((await readdir(work)).filter((f) => f.startsWith('cic-'))).toEqual([]);
    },
  );

  it('retries a 500 on the binary, then succeeds', async () => {
    const { kind } = await publish();
    server.route(`/kind/${KIND}/kind-linux-amd64`, { body: kind, failFirst: [500] });
    const { result } = await installTool('kind', KIND, options());
    expect(result.source).toBe('download');
    expect(server.requests.filter((r) => r.endsWith('kind-linux-amd64'))).toHaveLength(2);
  });

  it('detects a truncated binary and caches nothing', async () => {
    const { kubectl } = await publish();
    server.route(`/k8s/${KUBECTL}/bin/linux/amd64/kubectl`, { body: kubectl, truncateTo: 20 });
    await expect(installTool('kubectl', KUBECTL, options())).rejects.toThrow(
      /kubectl v1.34.8 \(amd64\): download of .* failed: .*(truncated|interrupted)/,
    );
    expect(await filesUnder(cacheRoot)).toEqual([]);
  });

  it('says so when the checksum file is not a sha256', async () => {
    await publish();
    server.route(`/kind/${KIND}/kind-linux-amd64.sha256sum`, { body: '<html>rate limited</html>' });
    await expect(installTool('kind', KIND, options())).rejects.toThrow(
      /does not start with a sha256 hex digest/,
    );
    expect(await ranTimes()).toBe(0);
  });

  it('reports a missing release clearly', async () => {
    await publish();
    await expect(installTool('kind', 'v0.99.0', options())).rejects.toThrow(
      /kind v0.99.0 \(amd64\): could not fetch the published checksum .*HTTP 404/,
    );
  });
});

describe('installTool: cache and PATH', () => {
  it('a cache hit does not touch the network', async () => {
    await publish();
    const first = await installTool('kubectl', KUBECTL, options());
    const seen = server.requests.length;
    const second = await installTool('kubectl', KUBECTL, options());
    expect(server.requests.length).toBe(seen);
    expect(second.path).toBe(first.path);
    // The cache holds what was verified; where its digest once came from is the first run's fact.
    const { checksumSource: _s, checksumUrl: _u, ...firstFacts } = first.result;
    expect(second.result).toEqual({ ...firstFacts, source: 'cache' });
  });

  it('@actions/tool-cache stores and finds by tool, version and arch', async () => {
    await publish();
    const saved = { cache: process.env.RUNNER_TOOL_CACHE, temp: process.env.RUNNER_TEMP };
    process.env.RUNNER_TOOL_CACHE = join(work, 'runner-cache');
    process.env.RUNNER_TEMP = join(work, 'runner-temp');
    try {
      const cache = actionsToolCache();
      expect(await cache.find('kind', KIND, ARCH)).toBeUndefined();
      const first = await installTool('kind', KIND, options({ cache }));
      expect(first.path.startsWith(join(work, 'runner-cache', 'kind'))).toBe(true);
      const seen = server.requests.length;
      const again = await installTool('kind', KIND, options({ cache }));
      expect(again.result.source).toBe('cache');
      expect(server.requests.length).toBe(seen);
      expect(await cache.find('kind', KIND, 'arm64')).toBeUndefined();
    } finally {
      for (const [k, v] of [
        ['RUNNER_TOOL_CACHE', saved.cache],
        ['RUNNER_TEMP', saved.temp],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  async function onPath(tool: string, versionOutput: string): Promise<string> {
    const bin = join(work, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, tool), script(versionOutput, join(work, 'path-ran.log')));
    await chmod(join(bin, tool), 0o755);
    return bin;
  }

  it('uses a tool on PATH when its version matches, without downloading', async () => {
    await publish();
    const bin = await onPath('kind', `kind ${KIND} go1.24.2 linux/amd64`);
    const got = await installTool('kind', KIND, options({ fromPath: true, pathEnv: bin }));
    expect(got).toEqual({ path: join(bin, 'kind'), result: { name: 'kind', version: KIND, source: 'path' } });
    expect(calls).toEqual([[join(bin, 'kind'), 'version']]);
    expect(server.requests).toEqual([]);
  });

  it('accepts a kubectl on PATH of the same minor (kubectl version --client -o json)', async () => {
    await publish();
    const bin = await onPath('kubectl', JSON.stringify({ clientVersion: { gitVersion: 'v1.34.2' } }));
    const got = await installTool('kubectl', KUBECTL, options({ fromPath: true, pathEnv: bin }));
    expect(got.result.source).toBe('path');
    expect(calls[0]).toEqual([join(bin, 'kubectl'), 'version', '--client', '-o', 'json']);
  });

  it('downloads when the PATH version differs', async () => {
    await publish();
    const bin = await onPath('istioctl', JSON.stringify({ clientVersion: { version: '1.26.8' } }));
    const got = await installTool('istioctl', ISTIO, options({ fromPath: true, pathEnv: bin }));
    expect(got.result.source).toBe('download');
    expect(calls[0]).toEqual([join(bin, 'istioctl'), 'version', '--remote=false', '-o', 'json']);
  });

  it('downloads when the tool is not on PATH at all', async () => {
    await publish();
    const got = await installTool('kind', KIND, options({ fromPath: true, pathEnv: join(work, 'empty') }));
    expect(got.result.source).toBe('download');
  });
});

describe('helpers', () => {
  it('parses the first field of each checksum format', () => {
    const h = 'ab'.repeat(32);
    expect(parseChecksumFile(`${h}  kind-linux-amd64\n`)).toBe(h);
    expect(parseChecksumFile(h)).toBe(h);
    expect(parseChecksumFile(`${h.toUpperCase()} istioctl.tar.gz`)).toBe(h);
    expect(parseChecksumFile('Not Found')).toBeUndefined();
  });

  it('maps the host architecture', () => {
    expect(['amd64', 'arm64']).toContain(hostArch());
  });
});
