import { readFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capStrings, capText, TEXT_FIELD_MAX } from '../../src/report/bounded-text.js';
import { writeCellReports } from '../../src/report/cell-outputs.js';
import { contradictions } from '../../src/report/consistency.js';
import { loadResults } from '../../src/report/load-results.js';
import { writeReport } from '../../src/report/write-report.js';
import { reportFailures } from '../../src/report/exit-status.js';
import type { CellResult } from '../../src/result/schema.js';
import { FIXED_NOW, FIXTURES, GENERATOR } from './golden.js';

const tmp = await mkdtemp(join(tmpdir(), 'cic-consistency-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const fixture = async (name: string) =>
  JSON.parse(await readFile(join(FIXTURES, name, 'results.json'), 'utf8')) as CellResult;

describe('a verdict checked against its own evidence', () => {
  it('the shipped fixtures agree with themselves', async () => {
    for (const name of ['pass', 'fail', 'error', 'known-defect', 'unsupported'])
      expect(contradictions(await fixture(name)), name).toEqual([]);
  });

  it.each([
    [
      'pass with a failed expectation',
      (r: CellResult) => {
        r.suite!.steps[1]!.expectations[0]!.status = 'fail';
      },
      /^verdict: "pass" although expectation ".*" › ".*" \(fail\)/,
    ],
    [
      'pass with a failed check',
      (r: CellResult) => {
        r.checks[0]!.status = 'fail';
      },
      /^verdict: "pass" although check \S+ did not pass/,
    ],
    [
      'pass with a failed suite',
      (r: CellResult) => {
        r.suite!.status = 'fail';
      },
      /^verdict: "pass" although the suite's status is "fail"/,
    ],
    [
      'fail with nothing failed',
      (r: CellResult) => {
        r.verdict = 'fail';
      },
      /^verdict: "fail" although no check, suite step or expectation failed/,
    ],
  ])('%s is a contradiction', async (_, edit, message) => {
    const r = await fixture('pass');
    edit(r);
    expect(contradictions(r)[0]).toMatch(message);
  });

  it('is listed as invalid, shown in every output, and fails the report', async () => {
    const dir = join(tmp, 'lying');
    await mkdir(join(dir, 'a'), { recursive: true });
    const r = await fixture('pass');
    for (const s of r.suite!.steps) for (const e of s.expectations) e.status = 'fail';
    await writeFile(join(dir, 'a/results.json'), JSON.stringify(r));
    const loaded = await loadResults([dir], tmp);
    expect(loaded.results).toEqual([]);
    expect(loaded.invalid).toEqual([
      {
        file: 'lying/a/results.json',
        kind: 'contradiction',
        problems: [
          expect.stringMatching(/^verdict: "pass" although expectation/),
          expect.stringMatching(/^suite.status: "pass" although/),
        ],
      },
    ]);
    const out = join(tmp, 'lying-report');
    const { report, files } = await writeReport({
      inputs: [dir],
      outDir: out,
      cwd: tmp,
      generator: GENERATOR,
      now: FIXED_NOW,
    });
    expect(report.summary.pass).toBe(0);
    expect(report.invalid).toHaveLength(1);
    expect(await readFile(files.matrixMarkdown, 'utf8')).toMatch(
      /Invalid results files \(1\)[\s\S]*lying\/a\/results.json[\s\S]*verdict: &quot;pass&quot; although/,
    );
    expect(await readFile(files.matrixHtml, 'utf8')).toContain('lying/a/results.json');
    const junit = await readFile(files.junit, 'utf8');
    expect(junit).toMatch(/<testsuites [^>]*tests="1" failures="0" errors="1"/);
    expect(junit).toMatch(
      /<error message="Invalid results file lying\/a\/results.json: verdict: &quot;pass&quot; although [^"]*" type="contradiction">/,
    );
    expect(reportFailures(report.invalid.length, { noResults: true, missing: [] }, false)[0]).toMatch(
      /1 results file is invalid/,
    );
  });
});

describe('text caps', () => {
  it('capText cuts with a note and is idempotent', () => {
    const long = 'x'.repeat(10_000);
    const once = capText(long, 100);
    expect(once).toBe(`${'x'.repeat(100)}… [9900 more characters, see results.json]`);
    expect(capText(once, 100)).toBe(once);
    expect(capText('short', 100)).toBe('short');
    expect(capStrings({ a: [long], b: 3, c: { d: long } }, 100)).toEqual({ a: [once], b: 3, c: { d: once } });
  });

  it('a 60 MB text field gives a report of bounded size', async () => {
    const dir = join(tmp, 'huge');
    await mkdir(dir, { recursive: true });
    const r = await fixture('fail');
    // One 60 MB field (the reason, which every output shows), and 2 MB in other shown fields.
    r.reason = 'A'.repeat(60 * 1024 * 1024);
    const big = 'B'.repeat(2 * 1024 * 1024);
    r.checks[0]!.evidence = big;
    const e = r.suite!.steps.flatMap((s) => s.expectations).find((x) => x.observed)!;
    e.observed!.bodyExcerpt = big;
    e.message = big;
    r.support[0]!.detail = big;
    r.suite!.steps[0]!.name = big;
    await writeFile(join(dir, 'results.json'), JSON.stringify(r));
    const out = join(tmp, 'huge-report');
    const { files, report } = await writeReport({
      inputs: [dir],
      outDir: out,
      cwd: tmp,
      generator: GENERATOR,
      now: FIXED_NOW,
    });
    expect(report.invalid).toEqual([]);
    // Each shown field is at most TEXT_FIELD_MAX characters (+ its note); a handful of fields, a few copies each.
    const bound = 200 * 1024;
    for (const f of [files.matrixHtml, files.matrixMarkdown, files.matrixJson, files.junit])
      expect((await stat(f)).size, f).toBeLessThan(bound);
    expect(await readFile(files.matrixHtml, 'utf8')).toContain(`${'A'.repeat(TEXT_FIELD_MAX)}… [`);
  }, 60_000);

  it("a run's own junit.xml and job summary cap texts from the cluster too", async () => {
    const r = await fixture('fail');
    r.reason = 'R'.repeat(10 * 1024 * 1024);
    r.checks[0]!.evidence = 'E'.repeat(10 * 1024 * 1024);
    const dir = join(tmp, 'cell');
    const { junitFile, summaryMarkdown } = await writeCellReports(r, dir);
    expect((await stat(junitFile)).size).toBeLessThan(200 * 1024);
    expect(summaryMarkdown.length).toBeLessThan(200 * 1024);
    // The summary keeps its later sections: one huge line no longer crowds them out.
    expect(summaryMarkdown).toContain('### Checks');
    expect(summaryMarkdown).toContain(`${'R'.repeat(100)}`);
  });
});
