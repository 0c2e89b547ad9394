import { describe, expect, it } from 'vitest';
import { CALICO_DEFECTS } from '../../src/catalog/index.js';
import type { CheckResult, PhaseResult, SuiteResult } from '../../src/result/schema.js';
import { keepCluster } from '../../src/run/cleanup.js';
import { decideVerdict, symptomObserved } from '../../src/run/verdict.js';

const phase = (id: string, status: PhaseResult['status'], error?: string): PhaseResult => ({
  id,
  title: id,
  phase: 'x',
  status,
  durationMs: 1,
  attempts: status === 'skipped' ? 0 : 1,
  ...(error ? { error } : {}),
});
const check = (id: string, status: CheckResult['status']): CheckResult => ({
  id,
  title: id,
  status,
  evidence: `${id} evidence`,
});
const suite = (
  status: SuiteResult['status'],
  diagnosis?: string,
  finding?: SuiteResult['finding'],
): SuiteResult => ({
  name: 'boutique',
  file: 'suite.yaml',
  status,
  steps: [],
  ...(diagnosis ? { diagnosis } : {}),
  ...(finding ? { finding } : {}),
});
const defect = CALICO_DEFECTS[0]!;

describe('verdict', () => {
  it.each([
    [
      'all good',
      { phases: [phase('a', 'passed')], checks: [check('c', 'pass')], suite: suite('pass') },
      'pass',
      /Every setup step and 1 checks passed and suite boutique passed/,
    ],
    [
      'a failed optional step is not an error',
      { phases: [phase('images-preload', 'failed')], checks: [], suite: suite('pass') },
      'pass',
      /passed/,
    ],
    [
      'a failed setup step',
      {
        phases: [phase('rollout', 'failed', 'kubectl wait exited 1\nmore')],
        checks: [check('c', 'fail')],
        suite: undefined,
      },
      'error',
      /^Setup step rollout failed: kubectl wait exited 1 \(1 check\(s\) failed too/,
    ],
    [
      'a failed check',
      { phases: [], checks: [check('csi-driver', 'fail')], suite: suite('pass') },
      'fail',
      /^1 check\(s\) failed; first csi-driver: csi-driver evidence/,
    ],
    [
      'a failed suite',
      { phases: [], checks: [], suite: suite('fail', 'step "x": no') },
      'fail',
      /^Suite boutique failed: step "x": no/,
    ],
    [
      'a suite that could not run',
      { phases: [], checks: [], suite: suite('error', 'kubectl apply failed') },
      'error',
      /could not run: kubectl apply failed/,
    ],
  ])('%s', (_name, v, verdict, reason) => {
    const d = decideVerdict({ ...v, optional: new Set(['images-preload']), cancelled: false } as Parameters<
      typeof decideVerdict
    >[0]);
    expect(d.verdict).toBe(verdict);
    expect(d.reason).toMatch(reason);
  });

  it('cancellation is an error naming the step it stopped', () => {
    const d = decideVerdict({
      phases: [phase('istio-install', 'cancelled')],
      optional: new Set(),
      checks: [],
      cancelled: true,
    });
    expect(d).toEqual({
      verdict: 'error',
      reason: 'Cancelled during istio-install; cleanup still ran per keep-cluster.',
    });
  });

  it('cancellation names every step that was running, in plan order', () => {
    const d = decideVerdict({
      phases: [
        phase('images-preload', 'cancelled'),
        phase('istio-install', 'cancelled'),
        phase('rollout', 'skipped'),
      ],
      optional: new Set(['images-preload']),
      checks: [],
      cancelled: true,
    });
    expect(d.reason).toBe(
      'Cancelled during images-preload, istio-install; cleanup still ran per keep-cluster.',
    );
  });

  it('the known defect: named when the suite saw its symptom, with the fix', () => {
    const message = `every request denied before any policy: Dikastes denies everything: known defect ${defect.id} in Calico v3.31.7`;
    const s = suite('fail', message, { kind: 'defect-symptom', defectId: defect.id, message });
    expect(symptomObserved(defect, s)).toBe(true);
    // the verdict reads fields, not prose: a message naming the defect is not a finding
    expect(symptomObserved(defect, suite('fail', message))).toBe(false);
    expect(
      symptomObserved(
        defect,
        suite('fail', 'x', { kind: 'defect-symptom', defectId: 'other', message: 'x' }),
      ),
    ).toBe(false);
    expect(symptomObserved(defect, suite('fail', 'step "x": timeout'))).toBe(false);
    const d = decideVerdict({
      phases: [],
      optional: new Set(),
      checks: [],
      suite: s,
      cancelled: false,
      defect,
    });
    expect(d.verdict).toBe('known-defect');
    expect(d.reason).toContain(`Known defect ${defect.id}`);
    expect(d.reason).toContain(defect.fix);
  });

  it.each([
    ['never', 'fail', false],
    ['never', 'pass', false],
    ['always', 'pass', true],
    ['on-failure', 'pass', false],
    ['on-failure', 'fail', true],
    ['on-failure', 'error', true],
    ['on-failure', undefined, true],
  ] as const)('keep-cluster %s with verdict %s → keep %s', (policy, verdict, keep) => {
    expect(keepCluster(policy, verdict)).toBe(keep);
  });
});
