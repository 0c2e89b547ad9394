import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('a run refused by its inputs', () => {
  it('leaves no earlier results.json to be reported as its own, and exits 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cic-refused-'));
    dirs.push(dir);
    const results = join(dir, 'results');
    await mkdir(join(results, 'diagnostics'), { recursive: true });
    await writeFile(join(results, 'results.json'), '{"verdict":"pass"}');
    await writeFile(join(results, 'junit.xml'), '<testsuites/>');
    await writeFile(join(results, 'mine.txt'), 'not the harness’s');
    let err = '';
    const code = await runCli(['run', '--calico', 'v9.9.9', '--results-dir', results], {
      out: () => undefined,
      err: (t) => (err += t),
    });
    expect(code).toBe(2);
    expect(err).toContain('Invalid --calico');
    expect(existsSync(join(results, 'results.json'))).toBe(false);
    expect(existsSync(join(results, 'junit.xml'))).toBe(false);
    expect(existsSync(join(results, 'diagnostics'))).toBe(false);
    // what the harness does not own stays
    expect(existsSync(join(results, 'mine.txt'))).toBe(true);
  });
});
