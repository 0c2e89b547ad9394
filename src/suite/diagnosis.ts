import type { KnownDefect } from '../plan/types.js';
import type { ExpectationResult, SuiteFinding, SuiteResult, SuiteStepResult } from '../result/schema.js';
import { DIKASTES_FAULT } from './envoy-evidence.js';
import { UNTRUSTED_403 } from './trust-gate.js';

export const DENY_ALL_BASELINE = 'every request denied before any policy: Dikastes denies everything';

export interface DiagnosedStep {
  readonly result: SuiteStepResult;
  /** No manifest of the suite was applied before or in this step. */
  readonly beforeAnyPolicy: boolean;
}

/** The cell's known defect, handed over by the plan, and the Calico version it names. */
export interface KnownDefectInCell {
  readonly defect: KnownDefect;
  readonly calicoVersion: string;
}

const defectNote = ({ defect: d, calicoVersion }: KnownDefectInCell) =>
  `known defect ${d.id} in Calico ${calicoVersion} (${d.title}; ${d.issue}; fix: ${d.fix})`;

const failedAllow = (e: ExpectationResult, verdict: string) =>
  e.expected === 'allow' && e.status === 'fail' && e.observed?.verdict === verdict;

/**
 * What the failed steps show, as a record the verdict reads (kind, the known defect it matches) and
 * one line a person can act on; undefined when every step passed. `defect` is the cell's known
 * defect, given as data by the plan.
 */
export function diagnose(
  steps: readonly DiagnosedStep[],
  known?: KnownDefectInCell,
): SuiteFinding | undefined {
  const denyAll = known?.defect.symptom === 'deny-all' ? known : undefined;
  // Envoy counted ext_authz errors, not denials: whatever else failed, Dikastes was not answering.
  const fault = steps
    .flatMap((s) => s.result.expectations.map((e) => ({ step: s.result.name, e })))
    .find(({ e }) => e.envoy?.status === 'contradicted' && e.envoy.note?.startsWith(DIKASTES_FAULT));
  if (fault)
    return {
      kind: 'dikastes-fault',
      message: `step "${fault.step}", ${fault.e.name}: ${fault.e.envoy!.note} (a 403 here is not a policy decision)`,
    };
  const baseline = steps.filter((s) => s.beforeAnyPolicy).flatMap((s) => s.result.expectations);

  if (baseline.some((e) => failedAllow(e, 'denied-l7'))) {
    return denyAll
      ? {
          kind: 'defect-symptom',
          defectId: denyAll.defect.id,
          message: `${DENY_ALL_BASELINE}: ${defectNote(denyAll)}`,
        }
      : { kind: 'deny-all-baseline', message: DENY_ALL_BASELINE };
  }
  if (baseline.some((e) => failedAllow(e, 'denied-l4'))) {
    return {
      kind: 'l4-baseline',
      message:
        'every request denied at L3/L4 before any policy: a Calico policy already selects the target and drops the connection',
    };
  }
  const untrusted = baseline.find(
    (e) => e.status === 'unavailable' && e.observed?.reason?.startsWith(UNTRUSTED_403),
  );
  if (untrusted?.observed?.reason)
    return {
      kind: 'untrusted-403',
      message: `403 before any policy, not trusted: ${untrusted.observed.reason}`,
    };

  const later = steps.filter((s) => !s.beforeAnyPolicy).flatMap((s) => s.result.expectations);
  if (denyAll && later.some((e) => failedAllow(e, 'denied-l7'))) {
    return {
      kind: 'defect-symptom',
      defectId: denyAll.defect.id,
      message: `${denyAll.defect.diagnosis}: ${defectNote(denyAll)}`,
    };
  }
  for (const { result } of steps) {
    if (result.status === 'pass' || result.status === 'skipped') continue;
    const first = result.expectations.find((e) => e.status !== 'pass' && e.status !== 'skipped');
    const why = result.message ?? first?.message ?? result.status;
    return {
      kind: 'step-failed',
      message: `step "${result.name}"${first && !result.message ? `, ${first.name}` : ''}: ${why}`,
    };
  }
  return undefined;
}

/** A suite that could not run at all: its one-line diagnosis and the finding the verdict reads. */
export function suiteError(name: string, file: string, message: string): SuiteResult {
  return {
    name,
    file,
    status: 'error',
    diagnosis: message,
    finding: { kind: 'suite-error', message },
    steps: [],
  };
}
