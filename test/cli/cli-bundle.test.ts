import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../report/golden.js';

const run = promisify(execFile);
let tmp = '';
let cli = '';

/** The bundled CLI as the nightly workflow calls it: `node dist/cli.js versions --matrix …` and `report …`. */
async function node(args: string[], cwd = REPO_ROOT) {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'cic-cli-bundle-'));
  cli = join(tmp, 'cli.mjs');
  const { bundle } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts/bundle.mjs')).href)) as {
    bundle: (entry: string, outfile: string) => Promise<void>;
  };
  await bundle(join(REPO_ROOT, 'src/cli/main.ts'), cli);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('the bundled CLI, as the nightly workflow runs it', () => {
  it('versions --matrix prints a matrix fromJSON can take', async () => {
    const r = await node([
      'versions',
      '--matrix',
      '--calico',
      '>=3.31',
      '--istio',
      '1.28',
      '--kubernetes',
      '1.34',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      include: [
        expect.objectContaining({
          calico: 'v3.31.7',
          istio: '1.28.10',
          kubernetes: '1.34.8',
          knownDefect: 'calico-11857',
        }),
        expect.objectContaining({
          calico: 'v3.32.1',
          istio: '1.28.10',
          kubernetes: '1.34.8',
          supported: true,
        }),
      ],
    });
  });

  it('versions --matrix exits 2 on a bad range', async () => {
    const r = await node(['versions', '--matrix', '--kubernetes', '1.99']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Invalid --kubernetes: "1.99"/);
  });

  it('report over a quoted glob of downloaded artifacts writes every output', async () => {
    const out = join(tmp, 'compat-report');
    const r = await node([
      'report',
      'test/fixtures/results/{pass,fail,known-defect,error,unsupported}/**/results.json',
      '--out',
      out,
      '--previous',
      'test/fixtures/results/previous-matrix.json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const badge = JSON.parse(await readFile(join(out, 'badge.json'), 'utf8')) as Record<string, unknown>;
    expect(badge).toEqual({
      schemaVersion: 1,
      label: 'ALP conformance',
      message: '1/4 passing · 1 known defect',
      color: 'orange',
      cacheSeconds: 3600,
    });
    expect(await readFile(join(out, 'badge.svg'), 'utf8')).toMatch(/^<svg [^>]*>.*1\/4 passing/s);
  });
});
