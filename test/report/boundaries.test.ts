import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The report reads results and the planned matrix as given: it never re-decides from the catalog. */
const FORBIDDEN = ['config', 'catalog', 'render', 'run'];
const IMPORT = /(?:from|import\()\s*['"](\.\.\/[^'"]+)['"]/g;

function importsOf(dir: string): { file: string; spec: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      [...readFileSync(join(dir, f), 'utf8').matchAll(IMPORT)].map((m) => ({ file: f, spec: m[1]! })),
    );
}

function forbiddenImports(dir: string): string[] {
  return importsOf(dir)
    .filter(({ spec }) => FORBIDDEN.some((f) => spec.startsWith(`../${f}/`)))
    .map(({ file, spec }) => `${file} imports ${spec}`);
}

describe('src/report boundaries', () => {
  it(`imports nothing from ${FORBIDDEN.join(', ')}`, () => {
    const found = importsOf('src/report');
    expect(found.length).toBeGreaterThan(5);
    expect(forbiddenImports('src/report')).toEqual([]);
  });

  it('the scan sees a forbidden import (it can fail)', () => {
    expect([...`import { x } from '../catalog/index.js';`.matchAll(IMPORT)].map((m) => m[1])).toEqual([
      '../catalog/index.js',
    ]);
  });
});
