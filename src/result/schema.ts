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
  /** The same diagnosis as fields, for the verdict: what was seen and which known defect it matches. */
  finding: z
    .object({
      kind: z.enum([
        'deny-all-baseline',
        'l4-baseline',
        'untrusted-403',
        'defect-symptom',
        'step-failed',
        'cancelled',
        'suite-error',
      ]),
      defectId: z.string().optional(),
      message: z.string(),
    })
    .optional(),
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
  /** Catalog facts the user should see with this cell. */
  notes: z.array(z.string()).optional(),
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
  /** This run among others on one Docker host: its id, cluster, host port and deadline. */
  run: z
    .object({
      id: z.string(),
      clusterName: z.string().optional(),
      /** The node label carrying the cell id (the cluster name is unique per run). */
      cellLabel: z.string().optional(),
      hostPort: z.number().int().optional(),
      ingressUrl: z.string(),
      timeoutMinutes: z.number().int().positive(),
      deadlineAt: z.string(),
    })
    .optional(),
  /** The Docker host as `docker info` reported it (kind clusters). */
  host: z
    .object({
      dockerVersion: z.string().optional(),
      storageDriver: z.string().optional(),
      cpus: z.number().optional(),
      memoryMiB: z.number().optional(),
      arch: z.string().optional(),
    })
    .optional(),
  /** What the cluster reported about itself, read after the steps. */
  observed: z
    .object({
      calico: z.string().optional(),
      istiod: z.string().optional(),
      images: z
        .array(
          z.object({
            namespace: z.string(),
            pod: z.string(),
            container: z.string(),
            image: z.string(),
            imageID: z.string().optional(),
          }),
        )
        .default([]),
      errors: z.array(z.string()).default([]),
    })
    .optional(),
  /** Every file the plan fetched, with the sha256 of the bytes received. */
  fetched: z
    .array(z.object({ url: z.string(), dest: z.string(), sha256: z.string(), bytes: z.number().int() }))
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
export type SuiteFinding = NonNullable<SuiteResult['finding']>;
export type SuiteStepResult = z.infer<typeof SuiteStepResultSchema>;
export type ExpectationResult = z.infer<typeof ExpectationResultSchema>;
export type Observation = z.infer<typeof ObservationSchema>;
export type PhaseResult = z.infer<typeof PhaseResultSchema>;
export type CheckResult = z.infer<typeof CheckResultSchema>;
export type ProbeVerdictT = z.infer<typeof ProbeVerdict>;
