import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeCellReports } from '../../src/report/cell-outputs.js';
import { loadResults } from '../../src/report/load-results.js';
import { writeReport } from '../../src/report/write-report.js';
import {
  expectGolden,
  FIXED_NOW,
  FIXTURES,
  GENERATOR,
  REPO_ROOT,
  SINGLE_FIXTURES,
  VALID_FIXTURES,
} from './golden.js';

const tmp = await mkdtemp(join(tmpdir(), 'cic-golden-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('golden: report over the fixture results', async () => {
  const out = join(tmp, 'report');
  const { files } = await writeReport({
    inputs: [
      ...VALID_FIXTURES.map((f) => `test/fixtures/results/${f}`),
      'test/fixtures/results/invalid/missing-verdict',
    ],
    outDir: out,
    cwd: REPO_ROOT,
    previousFile: 'test/fixtures/results/previous-matrix.json',
    planned: 'test/fixtures/results/planned-matrix.json',
    historyFile: 'test/fixtures/history/history.json',
    generator: GENERATOR,
    now: FIXED_NOW,
  });

  it.each([
    ['matrix.md', files.matrixMarkdown],
    ['matrix.json', files.matrixJson],
    ['matrix.html', files.matrixHtml],
    ['junit.xml', files.junit],
    ['badge.json', files.badgeJson],
    ['history.json', files.history],
  ])('%s', async (name, file) => {
    await expectGolden(`report/${name}`, await readFile(file, 'utf8'));
  });
});

describe('golden: per-cell JUnit and job summary', () => {
  it.each(SINGLE_FIXTURES)('%s', async (name) => {
    const { results, invalid } = await loadResults([join(FIXTURES, name)], REPO_ROOT);
    expect(invalid).toEqual([]);
    expect(results).toHaveLength(1);
    const dir = join(tmp, 'cells', name);
    const { junitFile, summaryMarkdown } = await writeCellReports(results[0]!.result, dir);
    expect(junitFile).toBe(join(dir, 'junit.xml'));
    await expectGolden(`cells/${name}.junit.xml`, await readFile(junitFile, 'utf8'));
    await expectGolden(`cells/${name}.summary.md`, summaryMarkdown);
  });
});
