import { describe, expect, it } from 'vitest';
import { boundaryProbes } from '../../src/suite/generate.js';

const paths = (probes: { method: string; path: string }[]) => probes.map((p) => `${p.method} ${p.path}`);

describe('boundary requests for one http clause', () => {
  it('each listed method and one not listed', () => {
    expect(paths(boundaryProbes({ methods: ['GET', 'POST'] }))).toEqual(['GET /', 'POST /', 'HEAD /']);
  });

  it('a prefix at the segment boundary, inside, just past, and the shapes normalisation changes', () => {
    expect(paths(boundaryProbes({ methods: ['GET'], paths: [{ prefix: '/static' }] }))).toEqual([
      'GET /static',
      'HEAD /static',
      'GET /static',
      'GET /static/',
      'GET /static/x',
      'GET /staticfoo',
      'GET /Static/x',
      'GET //static/x',
      'GET /static//x',
      'GET /static/./x',
      'GET /static/../x',
      'GET /x/../static/x',
      'GET /static%2Fx',
      'GET /static/%2e%2e/x',
      'GET /%73tatic/x',
      'GET /static/x?q=1',
      'GET /static?q=1',
    ]);
  });

  it('an exact path with its trailing-slash and case variants, dot segments, encoded separator, query', () => {
    expect(paths(boundaryProbes({ paths: [{ exact: '/api/v1/' }] }))).toEqual([
      'GET /api/v1/',
      'GET /api/v1',
      'GET /Api/v1/',
      'GET //api/v1/',
      'GET /x/../api/v1/',
      'GET /./api/v1/',
      'GET /api/v1%2F',
      'GET /%61pi/v1/',
      'GET /api/v1/?q=1',
      'GET /api/v1x',
    ]);
  });

  it('the root', () => {
    expect(paths(boundaryProbes({ paths: [{ exact: '/' }] }))).toEqual([
      'GET /',
      'GET //',
      'GET /.',
      'GET /?q=1',
      'GET /%2e',
      'GET /x',
    ]);
  });
});
