import { describe, expect, it } from 'vitest';
import { dikastesNormalise, envoyBaseNormalise, matchHttp } from '../../src/oracle/paths.js';
import { oracleSemanticsFor } from '../../src/cli/evaluate-command.js';
import { resolveCalicoSemantics } from '../../src/resolve/cell.js';
import type { OracleSemantics } from '../../src/oracle/model.js';
import { docs, gnp, run, world } from './helpers.js';

const semantics = (v: string): OracleSemantics => {
  const s = oracleSemanticsFor(v);
  if (!s.ok) throw new Error(s.why);
  return s.sem;
};

describe('the Calico version decides path semantics (catalog pathNormalisationFrom, via src/resolve)', () => {
  it.each([
    ['v3.29.7', 'raw-prefix', false],
    ['v3.30.7', 'raw-prefix', true],
    ['v3.31.5', 'raw-prefix', true],
    ['v3.31.6', 'normalised', true],
    ['v3.31.7', 'normalised', true],
    ['v3.32.0', 'normalised', false],
    ['v3.32.1', 'normalised', false],
  ])('%s: %s, deny-all defect %s', (v, mode, defect) => {
    const s = semantics(v);
    expect(s.httpPaths).toBe(mode);
    expect(s.denyAllDefect !== undefined).toBe(defect);
  });

  it('an unknown version says why', () => {
    const s = resolveCalicoSemantics('v3.99.0');
    expect(s.ok).toBe(false);
  });
});

// One rule, GET with exact / and prefixes /static and /product, the Boutique homepage policy.
const RULE = { methods: ['GET'], paths: [{ exact: '/' }, { prefix: '/static' }, { prefix: '/product' }] };

describe('the same path cases across versions (match.go matchHTTPPaths: v3.29.7 raw; v3.31.6+ normalised)', () => {
  // [request path as the client sends it, v3.29.7 & v3.31.5 (raw), v3.31.6 & v3.32.1 (normalised)]
  it.each([
    ['/', true, true],
    ['/static', true, true],
    ['/static/', true, true],
    ['/static/x.css', true, true],
    ['/staticfoo', true, false],
    ['/static?v=1', true, true],
    ['/?q=1', true, true],
    ['/cart', false, false],
    ['/Static/x', false, false],
    // Envoy resolves dot segments before ext_authz, so neither version sees them.
    ['/static/../cart', false, false],
    ['/cart/../static/x', true, true],
    ['//static/x', false, true],
    ['/static//x', true, true],
    // Envoy decodes %73 (unreserved) before ext_authz, so even the raw versions see /static/x.
    ['/%73tatic/x', true, true],
    // Dikastes decodes %2F once: /static/x is inside the prefix.
    ['/static%2Fx', true, true],
    ['/static/%2e%2e/cart', false, false],
    // Double-encoded dots survive one decode: Dikastes refuses the path (never matches).
    ['/static/%252e%252e/x', true, false],
    ['/static/x;jsessionid=1', true, true],
    ['/static;x/y', true, true],
    ['/product/OLJCESPC7Z', true, true],
    ['/productsecret', true, false],
  ])('%s: raw %s, normalised %s', (path, raw, normalised) => {
    // What the target's sidecar passes on: Envoy's BASE normalisation comes first.
    const seen = envoyBaseNormalise(path);
    for (const v of ['v3.29.7', 'v3.31.5'])
      expect(matchHttp(RULE, 'GET', seen, semantics(v).httpPaths).matched, v).toBe(raw);
    for (const v of ['v3.31.6', 'v3.32.1'])
      expect(matchHttp(RULE, 'GET', seen, semantics(v).httpPaths).matched, v).toBe(normalised);
  });

  it('on a cluster v3.31.5 and v3.31.6 both deny everything (calico-11857): the change is first visible in v3.32.0', () => {
    const w = world(
      docs(
        gnp(
          'home',
          `selector: "app == 'frontend'"\ningress: [{action: Allow, http: {methods: [GET], paths: [{prefix: /static}]}}]`,
        ),
      ),
    );
    for (const v of ['v3.31.5', 'v3.31.6'])
      expect(run(w, { path: '/staticfoo' }, semantics(v)).decidedBy.kind).toBe('defect');
    expect(run(w, { path: '/staticfoo' }, semantics('v3.29.7')).verdict).toBe('allowed');
    expect(run(w, { path: '/staticfoo' }, semantics('v3.32.0')).verdict).toBe('denied-l7');
  });
});

describe("Envoy's BASE normalisation (istio listener_builder.go 1.28.1: normalize_path, no merge_slashes)", () => {
  it.each([
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/../a', '/a'],
    ['/a/b/..', '/a/'],
    ['/a/%2e%2e/b', '/b'],
    ['/a//b', '/a//b'],
    ['/a%2Fb', '/a%2Fb'],
    ['/a/../b?x=/../y', '/b?x=/../y'],
    // url_canon_path.cc kPathCharLookup: unreserved escapes decoded, others kept, `\\` is a slash.
    ['/%73tatic/%7e', '/static/~'],
    ['/a%2eb/%2E', '/a.b/'],
    ['/a%5cb\\c', '/a%5cb/c'],
    ['/a b', '/a%20b'],
  ])('%s → %s', (raw, want) => {
    expect(envoyBaseNormalise(raw)).toBe(want);
  });
});

describe("Dikastes' own normalisation (match.go normalizeHTTPPath, v3.31.6 / v3.32.1)", () => {
  it.each([
    ['/a/b/', '/a/b'],
    ['/a//b', '/a/b'],
    ['/a/./b/../c', '/a/c'],
    ['/%61/b', '/a/b'],
    ['/a?x#y', '/a'],
    ['/a\\b', '/a/b'],
    ['/a;x=1/b;y=2', '/a/b'],
    ['/a/%252e%252e/b', undefined],
    ['/a/%00', undefined],
    ['/a%zz', undefined],
    ['/%2fetc', '/etc'],
  ])('%s → %s', (raw, want) => {
    expect(dikastesNormalise(raw)).toBe(want);
  });
});

describe('notNets and notPorts at L7 (match.go matchSource/matchDestination: ignored in v3.29.7, checked from v3.30.0)', () => {
  // An Allow whose notPorts excludes the target port: Felix skips it at L4 while a later rule lets
  // the connection in; Dikastes then reaches the same rule first.
  const w = world(
    docs(
      gnp(
        'p',
        `selector: "app == 'frontend'"\ningress: [{action: Allow, http: {paths: [{exact: /admin}]}, destination: {notPorts: [8080]}}, {action: Allow, http: {paths: [{exact: /}]}}]`,
      ),
    ),
  );
  it.each([
    ['v3.29.7', 'allowed'],
    ['v3.32.1', 'denied-l7'],
  ])('%s: GET /admin on port 8080 is %s', (v, want) => {
    expect(run(w, { path: '/admin' }, semantics(v)).verdict).toBe(want);
  });
  it('the catalog decides which versions check them', () => {
    expect(semantics('v3.29.7').dikastesChecksNegations).toBe(false);
    expect(semantics('v3.30.7').dikastesChecksNegations).toBe(true);
    expect(semantics('v3.32.1').dikastesChecksNegations).toBe(true);
  });
});
