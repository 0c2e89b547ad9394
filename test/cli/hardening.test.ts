import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('CLI refusals name the flag the user gave and say what is wrong in a sentence', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cic-hardening-'));
    await writeFile(join(dir, 'file'), 'x');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("versions --matrix --kubernetes '*' blames --kubernetes, not a default", async () => {
    const r = await cli('versions', '--matrix', '--kubernetes', '*');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^Invalid --kubernetes: "\*" with the other ranges selects \d+ cells/);
  });

  it('plan --suite missing.yaml exits 2 naming --suite, writing nothing', async () => {
    const out = join(dir, 'plan-missing');
    const r = await cli('plan', '--out', out, '--suite', join(dir, 'missing.yaml'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('Invalid --suite:');
    expect(r.err).toContain('does not exist');
  });

  it('plan --suite with an invalid suite exits 2 with the suite problem', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'apiVersion: calico-istio-conformance/v1\nkind: Suite\n');
    const r = await cli('plan', '--out', join(dir, 'plan-bad'), '--suite', join(dir, 'bad.yaml'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Invalid --suite: .* is not a valid suite: .*name: is required/);
  });

  it.each([
    ['/proc/cic-x', /--out \/proc\/cic-x is on the proc pseudo-filesystem/],
    ['file', /--out .*\/file is a file, not a directory\./],
    ['file/sub', /--out .*\/file\/sub cannot be used: a part of the path is a file, not a directory/],
  ])('plan --out %s: exit 2 and a sentence, no errno, no hang', async (out, want) => {
    const r = await cli('plan', '--out', out.startsWith('/') ? out : join(dir, out));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(want);
    expect(r.err).not.toMatch(/ENOTDIR|EEXIST|ENOENT/);
  });

  it('run --results-dir under /proc: exit 2 before anything runs', async () => {
    const r = await cli(
      'run',
      '--results-dir',
      '/proc/self/cic-x',
      '--cluster',
      'existing',
      '--ingress-url',
      'http://127.0.0.1:9',
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--results-dir \/proc\/self\/cic-x is on the proc pseudo-filesystem/);
  });
});
