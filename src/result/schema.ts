import { z } from 'zod';

/**
 * results.json: the one record of a cell run. The executor and the suite runner write it; reports,
 * JUnit, the summary and the matrix read only this. Version 2 adds the `known-defect` verdict, the
 * `denied-mesh` observation, Envoy's ext_authz counters per expectation and what an existing cluster
 * runs, and suite selection (`--test`: `skipped` expectations, `skippedBy`, `selection`); a version 1
 * file is a valid version 2 file without them, so both are read.
 */
export const RESULT_SCHEMA_VERSION = 2;
export const READABLE_RESULT_VERSIONS: readonly number[] = [1, 2];

export const Verdict = z.enum(['pass', 'fail', 'known-defect', 'error', 'unsupported']);
/**
 * What one probe saw: `allowed` (the app answered), `denied-l7` (Dikastes via ext_authz), `denied-l4`
 * (Felix dropped the connection), `denied-mesh` (Istio's own policy: JWT, AuthorizationPolicy, rate
 * limit — neither an allow nor a Calico deny), `unavailable` (no verdict, with a named cause).
 */
export const ProbeVerdict = z.enum(['allowed', 'denied-l7', 'denied-l4', 'denied-mesh', 'unavailable']);

/** Envoy's inbound ext_authz counters of the target pods around one expectation (UPSTREAM.md §6). */
export const EnvoyEvidenceSchema = z.object({
  /** `confirmed`: the counters back the verdict; `contradicted`: they do not; `unread`: not available. */
  status: z.enum(['confirmed', 'contradicted', 'unread']),
  /** Growth of each counter over the expectation (ok, denied, error, failure_mode_allowed). */
  deltas: z.record(z.string(), z.number()).optional(),
  /** The raw stat lines matched at the end, so a reader can check the assumed names. */
  lines: z.array(z.string()).optional(),
  note: z.string().optional(),
});
export const Expected = z.enum(['allow', 'deny']);
export const Layer = z.enum(['l7', 'l4']);

export const SupportEntrySchema = z.object({
  component: z.enum(['calico', 'istio']),
  version: z.string(),
  /** `unknown`: a minor the catalog does not know, run with another minor's facts (never `supported`). */
  status: z.enum(['supported', 'outside-window', 'known-defect', 'unknown']),
  detail: z.string(),
  window: z.string().optional(),
  defectId: z.string().optional(),
  /** The known minor whose facts were applied to this version. */
  inheritedFrom: z.string().optional(),
  /** false: the catalog pins none of this version's upstream files (their sha256 are under `fetched`). */
  pinned: z.boolean().optional(),
});

const Standing = z.enum(['catalog', 'newer-patch', 'inherited', 'label']);

