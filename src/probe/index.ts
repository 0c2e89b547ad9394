export {
  classifyError,
  classifyResponse,
  ISTIO_RBAC_DENIED,
  NO_HEALTHY_UPSTREAM,
  UPSTREAM_RESET_PREFIX,
  type Classification,
  type RawResponse,
} from './classify.js';
export {
  createProber,
  DEFAULT_PROBE_TIMEOUT_MS,
  parseBaseUrl,
  type Prober,
  type ProberOptions,
  type ProbeRequest,
} from './prober.js';
export {
  awaitExpectations,
  DEFAULT_EVENTUAL,
  describeWanted,
  describeObservation,
  satisfies,
  systemClock,
  systemSleep,
  type Clock,
  type EventualDeps,
  type EventualOptions,
  type Expectation,
  type Sleep,
} from './eventually.js';
