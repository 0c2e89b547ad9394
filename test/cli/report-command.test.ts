import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { actionsMatrix } from '../../src/version-matrix/select.js';
import { runCli } from '../../src/cli/index.js';
import { FIXTURES } from '../report/golden.js';

const tmp = await mkdtemp(join(tmpdir(), 'cic-report-cli-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const OUTPUTS = [
  'badge.json',
  'badge.svg',
  'history.json',
  'junit.xml',
  'matrix.html',
  'matrix.json',
  'matrix.md',
  'nights',
];

describe('calico-istio-conformance report', () => {
  it('writes every output from directories and globs and exits 0', async () => {
    const out = join(tmp, 'ok');
    const r = await cli([
      'report',
      join(FIXTURES, 'pass'),
      `${FIXTURES}/{fail,known-defect,unsupported,error}/results.json`,
      join(FIXTURES, 'duplicate'),
      '--out',
      out,
      '--previous',
      join(FIXTURES, 'previous-matrix.json'),
    ]);
    expect(r.err).toMatch(/warning: conflict in k8s-1.34.8_calico-v3.32.1_istio-1.29.6: 2 results disagree/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^ALP conformance: 1\/5 passing · 1 known defect · 1 conflict — 10 cells from 7 results/,
    );
    expect((await readdir(out)).sort()).toEqual(OUTPUTS);
    const matrix = JSON.parse(await readFile(join(out, 'matrix.json'), 'utf8')) as {
      changes: { newlyFailing: unknown[] };
    };
    expect(matrix.changes.newlyFailing).toHaveLength(3);
  });

  it('writes the report but exits 1 when some results files are invalid, naming each', async () => {
    const out = join(tmp, 'invalid');
    const r = await cli(['report', FIXTURES, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'invalid results file test/fixtures/results/invalid/missing-verdict/results.json:',
    );
    expect(r.err).toContain('verdict: Invalid option');
    expect(r.err).toMatch(/error: 2 results files are invalid/);
    expect(await readFile(join(out, 'matrix.md'), 'utf8')).toContain('## Invalid results files (2)');
  });

  it('exits 1 when planned in-window cells have no result, unless --allow-missing', async () => {
    const plan = join(tmp, 'plan.json');
    await writeFile(
      plan,
      JSON.stringify(actionsMatrix({ calico: '3.32', istio: '1.28-1.29', kubernetes: '1.34' })),
    );
    const strict = await cli([
      'report',
      join(FIXTURES, 'pass'),
      '--out',
      join(tmp, 'strict'),
      '--planned',
      plan,
    ]);
    expect(strict.out).toMatch(/^ALP conformance: 1\/2 passing · 1 missing/);
    expect(strict.err).toMatch(
      /error: 1 planned cell has no result \(k8s-1.34.8_calico-v3.32.1_istio-1.29.6\); --allow-missing accepts that/,
    );
    expect(strict.code).toBe(1);
    const relaxed = await cli([
      'report',
      join(FIXTURES, 'pass'),
      '--out',
      join(tmp, 'relaxed'),
      '--planned',
      plan,
      '--allow-missing',
    ]);
    expect(relaxed.code).toBe(0);
    expect((await readdir(join(tmp, 'strict'))).sort()).toEqual(OUTPUTS);
  });

  it('exits 1 when no results.json was found at all', async () => {
    const r = await cli(['report', `${FIXTURES}/nothing-*/results.json`, '--out', join(tmp, 'empty')]);
    expect(r.out).toMatch(/^ALP conformance: no results/);
    expect(r.err).toMatch(/error: no results.json was found: nothing was judged/);
    expect(r.code).toBe(1);
  });

  it('exits 2 and writes nothing when an input path does not exist', async () => {
    const out = join(tmp, 'missing');
    const r = await cli(['report', join(tmp, 'nope/results.json'), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/error: results path ".*nope\/results.json" does not exist/);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it('exits 2 when --previous is not a matrix.json', async () => {
    const r = await cli([
      'report',
      join(FIXTURES, 'pass'),
      '--out',
      join(tmp, 'prev'),
      '--previous',
      join(FIXTURES, 'pass/results.json'),
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/previous matrix .* is not a matrix.json written by `report`/);
  });

  it('needs at least one results path', async () => {
    const r = await cli(['report', '--out', join(tmp, 'none')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/missing required argument 'results'/);
  });
});
