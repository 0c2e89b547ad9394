import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { expect } from 'vitest';

/**
 * Golden files under test/report/golden/. The default run compares and fails on any difference;
 * regenerate them after an intended change with:
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/report
 *
 * then review the diff of test/report/golden/ (and schemas/) before committing.
 */
export const UPDATE = process.env.UPDATE_GOLDEN === '1';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const GOLDEN_DIR = join(import.meta.dirname, 'golden');
export const FIXTURES = join(REPO_ROOT, 'test/fixtures/results');

/** Golden files end in .golden so formatters leave them byte-for-byte as the renderers wrote them. */
export async function expectGolden(name: string, actual: string): Promise<void> {
  const file = join(GOLDEN_DIR, `${name}.golden`);
  if (UPDATE) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, actual);
    return;
  }
  const expected = await readFile(file, 'utf8').catch(() => {
    throw new Error(`golden file ${name} is missing: run UPDATE_GOLDEN=1 npx vitest run test/report`);
  });
  expect(actual, `${name} differs from its golden file (UPDATE_GOLDEN=1 regenerates it)`).toBe(expected);
}

/** The fixture cells the goldens are built from: one of each kind, plus a duplicate pair. */
export const VALID_FIXTURES = ['pass', 'fail', 'known-defect', 'unsupported', 'error', 'duplicate'] as const;
export const SINGLE_FIXTURES = ['pass', 'fail', 'known-defect', 'unsupported', 'error'] as const;

export const FIXED_NOW = () => new Date('2026-07-14T06:00:00.000Z');
export const GENERATOR = 'calico-istio-conformance (golden)';