/** Where the cell's Calico and Istio came from: release, newer patch, inherited minor or the user's build. */
export const ProvenanceSchema = z.object({
  calico: z.object({
    version: z.string(),
    standing: Standing,
    factsFrom: z.string(),
    /** Which facts of `factsFrom` a build of an unknown minor (or a label) inherited. */
    inheritedFacts: z.array(z.string()).optional(),
    pinned: z.boolean(),
    manifests: z.object({
      source: z.enum(['release-tag', 'git-ref', 'url', 'directory']),
      location: z.string(),
    }),
    images: z.object({
      dikastes: z.string(),
      dikastesSource: z.enum(['release', 'user']),
      operator: z.string().optional(),
      registry: z.string().optional(),
      imagePath: z.string().optional(),
      imagePrefix: z.string().optional(),
    }),
  }),
  istio: z.object({
    version: z.string(),
    standing: Standing,
    factsFrom: z.string(),
    inheritedFacts: z.array(z.string()).optional(),
    istioctl: z.object({
      source: z.enum(['release', 'path', 'url']),
      location: z.string(),
      sha256: z.string().optional(),
    }),
    hub: z.string().optional(),
    tag: z.string().optional(),
  }),
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

/**
 * What the policy oracle computed for an `expect: auto` expectation: its verdict (which set
 * `expected`/`layer`), whether the cluster agreed, which rule decided and why.
 */
export const OracleVerdictSchema = z.object({
  verdict: z.enum(['allowed', 'denied-l4', 'denied-l7']),
  /** Whether what was observed agrees; null when no verdict was observed (unavailable). */
  agrees: z.boolean().nullable(),
  decidedBy: z.object({
    kind: z.enum(['rule', 'tier-default', 'profile', 'defect']),
    enforcement: z.enum(['felix', 'dikastes']),
    tier: z.string().nullable(),
    policy: z.string().nullable(),
    namespace: z.string().nullable(),
    rule: z.number().int().nullable(),
    action: z.enum(['Allow', 'Deny', 'Pass']),
  }),
  explanation: z.string(),
});

/** Where a request started inside the mesh (issue 16): the identity a policy saw. */
export const ProbeSourceResultSchema = z.object({
  /** `client`: a probe client the harness deployed; `workload`: a pod of an existing workload. */
  kind: z.enum(['client', 'workload']),
  namespace: z.string(),
  serviceAccount: z.string(),
  labels: z.record(z.string(), z.string()),
  pod: z.string().optional(),
  /** For a workload: the selector the suite named. */
  selector: z.string().optional(),
});

export const ExpectationResultSchema = z.object({
  name: z.string(),
  /** Absent: the request entered through the ingress gateway. */
  from: ProbeSourceResultSchema.optional(),
  /** Absent: the ingress URL. */
  to: z.object({ service: z.string(), namespace: z.string(), port: z.number().int() }).optional(),
  request: z.object({
    method: z.string(),
    path: z.string(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
  expected: Expected,
  layer: Layer.optional(),
  /** `skipped`: not selected by `--test` (not probed, or probed only to wait for a step's policy state). */
  status: z.enum(['pass', 'fail', 'unavailable', 'skipped']),
  skippedBy: z.literal('selection').optional(),
  /** The last observation (the one the verdict rests on). */
  observed: ObservationSchema.optional(),
  probes: z.number().int().nonnegative(),
  /** Policy applied → first of the k agreeing probes. */
  propagationMs: z.number().nonnegative().optional(),
  /** From the first probe to the verdict (added in 0.2; absent in older version-1 files). */
  durationMs: z.number().nonnegative().optional(),
  message: z.string().optional(),
  envoy: EnvoyEvidenceSchema.optional(),
  /** Set for `expect: auto`: the oracle's verdict beside what was observed. */
  oracle: OracleVerdictSchema.optional(),
});

export const SuiteStepResultSchema = z.object({
  name: z.string(),
  status: z.enum(['pass', 'fail', 'unavailable', 'error', 'skipped']),
  /** Skipped because `--test` selected none of its expectations (its manifests may still be applied). */
  skippedBy: z.literal('selection').optional(),
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
        'dikastes-fault',
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
  /** The `--test` filters the run was given; absent when every expectation was selected. */
  selection: z
    .object({
      filters: z.array(z.string()),
      selectedSteps: z.number().int().nonnegative(),
      selectedExpectations: z.number().int().nonnegative(),
      totalExpectations: z.number().int().nonnegative(),
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
  /** `given`: the user's own build (the istioctl input). */
  source: z.enum(['download', 'cache', 'path', 'given']),
  sha256: z.string().optional(),
  /** Where the verified digest came from: the catalog (pinned) or the download's own checksum file. */
  checksumSource: z.enum(['catalog', 'published', 'given', 'none']).optional(),
  /** A given tool's path or URL. */
  from: z.string().optional(),
  /** The checksum file a published digest was read from. */
  checksumUrl: z.string().optional(),
});

export const CellResultSchema = z.object({
  schemaVersion: z.union([z.literal(1), z.literal(2)]),
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
  /**
   * cluster existing: the versions the cluster reports (the cell above is labelled with them), what
   * was requested, and every mismatch.
   */
  detected: z
    .object({
      kubernetes: z.string().optional(),
      calico: z.string().optional(),
      istio: z.string().optional(),
      dikastesImage: z.string().optional(),
      requested: z.object({ kubernetes: z.string(), calico: z.string(), istio: z.string() }).partial(),
      warnings: z.array(z.string()),
    })
    .optional(),
  tools: z.array(ToolResultSchema).default([]),
  support: z.array(SupportEntrySchema),
  /** Catalog facts the user should see with this cell. */
  notes: z.array(z.string()).optional(),
  /** Where Calico and Istio came from (added with builds the catalog does not pin). */
  provenance: ProvenanceSchema.optional(),
  verdict: Verdict,
  /** One line a person can act on. */
  reason: z.string(),
  knownDefect: z
    .object({
      id: z.string(),
      title: z.string(),
      issue: z.string(),
      symptomObserved: z.boolean(),
      /** Shown prominently when the cell is in the defect's range but passed. */
      note: z.string().optional(),
    })
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
export type ProbeSourceResult = z.infer<typeof ProbeSourceResultSchema>;
export type PhaseResult = z.infer<typeof PhaseResultSchema>;
export type CheckResult = z.infer<typeof CheckResultSchema>;
export type ProbeVerdictT = z.infer<typeof ProbeVerdict>;
