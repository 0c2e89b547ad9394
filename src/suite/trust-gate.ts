import type { Observation } from '../result/schema.js';
import type { DikastesReadiness } from './contract.js';

export const UNTRUSTED_403 = '403 from ext_authz not counted as a policy denial';

/**
 * A bare 403 is also what Envoy answers when Dikastes is unreachable (ext_authz fails closed), so a
 * `denied-l7` counts only once the run has seen Dikastes Ready in the target pods.
 */
export function gateObservation(o: Observation, dikastes: DikastesReadiness): Observation {
  if (o.verdict !== 'denied-l7' || dikastes.ready) return o;
  return {
    ...o,
    verdict: 'unavailable',
    reason: `${UNTRUSTED_403}: Dikastes was not confirmed Ready in the target pods (${dikastes.evidence || 'no evidence given'})`,
  };
}
