import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import { loadResults } from '../../src/report/load-results.js';
import { RESULTS_SCHEMA_PATH, resultsJsonSchemaText } from '../../src/report/json-schema.js';
import { RESULTS_SCHEMA_URL } from '../../src/published.js';
import { FIXTURES, REPO_ROOT, UPDATE } from './golden.js';

const committedFile = join(REPO_ROOT, RESULTS_SCHEMA_PATH);

describe('published JSON Schema of results.json', () => {
  it(`${RESULTS_SCHEMA_PATH} equals a fresh generation from CellResultSchema (UPDATE_GOLDEN=1 rewrites it)`, async () => {
    // Formatted as the repository formats JSON, so `prettier --check` and this test agree.
    const fresh = await format(resultsJsonSchemaText(), {
      ...(await resolveConfig(committedFile)),
      filepath: committedFile,
    });
    if (UPDATE) {
      await mkdir(dirname(committedFile), { recursive: true });
      await writeFile(committedFile, fresh);
    }
    expect(await readFile(committedFile, 'utf8')).toBe(fresh);
  });

  it('carries its published URL as $id', async () => {
    const schema = JSON.parse(await readFile(committedFile, 'utf8')) as { $id?: string };
    expect(schema.$id).toBe(RESULTS_SCHEMA_URL);
    expect(RESULTS_SCHEMA_URL.endsWith(`/${RESULTS_SCHEMA_PATH}`)).toBe(true);
  });

  it('accepts every valid fixture and refuses the invalid ones, as the zod schema does', async () => {
    const schema = JSON.parse(await readFile(committedFile, 'utf8')) as object;
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    const { results, invalid } = await loadResults([FIXTURES], REPO_ROOT);
    for (const r of results) {
      const raw = JSON.parse(await readFile(join(REPO_ROOT, r.file), 'utf8')) as unknown;
      expect(validate(raw), `${r.file}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(invalid.length).toBeGreaterThan(0);
    for (const f of invalid) {
      const raw = JSON.parse(await readFile(join(REPO_ROOT, f.file), 'utf8')) as unknown;
      expect(validate(raw), f.file).toBe(false);
    }
  });
});
