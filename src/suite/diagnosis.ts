import { defectFor, type KnownDefect } from '../catalog/index.js';
import type { ExpectationResult, SuiteStepResult } from '../result/schema.js';
import { UNTRUSTED_403 } from './trust-gate.js';

export const DENY_ALL_BASELINE = 'every request denied before any policy: Dikastes denies everything';

export interface DiagnosedStep {
  readonly result: SuiteStepResult;
  /** No manifest of the suite was applied before or in this step. */
  readonly beforeAnyPolicy: boolean;
}

function knownDenyAll(calicoVersion: string | undefined): KnownDefect | undefined {
  if (!calicoVersion) return undefined;
  const d = defectFor(calicoVersion);
  return d?.symptom === 'deny-all' ? d : undefined;
}

const defectNote = (d: KnownDefect, version: string) =>
  `known defect ${d.id} in Calico ${version} (${d.title}; ${d.issue}; fix: ${d.fix})`;

const failedAllow = (e: ExpectationResult, verdict: string) =>
  e.expected === 'allow' && e.status === 'fail' && e.observed?.verdict === verdict;

/** One line a person can act on, or undefined when every step passed. */
export function diagnose(steps: readonly DiagnosedStep[], calicoVersion?: string): string | undefined {
  const defect = knownDenyAll(calicoVersion);
  const baseline = steps.filter((s) => s.beforeAnyPolicy).flatMap((s) => s.result.expectations);

  if (baseline.some((e) => failedAllow(e, 'denied-l7'))) {
    return defect && calicoVersion
      ? `${DENY_ALL_BASELINE}: ${defectNote(defect, calicoVersion)}`
      : DENY_ALL_BASELINE;
  }
  if (baseline.some((e) => failedAllow(e, 'denied-l4'))) {
    return 'every request denied at L3/L4 before any policy: a Calico policy already selects the target and drops the connection';
  }
  const untrusted = baseline.find(
    (e) => e.status === 'unavailable' && e.observed?.reason?.startsWith(UNTRUSTED_403),
  );
  if (untrusted?.observed?.reason) return `403 before any policy, not trusted: ${untrusted.observed.reason}`;

  const later = steps.filter((s) => !s.beforeAnyPolicy).flatMap((s) => s.result.expectations);
  if (defect && calicoVersion && later.some((e) => failedAllow(e, 'denied-l7'))) {
    return `${defect.diagnosis}: ${defectNote(defect, calicoVersion)}`;
  }
  for (const { result } of steps) {
    if (result.status === 'pass' || result.status === 'skipped') continue;
    const first = result.expectations.find((e) => e.status !== 'pass');
    const why = result.message ?? first?.message ?? result.status;
    return `step "${result.name}"${first && !result.message ? `, ${first.name}` : ''}: ${why}`;
  }
  return undefined;
}
