import { describe, expect, it } from 'vitest';
import {
  compileTestFilters,
  selectSuite,
  splitTestFilters,
  testEnabled,
  type TestSelection,
} from '../../src/suite/selection.js';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { actionNaming, cliNaming } from '../../src/config/inputs.js';

const sel = (...filters: string[]): TestSelection => {
  const c = compileTestFilters(filters);
  if (!c.ok) throw new Error(JSON.stringify(c.problems));
  return c.selection;
};

const spec = {
  steps: [
    { name: 'baseline', expect: [{ request: { method: 'GET' as const, path: '/' } }] },
    { name: 'deny-all', expect: [{ request: { method: 'GET' as const, path: '/' } }] },
    {
      name: 'allow-homepage',
      expect: [
        { request: { method: 'GET' as const, path: '/' } },
        { name: 'cart stays denied', request: { method: 'GET' as const, path: '/cart' } },
      ],
    },
  ],
} as unknown as Parameters<typeof selectSuite>[0];

describe('--test filters (cilium-cli semantics)', () => {
  it.each([
    // [filters, name, enabled]
    [[], 'baseline/GET /', true],
    [['baseline'], 'baseline/GET /', true],
    [['baseline'], 'deny-all/GET /', false],
    // Unanchored, as Go's MatchString: a fragment matches.
    [['line'], 'baseline/GET /', true],
    [['^deny'], 'deny-all/GET /', true],
    [['^homepage'], 'allow-homepage/GET /', false],
    [['!deny'], 'baseline/GET /', true],
    [['!deny'], 'deny-all/GET /', false],
    // An exclusion wins over an inclusion that also matches.
    [['allow', '!cart'], 'allow-homepage/cart stays denied', false],
    [['allow', '!cart'], 'allow-homepage/GET /', true],
    // Inclusions are or-ed.
    [['baseline', 'deny'], 'deny-all/GET /', true],
    [['baseline', 'deny'], 'allow-homepage/GET /', false],
  ])('%j on %j → %j', (filters, name, enabled) => {
    expect(testEnabled(sel(...filters), name)).toBe(enabled);
  });

  it('splits on commas and newlines, dropping blanks', () => {
    expect(splitTestFilters(' baseline, !deny\n\nallow ,')).toEqual(['baseline', '!deny', 'allow']);
    expect(splitTestFilters('')).toEqual([]);
  });

  it('selects expectations by `step/expectation`, the generated name when none is given', () => {
    const s = selectSuite(spec, sel('/cart', 'baseline'));
    expect(s.steps.map((x) => x.selected)).toEqual([[true], [false], [false, true]]);
    expect(s).toMatchObject({
      selectedSteps: 2,
      selectedExpectations: 2,
      totalExpectations: 4,
      lastSelectedStep: 2,
    });
    expect(selectSuite(spec, sel('!allow')).lastSelectedStep).toBe(1);
    expect(selectSuite(spec, sel('nothing-matches')).selectedExpectations).toBe(0);
    expect(selectSuite(spec, undefined).selectedExpectations).toBe(4);
  });

  it('refuses a bad regex, a bare `!` and an overlong filter, naming each', () => {
    const c = compileTestFilters(['ok', '(unclosed', '!', 'x'.repeat(201)]);
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(c.problems.map((p) => p.filter)).toEqual(['(unclosed', '!', 'x'.repeat(201)]);
    expect(c.problems[0]?.why).toMatch(/^is not a regular expression \(/);
  });
});

describe('input `test` in the cell config', () => {
  it('is a list of filters, empty by default', () => {
    expect(parseCellConfig({}, cliNaming).test).toEqual([]);
    expect(parseCellConfig({ test: 'baseline\n!deny' }, cliNaming).test).toEqual(['baseline', '!deny']);
  });

  it('a bad regex is refused before anything runs, naming the input and the filter', () => {
    expect(() => parseCellConfig({ test: 'ok,[z-a]' }, actionNaming)).toThrow(
      /^Invalid input "test": "\[z-a\]" is not a regular expression \(.*\)\. Accepted: regular expressions matched against `step\/expectation` names/,
    );
    expect(() => parseCellConfig({ test: '(' }, cliNaming)).toThrow(/^Invalid --test: "\("/);
  });
});
