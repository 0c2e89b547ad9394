import { describe, expect, it } from 'vitest';
import { actionsMatrix, selectVersions, type MatrixEntry } from '../../src/version-matrix/select.js';
import { InputError } from '../../src/config/cell-config.js';
import { runCli } from '../../src/cli/index.js';

function cli(argv: string[]) {
  let out = '';
  let err = '';
  return runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) }).then((code) => ({
    code,
    out,
    err,
  }));
}

describe('version ranges', () => {
  it.each([
    ['calico', '>=3.29', ['v3.29.7', 'v3.30.7', 'v3.31.7', 'v3.32.1']],
    ['calico', '<=3.28', ['v3.27.5', 'v3.28.5']],
    ['calico', '3.29-3.31', ['v3.29.7', 'v3.30.7', 'v3.31.7']],
    ['calico', 'v3.30.0, 3.32', ['v3.30.0', 'v3.32.1']],
    ['calico', '>=v3.31.6', ['v3.31.7', 'v3.32.1']],
    ['calico', '>=v3.31.8', ['v3.32.1']],
    ['istio', '1.22-1.28', ['1.22.8', '1.23.6', '1.24.6', '1.25.5', '1.26.8', '1.27.9', '1.28.10']],
    ['istio', '1.28.1,1.29', ['1.28.1', '1.29.6']],
    ['istio', '<=1.15', ['1.10.6', '1.15.7']],
    ['kubernetes', '1.34', ['1.34.8']],
    ['kubernetes', '1.34.3', ['1.34.3']],
    ['kubernetes', '1.33-1.35', ['1.33.12', '1.34.8', '1.35.5']],
    [
      'kubernetes',
      '*',
      ['1.29.14', '1.30.10', '1.31.14', '1.32.11', '1.33.12', '1.34.8', '1.35.5', '1.36.1'],
    ],
  ] as const)('%s %s', (axis, range, expected) => {
    expect(selectVersions(axis, range)).toEqual(expected);
  });

  it.each([
    ['calico', '>=3.40', /Invalid --calico: ">=3.40" matches no Calico release in the catalog/],
    ['calico', '3.26', /Invalid --calico: "3.26" .*3\.26.* not in the catalog/],
    ['calico', 'v3.32.9', /newer than the newest known 3.32 patch/],
    ['calico', '3.32,3.26', /Invalid --calico: "3.32,3.26" .*not in the catalog \(term "3.26"\)/],
    [
      'istio',
      '1.28-1.22',
      /Invalid --istio: "1.28-1.22" is not a range: "1.28-1.22" has its bounds reversed/,
    ],
    ['istio', 'latest', /Invalid --istio: "latest" is not a range: in "latest", "latest" is not a version/],
    ['istio', '1.22-', /is not a version/],
    ['kubernetes', '1.34,', /has an empty term/],
    ['kubernetes', '1.28', /Invalid --kubernetes: "1.28" .*kindest\/node image/],
    ['kubernetes', '>1.30', /is not a version/],
  ] as const)('refuses %s %j', (axis, range, message) => {
    expect(() => selectVersions(axis, range)).toThrow(InputError);
    expect(() => selectVersions(axis, range)).toThrow(message);
  });

  it('says what is accepted and what the catalog knows', () => {
    expect(() => selectVersions('istio', 'x')).toThrow(
      /Accepted: 1.28, 1.28.1, '>=1.22'.*catalog: 1.10.6, 1.15.7, .*1.29.6\./,
    );
  });
});

describe('actionsMatrix', () => {
  it('resolves every cell with its support status', () => {
    const m = actionsMatrix({ calico: '>=3.29', istio: '1.22-1.28', kubernetes: '1.34' });
    expect(m.include).toHaveLength(4 * 7);
    const cell = (c: string, i: string) => m.include.find((e) => e.calico === c && e.istio === i)!;
    expect(cell('v3.32.1', '1.28.10')).toEqual<MatrixEntry>({
      id: 'k8s-1.34.8_calico-v3.32.1_istio-1.28.10',
      kubernetes: '1.34.8',
      calico: 'v3.32.1',
      istio: '1.28.10',
      supported: true,
      support: 'supported',
      knownDefect: '',
      notes: [
        { component: 'calico', status: 'supported', detail: 'Kubernetes 1.34 is within 1.34–1.36' },
        { component: 'istio', status: 'supported', detail: 'Kubernetes 1.34 is within 1.29–1.34' },
      ],
    });
    expect(cell('v3.31.7', '1.28.10')).toMatchObject({
      supported: false,
      support: 'known-defect',
      knownDefect: 'calico-11857',
    });
    expect(cell('v3.32.1', '1.27.9')).toMatchObject({
      supported: false,
      support: 'outside-window',
      knownDefect: '',
    });
    expect(cell('v3.29.7', '1.22.8')).toMatchObject({ support: 'outside-window' });
  });

  it('defaults to every Calico and Istio on the default Kubernetes', () => {
    const m = actionsMatrix({});
    expect(new Set(m.include.map((e) => e.kubernetes))).toEqual(new Set(['1.34.8']));
    expect(m.include).toHaveLength(6 * 10);
  });

  it('reports every bad axis at once, and refuses more jobs than GitHub runs', () => {
    let err: unknown;
    try {
      actionsMatrix({ calico: '9', istio: '1.28-1.22' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).problems.map((p) => p.input)).toEqual(['calico-version', 'istio-version']);
    expect(() => actionsMatrix({ kubernetes: '*' })).toThrow(
      /selects 480 cells .* more than the 256 jobs GitHub runs per matrix/,
    );
  });
});

describe('versions --matrix (CLI)', () => {
  it('prints one compact JSON line usable with fromJSON', async () => {
    const r = await cli([
      'versions',
      '--matrix',
      '--calico',
      '>=3.29',
      '--istio',
      '1.22-1.28',
      '--kubernetes',
      '1.34',
    ]);
    expect(r.code).toBe(0);
    expect(r.out.endsWith('\n')).toBe(true);
    expect(r.out.trimEnd()).not.toContain('\n');
    const parsed = JSON.parse(r.out) as { include: MatrixEntry[] };
    expect(parsed.include).toEqual(
      actionsMatrix({ calico: '>=3.29', istio: '1.22-1.28', kubernetes: '1.34' }).include,
    );
  });

  it('exits 2 with a clear message on a bad range', async () => {
    const r = await cli(['versions', '--matrix', '--calico', '>=3.40']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^Invalid --calico: ">=3.40" matches no Calico release/);
  });
});
