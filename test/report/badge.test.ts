import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { badgeJson, badgeSvg } from '../../src/report/badge.js';
import { badgeFor, type MatrixSummary } from '../../src/report/matrix-model.js';

/** https://shields.io/badges/endpoint-badge: the keys shields accepts; any other key is an error. */
const ALLOWED = new Set([
  'schemaVersion',
  'label',
  'message',
  'color',
  'labelColor',
  'isError',
  'namedLogo',
  'logoSvg',
  'logoColor',
  'logoWidth',
  'style',
  'cacheSeconds',
]);

function shieldsProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const k of Object.keys(doc)) if (!ALLOWED.has(k)) problems.push(`unknown key ${k}`);
  if (doc.schemaVersion !== 1) problems.push('schemaVersion must be 1');
  if (typeof doc.label !== 'string') problems.push('label must be a string');
  if (typeof doc.message !== 'string' || doc.message.trim() === '')
    problems.push('message must be non-empty');
  if (
    doc.cacheSeconds !== undefined &&
    !(Number.isInteger(doc.cacheSeconds) && (doc.cacheSeconds as number) >= 300)
  )
    problems.push('cacheSeconds must be an integer ≥ 300');
  if (doc.color !== undefined && typeof doc.color !== 'string') problems.push('color must be a string');
  return problems;
}

const summary = (over: Partial<MatrixSummary>): MatrixSummary => ({
  cells: 0,
  run: 0,
  pass: 0,
  fail: 0,
  error: 0,
  knownDefect: 0,
  outsideWindow: 0,
  notRun: 0,
  conflict: 0,
  planned: 0,
  missing: 0,
  ...over,
});

describe('badge', () => {
  it.each([
    [summary({ run: 16, pass: 14, knownDefect: 2 }), '14/16 passing · 2 known defect', 'brightgreen'],
    [summary({ run: 16, pass: 16 }), '16/16 passing', 'brightgreen'],
    [summary({ run: 10, pass: 9, fail: 1 }), '9/10 passing', 'green'],
    [summary({ run: 10, pass: 8, fail: 2 }), '8/10 passing', 'yellowgreen'],
    [summary({ run: 10, pass: 5, fail: 5 }), '5/10 passing', 'yellow'],
    [summary({ run: 10, pass: 1, fail: 9 }), '1/10 passing', 'orange'],
    [summary({ run: 4, pass: 0, error: 4 }), '0/4 passing', 'red'],
    [
      summary({ run: 3, pass: 1, conflict: 1, knownDefect: 1 }),
      '1/3 passing · 1 known defect · 1 conflict',
      'yellow',
    ],
    [summary({ run: 2, knownDefect: 2 }), '0/2 passing · 2 known defect', 'yellow'],
    [summary({ cells: 4, notRun: 4 }), 'no results', 'lightgrey'],
    // A planned in-window cell that reported nothing is not a passing one.
    [
      summary({ cells: 12, planned: 12, run: 1, pass: 1, missing: 2, outsideWindow: 9 }),
      '1/3 passing · 2 missing',
      'orange',
    ],
    [
      summary({ cells: 12, planned: 12, run: 10, pass: 10, missing: 2 }),
      '10/12 passing · 2 missing',
      'yellowgreen',
    ],
    [summary({ cells: 3, planned: 3, missing: 3 }), '0/3 passing · 3 missing', 'red'],
    // Every cell a known defect: shown, not red.
    [summary({ cells: 3, run: 3, knownDefect: 3 }), '0/3 passing · 3 known defect', 'yellow'],
  ])('%j → "%s" in %s', (s, message, color) => {
    const b = badgeFor(s);
    expect(b).toEqual({ label: 'ALP conformance', message, color });
  });

  it('badge.json follows the shields endpoint rules', () => {
    for (const s of [summary({ run: 16, pass: 14, knownDefect: 2 }), summary({})]) {
      const doc = JSON.parse(JSON.stringify(badgeJson(badgeFor(s)))) as Record<string, unknown>;
      expect(shieldsProblems(doc)).toEqual([]);
    }
    // The rule checker itself refuses what shields refuses.
    expect(
      shieldsProblems({ schemaVersion: 2, label: 'x', message: '', extra: 1, cacheSeconds: 60 }),
    ).toHaveLength(4);
  });

  it('badge.svg is well-formed XML carrying label and message', () => {
    const b = badgeFor(summary({ run: 16, pass: 14, knownDefect: 2 }));
    const svg = badgeSvg(b);
    expect(XMLValidator.validate(svg)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(svg) as { svg: { title?: string } };
    expect(doc.svg).toBeDefined();
    expect(doc.svg.title).toBe(`${b.label}: ${b.message}`);
  });

  it('escapes text in the svg', () => {
    const svg = badgeSvg({ label: 'a<b', message: '1 & 2 "x"', color: 'red' });
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).not.toContain('a<b');
  });
});
