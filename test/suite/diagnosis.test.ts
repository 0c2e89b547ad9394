import { describe, expect, it } from 'vitest';
import type { ExpectationResult, Observation, SuiteStepResult } from '../../src/result/schema.js';
import { DENY_ALL_BASELINE, diagnose, gateObservation } from '../../src/suite/index.js';
import { defectFor } from '../../src/catalog/index.js';

const obs = (verdict: Observation['verdict'], reason?: string): Observation => ({
  verdict,
  latencyMs: 3,
  ...(reason ? { reason } : {}),
});
const exp = (
  expected: 'allow' | 'deny',
  status: ExpectationResult['status'],
  o?: Observation,
): ExpectationResult => ({
  name: 'GET /',
  request: { method: 'GET', path: '/' },
  expected,
  status,
  probes: 3,
  ...(o ? { observed: o } : {}),
  ...(status === 'pass' ? {} : { message: `expected ${expected}, saw ${o?.verdict ?? 'nothing'}` }),
});
const step = (
  name: string,
  status: SuiteStepResult['status'],
  expectations: ExpectationResult[],
): SuiteStepResult => ({
  name,
  status,
  applied: [],
  deleted: [],
  durationMs: 1,
  expectations,
});

/** The cell's known defect as the plan hands it over (resolved from the catalog for that version). */
const known = (v: string) => {
  const defect = defectFor(v);
  return defect ? { defect, calicoVersion: v } : undefined;
};
const say = (steps: Parameters<typeof diagnose>[0], v?: string) =>
  diagnose(steps, v ? known(v) : undefined)?.message;

describe('diagnose', () => {
  const baselineDenied = {
    result: step('baseline', 'fail', [exp('allow', 'fail', obs('denied-l7'))]),
    beforeAnyPolicy: true,
  };

  it('returns the finding as fields: kind and the defect it matches', () => {
    expect(diagnose([baselineDenied], known('v3.31.7'))).toMatchObject({
      kind: 'defect-symptom',
      defectId: 'calico-11857',
    });
    expect(diagnose([baselineDenied], known('v3.29.7'))).toEqual({
      kind: 'deny-all-baseline',
      message: DENY_ALL_BASELINE,
    });
  });

  it('names the deny-all defect for an affected version only', () => {
    expect(say([baselineDenied], 'v3.31.7')).toMatch(
      new RegExp(`^${DENY_ALL_BASELINE}: known defect calico-11857`),
    );
    expect(say([baselineDenied], 'v3.30.0')).toMatch(/calico-11857/);
    expect(say([baselineDenied], 'v3.29.7')).toBe(DENY_ALL_BASELINE);
    expect(say([baselineDenied], 'v3.32.0')).toBe(DENY_ALL_BASELINE);
    expect(say([baselineDenied])).toBe(DENY_ALL_BASELINE);
  });

  it('an L4 denial before any policy is not blamed on Dikastes', () => {
    const s = {
      result: step('baseline', 'fail', [exp('allow', 'fail', obs('denied-l4'))]),
      beforeAnyPolicy: true,
    };
    expect(say([s], 'v3.31.7')).toMatch(/^every request denied at L3\/L4 before any policy/);
  });

  it('an allow rule that is not honoured on an affected version names the defect', () => {
    const steps = [
      { result: step('baseline', 'pass', [exp('allow', 'pass', obs('allowed'))]), beforeAnyPolicy: true },
      { result: step('allow', 'fail', [exp('allow', 'fail', obs('denied-l7'))]), beforeAnyPolicy: false },
    ];
    expect(say(steps, 'v3.31.7')).toMatch(
      /^every request denied, including ones an Allow rule matches.*calico-11857/,
    );
    expect(say(steps, 'v3.32.1')).toBe('step "allow", GET /: expected allow, saw denied-l7');
  });

  it('an untrusted 403 before any policy says why it was not trusted', () => {
    const gated = gateObservation(obs('denied-l7'), { ready: false, evidence: 'dikastes 0/1 Ready' });
    const s = {
      result: step('baseline', 'unavailable', [exp('allow', 'unavailable', gated)]),
      beforeAnyPolicy: true,
    };
    expect(say([s])).toMatch(
      /^403 before any policy, not trusted: .*not confirmed Ready.*dikastes 0\/1 Ready/,
    );
  });

  it('nothing to say when every step passed', () => {
    expect(
      diagnose([
        { result: step('baseline', 'pass', [exp('allow', 'pass', obs('allowed'))]), beforeAnyPolicy: true },
      ]),
    ).toBeUndefined();
  });
});

describe('gateObservation', () => {
  it('turns an untrusted denied-l7 into unavailable, with the evidence', () => {
    const o = gateObservation(
      { ...obs('denied-l7'), status: 403 },
      { ready: false, evidence: 'no Dikastes seen' },
    );
    expect(o).toMatchObject({ verdict: 'unavailable', status: 403 });
    expect(o.reason).toMatch(/not confirmed Ready in the target pods \(no Dikastes seen\)/);
  });

  it('leaves trusted denials and other verdicts alone', () => {
    const denied = obs('denied-l7');
    expect(gateObservation(denied, { ready: true, evidence: 'ok' })).toBe(denied);
    for (const v of ['allowed', 'denied-l4', 'unavailable'] as const) {
      const o = obs(v);
      expect(gateObservation(o, { ready: false, evidence: 'x' })).toBe(o);
    }
  });
});
