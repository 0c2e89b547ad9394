import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { load } from 'js-yaml';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import {
  PUBLISHED_REPOSITORY,
  PUBLISHED_TAG,
  SUITE_SCHEMA_PATH,
  SUITE_SCHEMA_URL,
} from '../../src/published.js';
import { defaultSuiteFile, suiteJsonSchema } from '../../src/suite/index.js';

const SCHEMA_FILE = resolve(import.meta.dirname, '../../schemas/suite.schema.json');

/** The committed file's exact text: the zod schema as JSON Schema, formatted as the repo formats JSON. */
async function render(): Promise<string> {
  const options = (await resolveConfig(SCHEMA_FILE)) ?? {};
  return format(JSON.stringify(suiteJsonSchema()), { ...options, parser: 'json' });
}

describe('schemas/suite.schema.json', () => {
  it('equals a fresh generation from the zod schema (UPDATE_SUITE_SCHEMA=1 rewrites it)', async () => {
    const fresh = await render();
    if (process.env.UPDATE_SUITE_SCHEMA === '1') await writeFile(SCHEMA_FILE, fresh);
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(fresh);
  });

  it('accepts the shipped suites and refuses a broken one, like the zod schema', async () => {
    const ajv = new Ajv2020({ allErrors: true });
    const validate = ajv.compile(JSON.parse(await readFile(SCHEMA_FILE, 'utf8')) as object);
    for (const file of [defaultSuiteFile(), resolve(import.meta.dirname, 'fixtures/user-suite/suite.yaml')]) {
      const ok = validate(load(await readFile(file, 'utf8')));
      expect(ok, JSON.stringify(validate.errors)).toBe(true);
    }
    const broken = {
      apiVersion: 'calico-istio-conformance/v1',
      kind: 'Suite',
      name: 'x',
      target: { namespace: 'boutique' },
      steps: [{ name: 's', expect: [{ request: { path: '/' }, verdict: 'permit' }] }],
    };
    expect(validate(broken)).toBe(false);
    expect(validate.errors?.some((e) => e.instancePath === '/steps/0/expect/0/verdict')).toBe(true);
  });
});

describe('the published schema URL', () => {
  const ROOT = resolve(import.meta.dirname, '../..');
  const MODELINE = /^# yaml-language-server: \$schema=(\S+)$/m;

  it("is the committed schema's $id: a raw URL of this repository at the tag users put in `uses:`", async () => {
    const schema = JSON.parse(await readFile(SCHEMA_FILE, 'utf8')) as { $id?: string };
    expect(schema.$id).toBe(SUITE_SCHEMA_URL);
    const readme = await readFile(resolve(ROOT, 'README.md'), 'utf8');
    // The action's own usage line names the same repository and tag the URL is built from.
    expect(readme).toContain(`uses: ${PUBLISHED_REPOSITORY}@${PUBLISHED_TAG}`);
    expect(SUITE_SCHEMA_URL).toBe(
      `https://raw.githubusercontent.com/${PUBLISHED_REPOSITORY}/${PUBLISHED_TAG}/${SUITE_SCHEMA_PATH}`,
    );
  });

  it("every shipped suite and the README's example carry the modeline naming that $id", async () => {
    const schema = JSON.parse(await readFile(SCHEMA_FILE, 'utf8')) as { $id: string };
    const suites = [defaultSuiteFile(), resolve(import.meta.dirname, 'fixtures/user-suite/suite.yaml')];
    for (const file of suites) {
      const first = (await readFile(file, 'utf8')).split('\n')[0]!;
      expect(MODELINE.exec(first)?.[1], file).toBe(schema.$id);
    }
    const readme = await readFile(resolve(ROOT, 'README.md'), 'utf8');
    const example = /```yaml\n(# yaml-language-server[^\n]*)\napiVersion: calico-istio-conformance\/v1/.exec(
      readme,
    );
    expect(MODELINE.exec(example?.[1] ?? '')?.[1]).toBe(schema.$id);
  });
});
