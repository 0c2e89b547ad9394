import { POLICY_SYNC_PREFIX } from './constants.js';

/** Policy Sync API on (must match the CSI driver's /var/run/nodeagent); connect-time LB off silences istioctl's warning. */
export function renderFelixConfiguration() {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'FelixConfiguration',
    metadata: { name: 'default' },
    spec: { policySyncPathPrefix: POLICY_SYNC_PREFIX, bpfConnectTimeLoadBalancing: 'Disabled' },
  };
}
