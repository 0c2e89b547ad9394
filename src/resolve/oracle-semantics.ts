import type { OracleSemantics } from '../oracle/model.js';
import { resolveCalicoSemantics } from './cell.js';

/** A Calico version spec → the facts the oracle applies (from the catalog, through src/resolve). */
export function oracleSemanticsFor(
  spec: string | undefined,
): { ok: true; sem: OracleSemantics } | { ok: false; why: string; known: readonly string[] } {
  const found = resolveCalicoSemantics(spec);
  if (!found.ok) return found;
  const d = found.defect;
  return {
    ok: true,
    sem: {
      calico: found.version,
      httpPaths: found.httpPaths,
      dikastesChecksNegations: found.dikastesChecksNegations,
      ...(d?.symptom === 'deny-all'
        ? { denyAllDefect: { id: d.id, issue: d.issue, diagnosis: d.diagnosis } }
        : {}),
    },
  };
}
