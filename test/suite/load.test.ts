import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultSuiteFile,
  loadSuite,
  loadSuiteTarget,
  parseSuiteText,
  resolveTiming,
  SuiteError,
} from '../../src/suite/index.js';
import { DEFAULT_EVENTUAL } from '../../src/probe/eventually.js';
import { ISTIO_DEFAULT_CONNECT_TIMEOUT_SECONDS, ISTIO_DEFAULT_RETRIES } from '../../src/render/constants.js';

const BASE = [
  'apiVersion: calico-istio-conformance/v1', // 1
  'kind: Suite', // 2
  'name: t', // 3
  'target:', // 4
  '  namespace: boutique', // 5
  'steps:', // 6
  '  - name: s1', // 7
  '    apply: [a.yaml]', // 8
  '    expect:', // 9
  '      - request: { method: GET, path: / }', // 10
  '        verdict: allow', // 11
];

/** BASE with line n (1-based) replaced by `lines` (none deletes it). */
const edit = (n: number, ...lines: string[]) =>
  [...BASE.slice(0, n - 1), ...lines, ...BASE.slice(n)].join('\n');
const append = (...lines: string[]) => [...BASE, ...lines].join('\n');

function problems(text: string): string[] {
  try {
    parseSuiteText(text, 't.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(SuiteError);
    return (e as SuiteError).message.split('\n');
  }
  throw new Error('expected the suite to be refused');
}

describe('valid suites', () => {
  it('parses the base suite with defaults filled in', () => {
    const { spec } = parseSuiteText(BASE.join('\n'), 't.yaml');
    expect(spec.continueAfterFailure).toBe(false);
    expect(spec.steps[0]).toEqual({
      name: 's1',
      apply: ['a.yaml'],
      delete: [],
      expect: [{ request: { method: 'GET', path: '/' }, verdict: 'allow' }],
    });
  });

  it('loads the built-in boutique suite with its manifests', async () => {
    const s = await loadSuite(defaultSuiteFile());
    expect(s.spec.name).toBe('boutique');
    expect(s.spec.steps.map((x) => x.name)).toEqual([
      'baseline',
      'deny-all',
      'allow-homepage',
      'catalog-by-identity',
      'catalog-by-label',
    ]);
    expect([...s.manifests.keys()]).toEqual([
      'frontend-deny.yaml',
      'frontend-allow-homepage.yaml',
      'productcatalog-new-connections.yaml',
      'productcatalog-frontend-identity.yaml',
      'productcatalog-allow-by-label.yaml',
    ]);
    for (const abs of s.manifests.values())
      expect(abs).toMatch(/e2e-manifests\/suites\/boutique\/(frontend|productcatalog)-/);
    await expect(loadSuiteTarget(defaultSuiteFile())).resolves.toEqual({
      name: 'boutique',
      namespace: 'boutique',
      selector: 'app=frontend',
    });
  });

  it('loads the user fixture suite with its Host', async () => {
    const target = await loadSuiteTarget(join(import.meta.dirname, 'fixtures/user-suite/suite.yaml'));
    expect(target).toEqual({
      name: 'shop-products-only',
      namespace: 'boutique',
      selector: 'app=frontend',
      host: 'shop.example.com',
    });
  });

  it('defaults: k=3, 120 s, 500 ms, 2 s hold; one request outlasts any gateway connect timeout', () => {
    const t = resolveTiming(undefined, undefined);
    expect(t).toEqual({
      consecutive: 3,
      timeoutMs: 120_000,
      intervalMs: 500,
      holdMs: 2000,
      probeTimeoutMs: 35_000,
    });
    // A route the harness does not own: Istio's default retries, each a 10 s connect timeout.
    const l4 = (1 + ISTIO_DEFAULT_RETRIES) * ISTIO_DEFAULT_CONNECT_TIMEOUT_SECONDS * 1000;
    expect(t.probeTimeoutMs).toBeGreaterThan(l4);
    // The plan's derived bound for its own route wins over the default; a suite's own still wins over it.
    expect(resolveTiming(undefined, undefined, {}, 11_000).probeTimeoutMs).toBe(11_000);
    expect(resolveTiming({ probeTimeout: '20s' }, undefined, {}, 11_000).probeTimeoutMs).toBe(20_000);
  });

  it('layers timing: defaults < suite < step < override', () => {
    const { spec } = parseSuiteText(
      append(
        'timing: { interval: 250ms, timeout: 2m, probeTimeout: 5s }',
        'continueAfterFailure: true',
      ).replace('    apply: [a.yaml]', '    apply: [a.yaml]\n    timing: { interval: 1.5s, consecutive: 5 }'),
      't.yaml',
    );
    const step = spec.steps[0];
    expect(resolveTiming(spec.timing, undefined)).toEqual({
      ...DEFAULT_EVENTUAL,
      intervalMs: 250,
      timeoutMs: 120_000,
      probeTimeoutMs: 5000,
    });
    expect(resolveTiming(spec.timing, step?.timing)).toMatchObject({ intervalMs: 1500, consecutive: 5 });
    expect(resolveTiming(spec.timing, step?.timing, { intervalMs: 10 })).toMatchObject({
      intervalMs: 10,
      consecutive: 5,
      holdMs: DEFAULT_EVENTUAL.holdMs,
    });
  });
});

describe('invalid suites name the file, the line and the field', () => {
  it.each<[string, string, string[]]>([
    ['YAML syntax', edit(3, 'name: [unclosed'), ['t.yaml:4: not valid YAML: ']],
    ['duplicate key', edit(3, 'name: t', 'name: u'), ['t.yaml:4: not valid YAML: duplicated mapping key']],
    ['empty file', '# nothing\n', ['t.yaml:1: is empty; expected a Suite']],
    [
      'two documents',
      `${BASE.join('\n')}\n---\nname: x\n`,
      ['t.yaml:1: holds 2 YAML documents; a suite file holds one'],
    ],
    ['a list at the top', '- a\n- b\n', ['t.yaml:1: must be object, got a list']],
    [
      'wrong apiVersion',
      edit(1, 'apiVersion: v2'),
      ['t.yaml:1: apiVersion: must be "calico-istio-conformance/v1", got string "v2"'],
    ],
    ['missing kind', edit(2), ['t.yaml:1: kind: is required: "Suite"']],
    [
      'unknown top-level field',
      append('colour: blue'),
      [
        't.yaml:12: colour: unknown field; accepted: apiVersion, kind, name, description, target, timing, continueAfterFailure, steps',
      ],
    ],
    [
      'bad namespace',
      edit(5, '  namespace: Boutique_NS'),
      ['t.yaml:5: target.namespace: must be a Kubernetes namespace name (a DNS label)'],
    ],
    [
      'missing namespace',
      edit(5, '  host: shop.local'),
      ['t.yaml:4: target.namespace: is required (string)'],
    ],
    [
      'bad selector',
      edit(5, '  namespace: boutique', '  selector: app frontend'),
      ['t.yaml:6: target.selector: must be an equality label selector such as app=frontend'],
    ],
    [
      'no steps',
      [...BASE.slice(0, 5), 'steps: []'].join('\n'),
      ['t.yaml:6: steps: must list at least one step'],
    ],
    [
      'step without expectations',
      BASE.slice(0, 8).join('\n'),
      ['t.yaml:7: steps[0].expect: is required (array)'],
    ],
    [
      'unknown verdict',
      edit(11, '        verdict: permit'),
      ['t.yaml:11: steps[0].expect[0].verdict: must be one of "allow", "deny", got string "permit"'],
    ],
    [
      'layer with allow',
      edit(11, '        verdict: allow', '        layer: l7'),
      ['t.yaml:12: steps[0].expect[0].layer: layer is only allowed with verdict deny'],
    ],
    [
      'unknown layer',
      edit(11, '        verdict: deny', '        layer: l3'),
      ['t.yaml:12: steps[0].expect[0].layer: must be one of "l7", "l4", got string "l3"'],
    ],
    [
      'relative request path',
      edit(10, '      - request: { method: GET, path: cart }'),
      ['t.yaml:10: steps[0].expect[0].request.path: must start with "/" and contain no spaces or "#"'],
    ],
    [
      'unknown method',
      edit(10, '      - request: { method: FETCH, path: / }'),
      [
        't.yaml:10: steps[0].expect[0].request.method: must be one of "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", got string "FETCH"',
      ],
    ],
    [
      'unknown request field',
      edit(10, '      - request: { method: GET, url: / }'),
      [
        't.yaml:10: steps[0].expect[0].request.path: is required (string)',
        't.yaml:10: steps[0].expect[0].request.url: unknown field; accepted: method, path, headers',
      ],
    ],
    [
      'bad header name',
      edit(10, '      - request:', '          path: /', '          headers: { "bad header": x }'),
      ['t.yaml:12: steps[0].expect[0].request.headers.bad header: field name must be an HTTP header name'],
    ],
    [
      'duration as a number',
      append('timing:', '  interval: 5'),
      ['t.yaml:13: timing.interval: must be string, got number 5'],
    ],
    [
      'duration without a unit',
      append('timing:', '  hold: 5 seconds'),
      ['t.yaml:13: timing.hold: must be a duration such as 500ms, 2s or 2m'],
    ],
    [
      'zero duration',
      append('timing: { timeout: 0s }'),
      ['t.yaml:12: timing.timeout: must be longer than zero'],
    ],
    [
      'consecutive zero',
      append('timing: { consecutive: 0 }'),
      ['t.yaml:12: timing.consecutive: must be at least 1, got number 0'],
    ],
    [
      'probeTimeout on a step',
      edit(8, '    apply: [a.yaml]', '    timing: { probeTimeout: 3s }'),
      [
        't.yaml:9: steps[0].timing.probeTimeout: unknown field; accepted: consecutive, timeout, interval, hold',
      ],
    ],
    [
      'absolute manifest',
      edit(8, '    apply: [/etc/a.yaml]'),
      ['t.yaml:8: steps[0].apply[0]: must be relative to the suite file'],
    ],
    [
      'not a manifest',
      edit(8, '    apply: [a.json]'),
      ['t.yaml:8: steps[0].apply[0]: must name a .yaml or .yml file'],
    ],
    [
      'deleting what was never applied',
      append('  - name: s2', '    delete: [b.yaml]', '    expect: [{ request: { path: / }, verdict: deny }]'),
      [
        't.yaml:13: steps[1].delete[0]: b.yaml is not applied by this or an earlier step (a suite deletes only what it applied)',
      ],
    ],
    [
      'applying twice, duplicate step name',
      append('  - name: s1', '    apply: [a.yaml]', '    expect: [{ request: { path: / }, verdict: deny }]'),
      [
        't.yaml:12: steps[1].name: duplicates the name of step 1',
        't.yaml:13: steps[1].apply[0]: a.yaml is already applied by an earlier step',
      ],
    ],
  ])('%s', (_name, text, expected) => {
    const got = problems(text);
    expect(got.length).toBe(expected.length);
    expected.forEach((want, i) =>
      expect(got[i]?.startsWith(want), `${got[i]} should start with ${want}`).toBe(true),
    );
  });
});

describe('loadSuite on files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cic-load-'));
    await mkdir(join(dir, 'sub'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('resolves manifests relative to the suite file', async () => {
    await writeFile(join(dir, 'sub', 'a.yaml'), 'kind: X\n');
    const s = await loadSuite(await write('sub/suite.yaml', BASE.join('\n')));
    expect(s.manifests.get('a.yaml')).toBe(join(dir, 'sub', 'a.yaml'));
  });

  it('names a missing manifest with its line', async () => {
    const file = await write('missing.yaml', edit(8, '    apply: [nope.yaml]'));
    await expect(loadSuite(file)).rejects.toThrow(
      `${relative(process.cwd(), file)}:8: steps[0].apply[0]: manifest nope.yaml does not exist (looked for ${join(dir, 'nope.yaml')})`,
    );
  });

  it('names a manifest that is a directory', async () => {
    const file = await write('dir.yaml', edit(8, '    apply: [sub.yaml]'));
    await mkdir(join(dir, 'sub.yaml'));
    await expect(loadSuite(file)).rejects.toThrow(
      /:8: steps\[0\]\.apply\[0\]: manifest sub\.yaml is not a file/,
    );
  });

  it('names a suite file that does not exist', async () => {
    await expect(loadSuite(join(dir, 'absent.yaml'))).rejects.toThrow(/absent\.yaml: does not exist$/);
    await expect(loadSuiteTarget(join(dir, 'sub'))).rejects.toThrow(/sub: is a directory, not a suite file$/);
  });

  async function write(name: string, text: string): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  }
});
