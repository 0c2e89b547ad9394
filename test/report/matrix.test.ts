import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { actionsMatrix } from '../../src/version-matrix/select.js';
import { loadResults, ReportInputError } from '../../src/report/load-results.js';
import { buildMatrix, diffMatrix, type MatrixCell } from '../../src/report/matrix-model.js';
import { writeReport } from '../../src/report/write-report.js';
import { FIXED_NOW, FIXTURES, GENERATOR, REPO_ROOT } from './golden.js';

const tmp = await mkdtemp(join(tmpdir(), 'cic-matrix-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const valid = ['pass', 'fail', 'known-defect', 'unsupported', 'error', 'duplicate'].map((f) =>
  join(FIXTURES, f),
);
const byId = (cells: readonly MatrixCell[], id: string) => cells.find((c) => c.id === id)!;

describe('loading results', () => {
  it('finds results.json recursively in directories, validates each, reports invalid ones with the zod issue', async () => {
    const out = await loadResults([FIXTURES], REPO_ROOT);
    expect(out.results).toHaveLength(7);
    expect(out.invalid.map((i) => i.file)).toEqual([
      'test/fixtures/results/invalid/future-schema/results.json',
      'test/fixtures/results/invalid/missing-verdict/results.json',
    ]);
    const missing = out.invalid[1]!;
    expect(missing.problems).toContain(
      'verdict: Invalid option: expected one of "pass"|"fail"|"known-defect"|"error"|"unsupported"',
    );
    expect(
      missing.problems.some((p) => p.startsWith('suite.steps.1.expectations.0.observed.latencyMs:')),
    ).toBe(true);
    expect(out.invalid[0]!.problems[0]).toMatch(/schemaVersion: 99 is not a results.json version/);
  });

  it('reports a file that is not JSON (a truncated upload) with the parse error', async () => {
    const dir = join(tmp, 'truncated');
    await mkdir(dir, { recursive: true });
    const text = await readFile(join(FIXTURES, 'pass/results.json'), 'utf8');
    await writeFile(join(dir, 'results.json'), text.slice(0, 900));
    const out = await loadResults([dir], tmp);
    expect(out.results).toEqual([]);
    expect(out.invalid).toEqual([
      { file: 'truncated/results.json', kind: 'schema', problems: [expect.stringMatching(/^not JSON: /)] },
    ]);
  });

  it('expands globs (files and directories) and reads a file reached twice once', async () => {
    const out = await loadResults(
      [
        'test/fixtures/results/duplicate/*',
        'test/fixtures/results/**/run-1/results.json',
        'test/fixtures/results/pa*',
      ],
      REPO_ROOT,
    );
    expect(out.results.map((r) => r.file)).toEqual([
      'test/fixtures/results/duplicate/run-1/results.json',
      'test/fixtures/results/duplicate/run-2/results.json',
      'test/fixtures/results/pass/results.json',
    ]);
    expect(out.invalid).toEqual([]);
  });

  it('names a glob that matched nothing, and refuses a plain path that does not exist', async () => {
    const out = await loadResults(['test/fixtures/results/nothing-*/results.json'], REPO_ROOT);
    expect(out.unmatched).toEqual(['test/fixtures/results/nothing-*/results.json']);
    await expect(loadResults(['no/such/results.json'], REPO_ROOT)).rejects.toThrow(ReportInputError);
    await expect(loadResults(['no/such/results.json'], REPO_ROOT)).rejects.toThrow(
      /"no\/such\/results.json" does not exist/,
    );
  });
});

describe('the matrix', async () => {
  const { results } = await loadResults(valid, REPO_ROOT);
  // The plan `versions --matrix` makes: the report learns support windows and defects only from it.
  const planned = actionsMatrix({ calico: '3.30-3.32', istio: '1.27-1.29', kubernetes: '1.34' }).include;
  const report = buildMatrix({
    results,
    planned,
    generator: GENERATOR,
    generatedAt: FIXED_NOW().toISOString(),
  });

  it('lays Calico × Istio out per Kubernetes version, filling every combination', () => {
    expect(report.tables).toEqual([
      {
        kubernetes: '1.34.8',
        calico: ['v3.30.7', 'v3.31.7', 'v3.32.1'],
        istio: ['1.27.9', '1.28.10', '1.29.6'],
      },
      { kubernetes: '1.35.5', calico: ['v3.32.1'], istio: ['1.29.6'] },
    ]);
    expect(report.cells).toHaveLength(10);
  });

  it.each([
    ['k8s-1.34.8_calico-v3.32.1_istio-1.28.10', 'pass', true],
    ['k8s-1.35.5_calico-v3.32.1_istio-1.29.6', 'fail', true],
    ['k8s-1.34.8_calico-v3.31.7_istio-1.28.10', 'known-defect', true],
    ['k8s-1.34.8_calico-v3.30.7_istio-1.29.6', 'error', true],
    ['k8s-1.34.8_calico-v3.32.1_istio-1.27.9', 'outside-window', false],
    ['k8s-1.34.8_calico-v3.32.1_istio-1.29.6', 'conflict', true],
    ['k8s-1.34.8_calico-v3.30.7_istio-1.27.9', 'outside-window', false],
    ['k8s-1.34.8_calico-v3.31.7_istio-1.29.6', 'not-run', false],
  ] as const)('%s is %s', (id, status, ran) => {
    const c = byId(report.cells, id);
    expect(c.status).toBe(status);
    expect(c.ran).toBe(ran);
  });

  it('shows a slot neither planned nor reported as not run, without consulting any catalog', () => {
    const m = buildMatrix({ results, generator: GENERATOR, generatedAt: 'x' });
    const c = byId(m.cells, 'k8s-1.34.8_calico-v3.30.7_istio-1.27.9');
    expect([c.status, c.planned, c.note]).toEqual([
      'not-run',
      undefined,
      'no result, and not in the planned matrix',
    ]);
    expect(m.summary.missing).toBe(0);
  });

  it('links a known defect to its issue, even on an error cell that did not show the symptom', () => {
    expect(byId(report.cells, 'k8s-1.34.8_calico-v3.31.7_istio-1.28.10').defect?.issue).toBe(
      'https://github.com/projectcalico/calico/issues/11857',
    );
    expect(byId(report.cells, 'k8s-1.34.8_calico-v3.30.7_istio-1.29.6').defect?.id).toBe('calico-11857');
  });

  it('keeps both results of a duplicated cell and says they disagree', () => {
    const c = byId(report.cells, 'k8s-1.34.8_calico-v3.32.1_istio-1.29.6');
    expect(c.runs.map((r) => [r.file, r.verdict])).toEqual([
      ['test/fixtures/results/duplicate/run-1/results.json', 'pass'],
      ['test/fixtures/results/duplicate/run-2/results.json', 'fail'],
    ]);
    expect(c.note).toMatch(/2 results disagree/);
  });

  it('counts identical copies of one run once: byte-identical or only re-formatted', async () => {
    const dir = join(tmp, 'same');
    await mkdir(join(dir, 'a'), { recursive: true });
    await cp(join(FIXTURES, 'pass/results.json'), join(dir, 'a/results.json'));
    await cp(join(FIXTURES, 'pass/results.json'), join(dir, 'b.json'));
    // The same content, keys in another order and no indentation.
    const raw = JSON.parse(await readFile(join(FIXTURES, 'pass/results.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const reordered = Object.fromEntries(Object.entries(raw).reverse());
    await writeFile(join(dir, 'c.json'), JSON.stringify(reordered));
    const l = await loadResults([dir, join(dir, 'b.json'), join(dir, 'c.json')], tmp);
    expect(l.results).toHaveLength(3);
    const m = buildMatrix({ results: l.results, generator: GENERATOR, generatedAt: 'x' });
    expect(m.cells[0]!.status).toBe('pass');
    expect(m.cells[0]!.runs).toHaveLength(1);
    expect(m.cells[0]!.runs[0]!.copies).toEqual(['same/b.json', 'same/c.json']);
    expect(m.cells[0]!.note).toMatch(
      /identical copies counted once: same\/a\/results.json; same\/b.json; same\/c.json/,
    );
    expect(m.summary).toMatchObject({ pass: 1, conflict: 0 });
    // JUnit too: one cell's cases, not three.
    const one = await writeReport({
      inputs: [join(FIXTURES, 'pass')],
      outDir: join(tmp, 'one'),
      cwd: tmp,
      generator: GENERATOR,
      now: FIXED_NOW,
    });
    const three = await writeReport({
      inputs: [dir, join(dir, 'c.json')],
      outDir: join(tmp, 'three'),
      cwd: tmp,
      generator: GENERATOR,
      now: FIXED_NOW,
    });
    const tests = async (f: string) => /<testsuites [^>]*tests="(\d+)"/.exec(await readFile(f, 'utf8'))?.[1];
    expect(await tests(three.files.junit)).toBe(await tests(one.files.junit));
  });

  it('two different runs of one cell still conflict, even when both pass', async () => {
    const dir = join(tmp, 'two-runs');
    await mkdir(dir, { recursive: true });
    const raw = JSON.parse(await readFile(join(FIXTURES, 'pass/results.json'), 'utf8')) as {
      finishedAt: string;
    };
    await writeFile(join(dir, 'a.json'), JSON.stringify(raw));
    await writeFile(join(dir, 'b.json'), JSON.stringify({ ...raw, finishedAt: '2030-01-01T00:00:00.000Z' }));
    const l = await loadResults([join(dir, 'a.json'), join(dir, 'b.json')], tmp);
    const m = buildMatrix({ results: l.results, generator: GENERATOR, generatedAt: 'x' });
    expect(m.cells[0]!.status).toBe('conflict');
    expect(m.cells[0]!.note).toMatch(/2 results for one cell .*none is chosen/);
  });

  it('takes the median propagation latency over every expectation of the cell', () => {
    // pass fixture: 2310, 3120, 2870, 3480 → median (2870 + 3120) / 2
    expect(byId(report.cells, 'k8s-1.34.8_calico-v3.32.1_istio-1.28.10').medianPropagationMs).toBe(2995);
    expect(byId(report.cells, 'k8s-1.34.8_calico-v3.31.7_istio-1.28.10').medianPropagationMs).toBeUndefined();
  });

  it('counts passing over cells that ran, known defects apart', () => {
    expect(report.summary).toEqual({
      cells: 10,
      run: 5,
      pass: 1,
      fail: 1,
      error: 1,
      knownDefect: 1,
      outsideWindow: 3,
      notRun: 2,
      conflict: 1,
      planned: 9,
      missing: 2,
    });
    // The two planned in-window cells without a result count against the badge.
    expect(report.badge.message).toBe('1/7 passing · 2 missing · 1 known defect · 1 conflict');
  });

  it('shows planned cells without a result as not run', () => {
    const m = buildMatrix({
      results,
      planned: [
        {
          id: 'k8s-1.33.12_calico-v3.29.7_istio-1.28.10',
          kubernetes: '1.33.12',
          calico: 'v3.29.7',
          istio: '1.28.10',
          support: 'outside-window',
          notes: [
            {
              component: 'calico',
              status: 'outside-window',
              detail: 'Kubernetes 1.33 is outside window 1.29–1.32',
            },
          ],
        },
      ],
      generator: GENERATOR,
      generatedAt: 'x',
    });
    const c = byId(m.cells, 'k8s-1.33.12_calico-v3.29.7_istio-1.28.10');
    expect(c.status).toBe('outside-window');
    expect(c.note).toMatch(/calico Kubernetes 1.33 is outside window 1.29–1.32/);
    const m2 = buildMatrix({
      results: [],
      planned: [
        {
          id: 'k8s-1.34.8_calico-v3.32.1_istio-1.28.10',
          kubernetes: '1.34.8',
          calico: 'v3.32.1',
          istio: '1.28.10',
        },
      ],
      generator: GENERATOR,
      generatedAt: 'x',
    });
    expect(m2.cells.map((x) => [x.id, x.status])).toEqual([
      ['k8s-1.34.8_calico-v3.32.1_istio-1.28.10', 'not-run'],
    ]);
    expect(m2.summary).toMatchObject({ planned: 1, missing: 1 });
    expect(m2.badge.message).toBe('0/1 passing · 1 missing');
  });

  it('diffs against a previous matrix: newly failing and newly passing', () => {
    const ch = diffMatrix(report.cells, {
      schemaVersion: 1,
      generatedAt: 'then',
      cells: [
        { id: 'k8s-1.34.8_calico-v3.32.1_istio-1.28.10', status: 'error' },
        { id: 'k8s-1.35.5_calico-v3.32.1_istio-1.29.6', status: 'pass' },
        { id: 'k8s-1.34.8_calico-v3.31.7_istio-1.28.10', status: 'known-defect' },
        { id: 'k8s-1.34.8_calico-v3.30.7_istio-1.29.6', status: 'fail' },
      ],
    });
    expect(ch.newlyPassing.map((c) => [c.id, c.was])).toEqual([
      ['k8s-1.34.8_calico-v3.32.1_istio-1.28.10', 'error'],
    ]);
    expect(ch.newlyFailing.map((c) => [c.id, c.was, c.now])).toEqual([
      ['k8s-1.34.8_calico-v3.32.1_istio-1.29.6', 'absent', 'conflict'],
      ['k8s-1.35.5_calico-v3.32.1_istio-1.29.6', 'pass', 'fail'],
    ]);
  });
});

describe('writeReport inputs', () => {
  it('refuses a previous matrix that is not one, before writing anything', async () => {
    const bad = join(tmp, 'bad-previous.json');
    await writeFile(bad, JSON.stringify({ include: [] }));
    const out = join(tmp, 'never');
    await expect(
      writeReport({
        inputs: valid,
        outDir: out,
        cwd: tmp,
        previousFile: bad,
        generator: GENERATOR,
        now: FIXED_NOW,
      }),
    ).rejects.toThrow(
      /previous matrix ".*bad-previous.json" is not a matrix.json written by `report`: schemaVersion/,
    );
    await expect(import('node:fs/promises').then((f) => f.stat(out))).rejects.toThrow(/ENOENT/);
  });

  it('accepts the planned matrix inline or as a file, and refuses a malformed one', async () => {
    const planned = JSON.stringify({
      include: [
        {
          id: 'k8s-1.34.8_calico-v3.29.7_istio-1.28.10',
          kubernetes: '1.34.8',
          calico: 'v3.29.7',
          istio: '1.28.10',
        },
      ],
    });
    const a = await writeReport({
      inputs: [join(FIXTURES, 'pass')],
      outDir: join(tmp, 'p1'),
      cwd: tmp,
      planned,
      generator: GENERATOR,
      now: FIXED_NOW,
    });
    expect(a.report.cells.map((c) => c.calico)).toContain('v3.29.7');
    await writeFile(join(tmp, 'plan.json'), planned);
    const b = await writeReport({
      inputs: [join(FIXTURES, 'pass')],
      outDir: join(tmp, 'p2'),
      cwd: tmp,
      planned: 'plan.json',
      generator: GENERATOR,
      now: FIXED_NOW,
    });
    expect(b.report.cells).toEqual(a.report.cells);
    await expect(
      writeReport({
        inputs: [join(FIXTURES, 'pass')],
        outDir: join(tmp, 'p3'),
        cwd: tmp,
        planned: '{"include": [{}]}',
        generator: GENERATOR,
        now: FIXED_NOW,
      }),
    ).rejects.toThrow(
      /planned matrix \(inline JSON\) is not the \{"include": \[...\]\} of `versions --matrix`: include.0.id/,
    );
  });
});
