import { describe, expect, it } from 'vitest';
import { cellSummaryMarkdown } from '../../src/report/cell-summary.js';
import { junitCases } from '../../src/report/junit.js';
import { loadResults } from '../../src/report/load-results.js';
import { digestResult } from '../../src/report/matrix-model.js';
import type { CellResult } from '../../src/result/schema.js';
import { FIXTURES, REPO_ROOT } from './golden.js';

const { results } = await loadResults([FIXTURES], REPO_ROOT);
const pass = results.find((l) => l.file.endsWith('/pass/results.json'))!.result;

/** The passing fixture as if run with `--test allow-homepage,!POST`. */
function selected(): CellResult {
  const r = structuredClone(pass);
  const suite = r.suite!;
  const why = 'not selected by --test allow-homepage,!POST';
  suite.selection = {
    filters: ['allow-homepage', '!POST'],
    selectedSteps: 1,
    selectedExpectations: 1,
    totalExpectations: 3,
  };
  const first = suite.steps[0]!;
  first.status = 'skipped';
  first.skippedBy = 'selection';
  first.message = `${why}: nothing probed`;
  for (const e of first.expectations)
    Object.assign(e, { status: 'skipped', skippedBy: 'selection', message: why });
  const last = suite.steps.at(-1)!;
  Object.assign(last.expectations.at(-1)!, { status: 'skipped', skippedBy: 'selection', message: why });
  return r;
}

describe('a run narrowed by --test, in the reports', () => {
  it('JUnit shows each unselected expectation as skipped, with the reason; the selected ones as they ran', () => {
    const r = selected();
    const cases = junitCases(r).filter((c) => c.classname.endsWith('.suite'));
    const skipped = cases.filter((c) => c.outcome.kind === 'skipped');
    expect(skipped.length).toBe(r.suite!.steps[0]!.expectations.length + 1);
    for (const c of skipped)
      expect(c.outcome).toMatchObject({
        message: expect.stringMatching(/^not selected by --test allow-homepage,!POST/),
      });
    expect(cases.some((c) => c.outcome.kind === 'passed')).toBe(true);
  });

  it('the job summary says what was selected and marks the rest skipped', () => {
    const out = cellSummaryMarkdown(selected());
    expect(out).toContain('Selected by --test allow-homepage,&#33;POST: 1 of 3 expectations in 1 of');
    expect(out).toMatch(/\| ⏭️ \| baseline: no policy \|/);
  });

  it('the matrix counts only the expectations that were tested', () => {
    const r = selected();
    const all = r.suite!.steps.flatMap((s) => s.expectations);
    const tested = all.filter((e) => e.status !== 'skipped');
    expect(tested.length).toBeLessThan(all.length);
    const run = digestResult({ file: 'x/results.json', result: r }).run;
    expect(run.expectations).toEqual({ passed: tested.length, total: tested.length });
  });
});
