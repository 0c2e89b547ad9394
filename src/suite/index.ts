import type { SuiteRunner, SuiteTargetLoader } from './contract.js';
import { loadSuite } from './load.js';
import { createSuiteRunner } from './runner.js';
import { compileTestFilters, selectSuite } from './selection.js';

export { createSuiteRunner, resolveTiming, type SuiteRunnerDeps, type Timing } from './runner.js';
export { loadSuite, parseSuiteText, SuiteError, type LoadedSuite, type SuiteProblem } from './load.js';
export { kubectlPolicyApplier, KubectlError } from './kubectl-applier.js';
export { kubectlSources } from './kubectl-sources.js';
export { clientIdentity, PROBE_CLIENT_LABEL, type ProbeSource } from './sources.js';
export { DEFAULT_SUITE_PATH, defaultSuiteFile } from './default-suite.js';
export { DENY_ALL_BASELINE, diagnose, type KnownDefectInCell } from './diagnosis.js';
export {
  compileTestFilters,
  expectationName,
  selectSuite,
  splitTestFilters,
  testEnabled,
  type TestSelection,
} from './selection.js';
export { gateObservation } from './trust-gate.js';
export { SuiteSchema, suiteJsonSchema, SUITE_API_VERSION, SUITE_KIND, type SuiteSpec } from './schema.js';

/** The run engine's suite runner: real prober, real clock. */
export const runSuite: SuiteRunner = createSuiteRunner();

/** Reads the suite's target (namespace, selector, Host) for the trust gate, validating the whole file. */
export const loadSuiteTarget: SuiteTargetLoader = async (suiteFile, tests = []) => {
  const { spec } = await loadSuite(suiteFile);
  const compiled = compileTestFilters(tests);
  const selection = tests.length && compiled.ok ? selectSuite(spec, compiled.selection) : undefined;
  return {
    ...(selection
      ? { selection: { expectations: selection.selectedExpectations, total: selection.totalExpectations } }
      : {}),
    name: spec.name,
    namespace: spec.target.namespace,
    ...(spec.target.selector ? { selector: spec.target.selector } : {}),
    ...(spec.target.host ? { host: spec.target.host } : {}),
  };
};
