import { Ajv } from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { INPUTS } from '../../src/config/inputs.js';
import { ACTION_INPUTS } from '../../src/action/inputs.js';
import { VERSION } from '../../src/version.js';

const action = load(readFileSync('action.yml', 'utf8')) as any;
const schema = JSON.parse(readFileSync('test/support/action-metadata.schema.json', 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(schema);

describe('action.yml', () => {
  it('is valid action metadata for the node24 runtime, main and post in one bundle', () => {
    expect(validate(action), JSON.stringify(validate.errors)).toBe(true);
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/action.js', post: 'dist/action.js' });
    expect(existsSync(action.runs.main)).toBe(true);
  });

  it('the schema rejects what GitHub would (it can fail)', () => {
    expect(validate({ ...action, runs: { using: 'node16', main: 'dist/action.js' } })).toBe(false);
    expect(validate({ ...action, inputs: { x: { default: 'a' } } })).toBe(false);
    expect(validate({ ...action, branding: { color: 'pink' } })).toBe(false);
  });

  it('declares every cell input with the same default and description, plus the action-only ones', () => {
    const declared = Object.keys(action.inputs);
    const expected = [...ACTION_INPUTS.map((i) => i.name), ...INPUTS.map((i) => i.name)];
    expect(declared.sort()).toEqual([...new Set(expected)].sort());
    for (const i of [...INPUTS, ...ACTION_INPUTS]) {
      expect(action.inputs[i.name].default, i.name).toBe(i.default);
      expect(action.inputs[i.name].description, i.name).toBe(i.description);
      expect(action.inputs[i.name].required, i.name).toBe(false);
    }
  });

  it('the package version and the generator version agree', () => {
    expect(JSON.parse(readFileSync('package.json', 'utf8')).version).toBe(VERSION);
  });
});
