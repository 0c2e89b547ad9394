import { z } from 'zod';

/**
 * results.json, version 1: the one record of a cell run. The executor and the suite runner write it;
 * reports, JUnit, the summary and the matrix read only this.
 */
export const RESULT_SCHEMA_VERSION = 1;

export const Verdict = z.enum(['pass', 'fail', 'error', 'unsupported']);
export const ProbeVerdict = z.enum(['allowed', 'denied-l7', 'denied-l4', 'unavailable']);
export const Expected = z.enum(['allow', 'deny']);
export const Layer = z.enum(['l7', 'l4']);

export const SupportEntrySchema = z.object({
  component: z.enum(['calico', 'istio']),
  version: z.string(),
  status: z.enum(['supported', 'outside-window', 'known-defect']),
  detail: z.string(),
  window: z.string().optional(),
  defectId: z.string().optional(),
});

export const ObservationSchema = z.object({
  verdict: ProbeVerdict,
  status: z.number().int().optional(),
  bodyExcerpt: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  latencyMs: z.number().nonnegative(),
  /** Why an observation is `unavailable` (timeout, refused, no route, untrusted 403 …). */
  reason: z.string().optional(),
  at: z.string().optional(),
});

export const ExpectationResultSchema = z.object({
  name: z.string(),
  request: z.object({
    method: z.string(),
    path: z.string(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
  expected: Expected,
  layer: Layer.optional(),
  status: z.enum(['pass', 'fail', 'unavailable']),
  /** The last observation (the one the verdict rests on). */
  observed: ObservationSchema.optional(),
  probes: z.number().int().nonnegative(),
  /** Policy applied → first of the k agreeing probes. */
  propagationMs: z.number().nonnegative().optional(),
  /** From the first probe to the verdict (added in 0.2; absent in older version-1 files). */
  durationMs: z.number().nonnegative().optional(),
  message: z.string().optional(),
});

export const SuiteStepResultSchema = z.object({
  name: z.string(),
  status: z.enum(['pass', 'fail', 'unavailable', 'error', 'skipped']),
  applied: z.array(z.string()).default([]),
  deleted: z.array(z.string()).default([]),
  durationMs: z.number().nonnegative(),
  message: z.string().optional(),
  expectations: z.array(ExpectationResultSchema),
});

export const SuiteResultSchema = z.object({
  name: z.string(),
  file: z.string(),
  status: z.enum(['pass', 'fail', 'error']),
  /** One-line diagnosis, e.g. "every request denied before any policy: Dikastes denies everything". */
  diagnosis: z.string().optional(),
  steps: z.array(SuiteStepResultSchema),
  cleanup: z
    .object({ status: z.enum(['done', 'failed', 'nothing']), detail: z.string().optional() })
    .optional(),
});

export const PhaseResultSchema = z.object({
  id: z.string(),
  title: z.string(),
  phase: z.string(),
  status: z.enum(['passed', 'failed', 'timed-out', 'skipped', 'cancelled']),
  startedAt: z.string().optional(),
  durationMs: z.number().nonnegative(),
  attempts: z.number().int().nonnegative(),
  error: z.string().optional(),
});

export const CheckResultSchema = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['pass', 'fail', 'skip']),
  /** What was looked at and what it showed, for a person. */
  evidence: z.string(),
});

export const ToolResultSchema = z.object({
  name: z.string(),
  version: z.string(),
  source: z.enum(['download', 'cache', 'path']),
  sha256: z.string().optional(),
});

export const CellResultSchema = z.object({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  generator: z.string(),
  cell: z.object({
    id: z.string(),
    kubernetes: z.string(),
    kind: z.string(),
    nodeImage: z.string(),
    calico: z.string(),
    istio: z.string(),
    istioFlavour: z.string(),
    dikastesImage: z.string(),
    boutique: z.string(),
    strictMtls: z.boolean(),
    cluster: z.enum(['kind', 'existing']),
  }),
  tools: z.array(ToolResultSchema).default([]),
  support: z.array(SupportEntrySchema),
  verdict: Verdict,
  /** One line a person can act on. */
  reason: z.string(),
  knownDefect: z
    .object({ id: z.string(), title: z.string(), issue: z.string(), symptomObserved: z.boolean() })
    .optional(),
  phases: z.array(PhaseResultSchema).default([]),
  checks: z.array(CheckResultSchema).default([]),
  suite: SuiteResultSchema.optional(),
  diagnostics: z
    .object({ dir: z.string(), archive: z.string().optional(), artifact: z.string().optional() })
    .optional(),
  cleanup: z
    .object({ status: z.enum(['deleted', 'kept', 'not-created', 'failed']), detail: z.string().optional() })
    .optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number().nonnegative(),
  runner: z.object({
    os: z.string(),
    arch: z.string(),
    node: z.string(),
    ci: z.boolean(),
    githubRunUrl: z.string().optional(),
    runnerName: z.string().optional(),
  }),
});

export type CellResult = z.infer<typeof CellResultSchema>;
export type SuiteResult = z.infer<typeof SuiteResultSchema>;
export type SuiteStepResult = z.infer<typeof SuiteStepResultSchema>;
export type ExpectationResult = z.infer<typeof ExpectationResultSchema>;
export type Observation = z.infer<typeof ObservationSchema>;
export type PhaseResult = z.infer<typeof PhaseResultSchema>;
export type CheckResult = z.infer<typeof CheckResultSchema>;
export type ProbeVerdictT = z.infer<typeof ProbeVerdict>;
