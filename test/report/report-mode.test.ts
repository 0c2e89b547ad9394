import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reportMode } from '../../src/action/report-mode.js';
import { FIXTURES } from './golden.js';

const tmp = await mkdtemp(join(tmpdir(), 'cic-report-mode-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const saved = { ...process.env };
let outputFile = '';
let summaryFile = '';
/** Workflow commands (::error:: …) @actions/core prints; captured so CI does not turn them into annotations. */
let printed = '';

/** @actions/core writes outputs as `name<<DELIM\nvalue\nDELIM` to $GITHUB_OUTPUT. */
async function outputs(): Promise<Record<string, string>> {
  const text = await readFile(outputFile, 'utf8');
  const found: Record<string, string> = {};
  for (const m of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) found[m[1]!] = m[3]!;
  return found;
}

beforeEach(async () => {
  const dir = await mkdtemp(join(tmp, 'run-'));
  outputFile = join(dir, 'output');
  summaryFile = join(dir, 'summary.md');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  process.env.GITHUB_OUTPUT = outputFile;
  process.env.GITHUB_STEP_SUMMARY = summaryFile;
  process.env['INPUT_REPORT-DIR'] = join(dir, 'report');
  printed = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.env = { ...saved };
  process.exitCode = undefined;
});

describe('action mode: report', () => {
  it('writes the outputs, sets matrix-file and badge-file, and puts the matrix in the job summary', async () => {
    process.env.INPUT_RESULTS = [
      join(FIXTURES, 'pass'),
      `${FIXTURES}/{fail,known-defect}/results.json`,
      '',
    ].join('\n');
    process.env['INPUT_PREVIOUS-MATRIX'] = join(FIXTURES, 'previous-matrix.json');
    await reportMode();
    expect(process.exitCode).toBeUndefined();
    const o = await outputs();
    const dir = process.env['INPUT_REPORT-DIR']!;
    expect(o).toMatchObject({
      'matrix-file': join(dir, 'matrix.json'),
      'badge-file': join(dir, 'badge.json'),
      'report-dir': dir,
      'badge-message': '1/3 passing · 1 known defect',
    });
    const badge = JSON.parse(await readFile(o['badge-file']!, 'utf8')) as { message: string };
    expect(badge.message).toBe('1/3 passing · 1 known defect');
    const summary = await readFile(summaryFile, 'utf8');
    expect(summary).toContain('# Calico ALP × Istio conformance matrix');
    expect(summary).toContain('## Changed since last run');
  });

  it('fails the step after writing everything when a results file is invalid', async () => {
    process.env.INPUT_RESULTS = FIXTURES;
    await reportMode();
    expect(process.exitCode).toBe(1);
    expect((await outputs())['matrix-file']).toBeDefined();
    expect(printed).toContain(
      '::error title=Invalid results.json,file=test/fixtures/results/invalid/missing-verdict/results.json::invalid results file: verdict: Invalid option',
    );
    expect(printed).toMatch(/::error::2 results files are invalid/);
  });

  it('refuses an empty results input', async () => {
    process.env.INPUT_RESULTS = '\n  \n';
    await expect(reportMode()).rejects.toThrow(/Invalid input "results": empty/);
  });

  it('refuses an unreadable path before writing', async () => {
    process.env.INPUT_RESULTS = join(tmp, 'missing-dir');
    await expect(reportMode()).rejects.toThrow(/mode report: results path .* does not exist/);
    expect(await readFile(outputFile, 'utf8')).toBe('');
  });
});
