import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSuite, parseSuiteText, SuiteError } from '../../src/suite/index.js';
import { SUITE_LIMITS } from '../../src/suite/schema.js';

const suite = (extra: string[] = [], apply = 'a.yaml', steps = 1) =>
  [
    'apiVersion: calico-istio-conformance/v1',
    'kind: Suite',
    'name: t',
    'target:',
    '  namespace: boutique',
    ...extra,
    'steps:',
    ...Array.from({ length: steps }, (_, i) => [
      `  - name: s${i}`,
      ...(i === 0 ? [`    apply: [${apply}]`] : []),
      '    expect:',
      '      - request: { method: GET, path: / }',
      '        verdict: allow',
    ]).flat(),
  ].join('\n');

function refusal(text: string): string {
  try {
    parseSuiteText(text, 't.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(SuiteError);
    return (e as Error).message;
  }
  throw new Error('expected the suite to be refused');
}

describe('bounded suites', () => {
  it('refuses an interval that would overflow a timer into a busy loop (and other out-of-range durations)', () => {
    // 25 days: past setTimeout's 2^31-1 ms, which Node turns into 1 ms.
    expect(refusal(suite(['timing: { interval: 36000m }']))).toContain(
      'timing.interval: must be between 10ms and 60s',
    );
    expect(refusal(suite(['timing: { timeout: 36000m }']))).toContain('must be between 100ms and 60m');
    expect(refusal(suite(['timing: { hold: 1ms }']))).toContain('must be between 10ms and 10m');
    expect(refusal(suite(['timing: { probeTimeout: 10m }']))).toContain('must be between 100ms and 5m');
    expect(() => parseSuiteText(suite(['timing: { interval: 20ms, timeout: 10s }']), 't.yaml')).not.toThrow();
  });

  it(`refuses more than ${SUITE_LIMITS.steps} steps`, () => {
    expect(refusal(suite([], 'a.yaml', SUITE_LIMITS.steps + 1))).toContain(
      `steps: must be at most ${SUITE_LIMITS.steps}`,
    );
  });

  it('refuses a manifest path that leaves the suite folder', () => {
    expect(refusal(suite([], '../../etc/x.yaml'))).toContain("must stay in the suite's folder");
  });
});

describe('bounded suite files', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cic-bounds-'));
    await mkdir(join(root, 'suite'));
    await writeFile(join(root, 'outside.yaml'), 'kind: ConfigMap\n');
    await writeFile(join(root, 'suite', 'a.yaml'), 'kind: ConfigMap\n');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('refuses an oversize file before parsing it', async () => {
    const file = join(root, 'suite', 'big.yaml');
    await writeFile(file, `${suite()}\n# ${'x'.repeat(SUITE_LIMITS.fileBytes)}\n`);
    const err = await loadSuite(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SuiteError);
    expect((err as Error).message).toContain('is larger than 1 MiB');
  });

  it('refuses a manifest that is a symlink out of the suite folder', async () => {
    await symlink(join(root, 'outside.yaml'), join(root, 'suite', 'link.yaml'));
    const file = join(root, 'suite', 'linked.yaml');
    await writeFile(file, suite([], 'link.yaml'));
    const err = await loadSuite(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SuiteError);
    expect((err as Error).message).toContain("manifest link.yaml is outside the suite's folder");
    const ok = join(root, 'suite', 'ok.yaml');
    await writeFile(ok, suite([], 'a.yaml'));
    expect((await loadSuite(ok)).manifests.get('a.yaml')).toBe(join(root, 'suite', 'a.yaml'));
  });
});
