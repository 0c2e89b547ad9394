import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkMode } from '../../src/action/check-mode.js';
import { ROOT } from '../contract/harness.js';

const tmp = await mkdtemp(join(tmpdir(), 'cic-check-mode-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const saved = { ...process.env };
let summaryFile = '';
let printed = '';

beforeEach(async () => {
  summaryFile = join(await mkdtemp(join(tmp, 'run-')), 'summary.md');
  await writeFile(summaryFile, '');
  process.env.GITHUB_STEP_SUMMARY = summaryFile;
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

describe('action mode: check', () => {
  it('evaluates the built-in suite with the oracle: truth table in the log and the job summary', async () => {
    process.env['INPUT_CALICO-VERSION'] = 'v3.32.1';
    await checkMode();
    expect(process.exitCode).toBeUndefined();
    expect(printed).toMatch(/Calico v3\.32\.1 .*: suite boutique/);
    expect(printed).toMatch(/12 case\(s\): 12 agree, 0 disagree/);
    expect(printed).toContain(
      '↳ from boutique/sa:frontend {app=catalog-client} to productcatalogservice:3550',
    );
    expect(await readFile(summaryFile, 'utf8')).toContain('Policy oracle: boutique');
  });

  it('fails the step when a written verdict disagrees (the deny-all defect of v3.31.5)', async () => {
    process.env['INPUT_CALICO-VERSION'] = 'v3.31.5';
    process.env.INPUT_SUITE = join(ROOT, 'e2e-manifests/suites/boutique/suite.yaml');
    await checkMode();
    expect(process.exitCode).toBe(1);
    expect(printed).toMatch(
      /::error::\d+ expectation\(s\) of boutique disagree with the policy oracle for Calico v3\.31\.5/,
    );
  });

  it('refuses an unknown version and an invalid suite, naming the input', async () => {
    process.env['INPUT_CALICO-VERSION'] = 'v9.9.9';
    await expect(checkMode()).rejects.toThrow(
      /Invalid input "calico-version": "v9.9.9" .*Accepted: .*v3\.32\.1/,
    );
    process.env['INPUT_CALICO-VERSION'] = 'v3.32.1';
    const bad = join(tmp, 'bad.yaml');
    await writeFile(bad, 'kind: Suite\n');
    process.env.INPUT_SUITE = bad;
    await expect(checkMode()).rejects.toThrow(/Invalid input "suite": .*apiVersion/);
  });
});
