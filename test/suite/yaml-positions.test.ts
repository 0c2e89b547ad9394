import { describe, expect, it } from 'vitest';
import { YamlPositions } from '../../src/suite/yaml-positions.js';

const SRC = [
  'name: x', // 1
  'target:', // 2
  '  namespace: boutique', // 3
  'steps:', // 4
  '  - name: a', // 5
  '    expect: [ {verdict: allow}, "b" ]', // 6
  '  - name: b', // 7
  '    empty:', // 8
  '    anchored: &x 3', // 9
  '    alias: *x', // 10
  '    ? [complex, key]', // 11
  '    : v', // 12
  '    after: 1', // 13
].join('\n');

describe('YamlPositions', () => {
  const p = new YamlPositions(SRC);
  it.each([
    [['name'], 1],
    [['target'], 2],
    [['target', 'namespace'], 3],
    [['steps', 0], 5],
    [['steps', 0, 'expect', 0, 'verdict'], 6],
    [['steps', 0, 'expect', 1], 6],
    [['steps', 1, 'empty'], 8],
    [['steps', 1, 'anchored'], 9],
    [['steps', 1, 'alias'], 10],
    [['steps', 1, 'after'], 13],
  ] as const)('%j is on line %i', (path, line) => {
    expect(p.get(path)).toBeDefined();
    expect(p.lineFor(path)).toBe(line);
  });

  it('a block value sits below its key; the key line is what is reported', () => {
    expect(p.get(['target'])).toEqual({ keyLine: 2, valueLine: 3 });
  });

  it('a missing node is reported at its nearest ancestor', () => {
    expect(p.get(['target', 'selector'])).toBeUndefined();
    expect(p.lineFor(['target', 'selector'])).toBe(2);
    expect(p.lineFor(['steps', 1, 'expect', 0, 'request'])).toBe(7);
    expect(p.lineFor(['nowhere'])).toBe(1);
  });
});
