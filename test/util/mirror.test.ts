import { describe, expect, it } from 'vitest';
import { InputError, parseCellConfig } from '../../src/config/cell-config.js';
import { actionNaming, cliNaming } from '../../src/config/inputs.js';
import { applyMirrors, parseMirrorRules } from '../../src/util/mirror.js';

const rule = (from: string, to: string) => ({ from, to });

describe('mirror rules', () => {
  it('refuses an http:// mirror unless allow-insecure-mirrors, naming the input and the line', () => {
    const mirrors = 'https://dl.k8s.io=https://m.example/k8s\nhttps://kind.sigs.k8s.io=http://m.example/kind';
    const err = (() => {
      try {
        parseCellConfig({ mirrors }, actionNaming);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg).toContain(
      'Invalid input "mirrors": "https://kind.sigs.k8s.io=http://m.example/kind" (line 2)',
    );
    expect(msg).toContain('http:// mirror');
    expect(msg).toContain('allow-insecure-mirrors');
    const ok = parseCellConfig({ mirrors, 'allow-insecure-mirrors': 'true' }, cliNaming);
    expect(ok.mirrors).toEqual([
      rule('https://dl.k8s.io', 'https://m.example/k8s'),
      rule('https://kind.sigs.k8s.io', 'http://m.example/kind'),
    ]);
  });

  it('takes one rule per line: a comma inside a URL is part of it', () => {
    const { rules, problems } = parseMirrorRules('https://dl.k8s.io=https://m.example/a,b', false);
    expect(problems).toEqual([]);
    expect(rules).toEqual([rule('https://dl.k8s.io', 'https://m.example/a,b')]);
  });

  it('names the offending line by number among good ones', () => {
    const { problems } = parseMirrorRules('\nhttps://a.example=https://b.example\nnot a rule\n', false);
    expect(problems).toEqual([{ line: 3, text: 'not a rule', why: 'is not a FROM=TO pair' }]);
  });

  it('matches a prefix only at a path boundary (no sibling host or sibling path)', () => {
    const rules = [rule('https://github.com', 'https://m.example/gh')];
    expect(applyMirrors('https://github.com.evil.example/x', rules)).toBe(
      'https://github.com.evil.example/x',
    );
    expect(applyMirrors('https://github.com/istio/x', rules)).toBe('https://m.example/gh/istio/x');
    const path = [rule('https://dl.k8s.io/release', 'https://m.example/rel')];
    expect(applyMirrors('https://dl.k8s.io/releases/x', path)).toBe('https://dl.k8s.io/releases/x');
    expect(applyMirrors('https://dl.k8s.io/release/v1/x', path)).toBe('https://m.example/rel/v1/x');
    const slash = [rule('https://dl.k8s.io/', 'https://m.example/')];
    expect(applyMirrors('https://dl.k8s.io/a', slash)).toBe('https://m.example/a');
  });
});
