import { describe, expect, it } from 'vitest';
import { matches, parseSelector, SelectorError } from '../../src/oracle/selector.js';

type L = Record<string, string>;

// The corpus of libcalico-go/lib/selector/parser/parser_test.go (v3.32.1) selectorTests: each
// selector with labels it must match and labels it must not.
const CORPUS: [string, L[], L[]][] = [
  [`a == "b"`, [{ a: 'b' }, { a: 'b', c: 'd' }], [{}, { a: 'c' }, { c: 'd' }]],
  [
    `a == "b" && c == "d"`,
    [{ a: 'b', c: 'd' }],
    [{}, { a: 'b', c: 'e' }, { a: 'c', c: 'd' }, { c: 'd' }, { a: 'b' }],
  ],
  [
    `a == "b" || c == "d"`,
    [{ a: 'b', c: 'd' }, { a: 'b' }, { c: 'd' }],
    [{}, { a: 'e', c: 'e' }, { c: 'e' }, { a: 'e' }],
  ],
  [`a in {"'", '"', "c"}`, [{ a: 'c' }, { a: '"' }, { a: "'" }], [{}, { a: 'e' }]],
  [`a not in {"'", '"', "c"}`, [{}, { a: 'e' }], [{ a: 'c' }, { a: '"' }, { a: "'" }]],
  [`a == 'a'`, [{ a: 'a' }], [{ a: 'b' }, {}]],
  [`a != "b"`, [{ a: 'a' }], []],
  // `!=` and `not in` match a pod that lacks the label (ast.go LabelNeValueNode / LabelNotInSetNode).
  [`a != "a"`, [{}], [{ a: 'a' }]],
  [`a contains "a"`, [{ a: 'a' }, { a: 'bab' }, { a: 'aaa', b: 'c' }], [{}, { a: 'b' }, { b: 'aaa' }]],
  [
    `a starts with "a"`,
    [{ a: 'a' }, { a: 'abb' }, { a: 'aaa', b: 'c' }],
    [{}, { a: 'b' }, { a: 'baa' }, { b: 'aaa' }],
  ],
  [
    `a ends with "a"`,
    [{ a: 'a' }, { a: 'bba' }, { a: 'aaa', b: 'c' }],
    [{}, { a: 'b' }, { a: 'aab' }, { b: 'aaa' }],
  ],
  [`a in {"a"}`, [{ a: 'a' }], [{ a: 'b' }]],
  [`!a in {"a"}`, [{ a: 'b' }], []],
  [`a in {"a", "b"}`, [{ a: 'a' }, { a: 'b' }], [{ a: 'c' }]],
  [`a not in {"d", "e"}`, [{ a: 'a' }, {}], []],
  [`a not in {"a"}`, [], [{ a: 'a' }]],
  [`has(a)`, [{ a: 'b' }], [{ b: 'b' }]],
  [`!has(a)`, [{ b: 'b' }], [{ a: 'b' }]],
  [``, [{}, { a: 'b' }], []],
  [` `, [{}], []],
  [`all()`, [{}, { a: 'b' }], []],
  [` all()`, [{}], []],
  [`global()`, [{}, { a: 'b' }], []],
  [`!!has(b)`, [], [{ a: 'b' }]],
  [`! has(a)`, [], [{ a: 'b' }]],
  [`!!! has(a)`, [], [{ a: 'b' }]],
  [`!! ! has(a)`, [], [{ a: 'b' }]],
  [`a == 'a1' && b == 'b1'`, [{ a: 'a1', b: 'b1' }], []],
  [`a == 'a1' && b != 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  [`a != 'a1' && !b == 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  [`has(a) && !has(b)`, [{ a: 'a' }], []],
  [`!(!has(a) || has(b))`, [{ a: 'a' }], []],
  [`a == 'a1' || b != 'b1'`, [{ a: 'a1', b: 'b1' }], []],
  [`a != 'a1' || b != 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  [`! a == 'a1' || ! b == 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  // Precedence: && binds tighter than ||; parentheses override it.
  [`a == 'x' || b == 'y' && c == 'z'`, [{ a: 'x' }, { b: 'y', c: 'z' }], [{ b: 'y' }]],
  [`(a == 'x' || b == 'y') && c == 'z'`, [{ a: 'x', c: 'z' }], [{ a: 'x' }]],
  // Label names may hold `.`, `/`, `-`, `_` (the labels Calico adds are such names).
  [`projectcalico.org/namespace == 'boutique'`, [{ 'projectcalico.org/namespace': 'boutique' }], [{}]],
  [
    `projectcalico.org/orchestrator == 'k8s' && app == 'web'`,
    [{ 'projectcalico.org/orchestrator': 'k8s', app: 'web' }],
    [{ app: 'web' }],
  ],
  [
    `projectcalico.org/serviceaccount in {'a', 'b'}`,
    [{ 'projectcalico.org/serviceaccount': 'b' }],
    [{ 'projectcalico.org/serviceaccount': 'c' }],
  ],
  // A trailing comma and an empty set parse (parser.go's set loop).
  [`a in {'x',}`, [{ a: 'x' }], [{ a: 'y' }]],
  [`a in {}`, [], [{ a: '' }, {}]],
  [`a not in {}`, [{ a: 'x' }, {}], []],
  // Tabs count as whitespace; operators need no spaces.
  [`a=='b'&&c!='d'`, [{ a: 'b' }], [{ a: 'b', c: 'd' }]],
  ["a\t==\t'b'", [{ a: 'b' }], []],
  [`a == ''`, [{ a: '' }], [{}]],
];

describe('Calico selector language (libcalico-go/lib/selector, v3.32.1)', () => {
  it.each(CORPUS)('%j', (selector, yes, no) => {
    for (const labels of yes)
      expect(matches(selector, labels), `${selector} on ${JSON.stringify(labels)}`).toBe(true);
    for (const labels of no)
      expect(matches(selector, labels), `${selector} on ${JSON.stringify(labels)}`).toBe(false);
  });

  // parser_test.go badSelectors, plus the tokenizer's own refusals.
  it.each([
    ['b == b', 'expected string'],
    ['b contains b', 'expected string'],
    // Two-word operators check the word boundary after the whitespace: a bare label is no operator.
    ['b starts with b', 'expected operator after label "b"'],
    ['b ends with b', 'expected operator after label "b"'],
    ["'b1' == b", 'unexpected token'],
    ['b', 'unexpected end'],
    ['a b', 'expected operator after label "a"'],
    ['!', 'unexpected token'],
    [`foo == "bar" &`, 'expected &&'],
    [`foo == "bar" |`, 'expected ||'],
    [`foo != ||`, 'expected string'],
    [`foo in {"", ||`, 'expected }'],
    [`foo in ""`, 'expected set literal'],
    [`"FOO`, 'unterminated string'],
    [`"FOO'`, 'unterminated string'],
    [`'FOO`, 'unterminated string'],
    [`(`, 'unexpected token'],
    [`(a == "foo"`, 'expected )'],
    [`)`, 'unexpected token'],
    [`()`, 'unexpected token'],
    [`%`, 'expected identifier'],
    [`a == "b" && %`, 'expected identifier'],
    [`a == "b" || %`, 'expected identifier'],
    [`a `, 'unexpected end'],
    [`has(foo) &&`, 'unexpected token'],
    [`a = 'b'`, 'expected =='],
    [`has(a`, "no closing ')' after has("],
    [`all(x)`, "no closing ')' after all("],
    [`a == 'b' c`, 'unexpected content at end'],
    [`a == 'b' has(c)`, 'unexpected content at end'],
    [`${'x'.repeat(513)} == 'y'`, 'label too long'],
  ])('refuses %j (%s)', (selector, why) => {
    expect(() => parseSelector(selector)).toThrow(SelectorError);
    expect(() => parseSelector(selector)).toThrow(why);
  });

  it('names the selector in its error', () => {
    expect(() => parseSelector('app = web')).toThrow(`invalid selector "app = web": expected ==`);
  });
});
