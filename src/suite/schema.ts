import { HTTP_METHODS } from '../probe/http-methods.js';
import { z } from 'zod';
import { SUITE_SCHEMA_URL } from '../published.js';

/** Suite files declare this, so a future format change can be told apart. */
export const SUITE_API_VERSION = 'calico-istio-conformance/v1';
export const SUITE_KIND = 'Suite';

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m)$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._:/()-]{0,99}$/;
const LABEL_KEY = String.raw`(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`;
const LABEL_VALUE = String.raw`(?:[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;
/** Equality-based label selectors, as `kubectl -l` takes them: `app=frontend,tier!=db`. */
const SELECTOR_RE = new RegExp(
  `^${LABEL_KEY}(?:==?|!=)${LABEL_VALUE}(?:,${LABEL_KEY}(?:==?|!=)${LABEL_VALUE})*$`,
);
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Request paths as a client sends them: absolute, no fragment, no whitespace. */
const REQUEST_PATH_RE = /^\/[^\s#]*$/;
const MANIFEST_RE = /\.ya?ml$/;

export { HTTP_METHODS };

/** `500ms`, `2s`, `1.5m` → milliseconds. */
export function parseDuration(text: string): number {
  const m = DURATION_RE.exec(text.trim());
  if (!m) throw new Error(`${JSON.stringify(text)} is not a duration such as 500ms, 2s or 2m`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000);
}

/**
 * Sane ranges for every duration (timers overflow past 24.8 days into a 1 ms loop; an interval of
 * 0 would spin): [min, max] in ms, and how the bound is shown.
 */
export const DURATION_BOUNDS = {
  interval: { min: 10, max: 60_000, text: 'between 10ms and 60s' },
  hold: { min: 10, max: 10 * 60_000, text: 'between 10ms and 10m' },
  timeout: { min: 100, max: 60 * 60_000, text: 'between 100ms and 60m' },
  probeTimeout: { min: 100, max: 5 * 60_000, text: 'between 100ms and 5m' },
} as const;

/** Caps on a suite's size: a suite is a short list of policy steps, not a load test. */
export const SUITE_LIMITS = {
  /** File size in bytes, checked before parsing. */
  fileBytes: 1024 * 1024,
  steps: 100,
  expectationsPerStep: 50,
  manifestsPerStep: 20,
} as const;

const Duration = (what: string, bound: (typeof DURATION_BOUNDS)[keyof typeof DURATION_BOUNDS]) =>
  z
    .string()
    .regex(DURATION_RE, 'must be a duration such as 500ms, 2s or 2m')
    .refine((s) => !DURATION_RE.test(s) || parseDuration(s) > 0, 'must be longer than zero')
    .refine((s) => {
      if (!DURATION_RE.test(s)) return true;
      const ms = parseDuration(s);
      return ms <= 0 || (ms >= bound.min && ms <= bound.max);
    }, `must be ${bound.text}`)
    .describe(`${what} Range: ${bound.text}.`);

export const TimingSchema = z
  .strictObject({
    consecutive: z
      .number()
      .int()
      .min(1)
      .max(20)
      .optional()
      .describe('Consecutive agreeing probes that settle an expectation (default 3).'),
    timeout: Duration(
      'Bound on reaching agreement after a policy change (default 120s).',
      DURATION_BOUNDS.timeout,
    ).optional(),
    interval: Duration('Time between probe rounds (default 500ms).', DURATION_BOUNDS.interval).optional(),
    hold: Duration(
      'How long every expectation is re-checked after agreement, to catch flapping (default 2s).',
      DURATION_BOUNDS.hold,
    ).optional(),
    probeTimeout: Duration(
      "Bound on one request; must exceed the time an L4 denial takes through the route, (1 + retries) x connect timeout (default: 11s on the harness's own route, 35s elsewhere).",
      DURATION_BOUNDS.probeTimeout,
    ).optional(),
  })
  .describe('Polling settings; a step’s own timing overrides the suite’s.');

const ManifestPath = z
  .string()
  .min(1)
  .regex(MANIFEST_RE, 'must name a .yaml or .yml file')
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p), 'must be relative to the suite file')
  .refine((p) => !p.split(/[\\/]/).includes('..'), "must stay in the suite's folder (no `..`)")
  .describe("A manifest file, relative to the suite file, inside the suite's folder.");

export const RequestSchema = z.strictObject({
  method: z.enum(HTTP_METHODS).default('GET').describe('HTTP method (default GET).'),
  path: z
    .string()
    .regex(REQUEST_PATH_RE, 'must start with "/" and contain no spaces or "#"')
    .describe('Request path, with an optional query.'),
  headers: z
    .record(z.string().regex(HEADER_NAME_RE, 'must be an HTTP header name'), z.string())
    .optional()
    .describe('Extra request headers; `host` overrides the target’s Host.'),
});

// --- Sources and targets inside the mesh (issue 16) ---

/** Kubernetes object names (ServiceAccount, Service): a DNS subdomain, at most 253 characters. */
const DNS_SUBDOMAIN_RE = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_KEY_RE = new RegExp(`^${LABEL_KEY}$`);
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE}$`);

/**
 * Where a request starts: an existing workload (`selector`: one of its pods, which must carry an
 * Istio sidecar and an HTTP client in `container`), or a probe client the harness deploys for the
 * suite (`serviceAccount` and `labels`: its identity), with the Istio sidecar and no Dikastes.
 */
export const SourceSchema = z
  .strictObject({
    namespace: z.string().regex(DNS_LABEL_RE, 'must be a Kubernetes namespace name (a DNS label)'),
    selector: z
      .string()
      .regex(SELECTOR_RE, 'must be an equality label selector such as app=frontend')
      .optional()
      .describe('An existing workload: requests start in one of the pods this selects.'),
    container: z
      .string()
      .regex(DNS_LABEL_RE, 'must be a container name (a DNS label)')
      .optional()
      .describe('With selector: the container that runs curl (default: the first that is not a sidecar).'),
    serviceAccount: z
      .string()
      .regex(DNS_SUBDOMAIN_RE, 'must be a ServiceAccount name (a DNS subdomain)')
      .optional()
      .describe('A probe client the harness deploys, running as this ServiceAccount (it must exist).'),
    labels: z
      .record(
        z.string().regex(LABEL_KEY_RE, 'must be a label key'),
        z.string().max(63).regex(LABEL_VALUE_RE, 'must be a label value'),
      )
      .optional()
      .describe('With serviceAccount: the probe client’s pod labels.'),
  })
  .superRefine((s, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if ((s.selector === undefined) === (s.serviceAccount === undefined))
      issue(
        s.selector === undefined ? 'selector' : 'serviceAccount',
        'name either selector (an existing workload) or serviceAccount (a probe client the harness deploys), not both',
      );
    if (s.container !== undefined && s.selector === undefined)
      issue('container', 'is only allowed with selector (an existing workload)');
    if (s.labels !== undefined && s.serviceAccount === undefined)
      issue('labels', 'is only allowed with serviceAccount (a probe client)');
  })
  .describe('Where requests start inside the mesh; absent, they enter through the ingress gateway.');

/** A Service and port inside the cluster; the namespace defaults to the suite's target namespace. */
export const ServiceTargetSchema = z
  .strictObject({
    service: z.string().regex(DNS_LABEL_RE, 'must be a Service name (a DNS label)'),
    port: z.number().int().min(1).max(65535).describe('The Service port.'),
    namespace: z
      .string()
      .regex(DNS_LABEL_RE, 'must be a Kubernetes namespace name (a DNS label)')
      .optional()
      .describe("Default: the suite's target namespace."),
  })
  .describe('A Service the request goes to from a source; absent, the ingress URL.');

export const ExpectSchema = z
  .strictObject({
    name: z.string().regex(NAME_RE, 'must be 1–100 letters, digits, spaces or ._:/()-').optional(),
    from: SourceSchema.optional(),
    to: ServiceTargetSchema.optional(),
    request: RequestSchema,
    verdict: z
      .enum(['allow', 'deny'])
      .optional()
      .describe('allow: the app answers; deny: denied at L7 (403) or L4. Required unless expect is auto.'),
    layer: z
      .enum(['l7', 'l4'])
      .optional()
      .describe('With verdict deny: require this layer (l7 = ext_authz 403, l4 = connect failure).'),
    expect: z
      .literal('auto')
      .optional()
      .describe(
        "auto: the policy oracle computes the verdict and layer from the suite's policies at this step (instead of verdict).",
      ),
  })
  .refine((e) => e.layer === undefined || e.verdict === 'deny', {
    message: 'layer is only allowed with verdict deny',
    path: ['layer'],
  })
  .refine((e) => (e.verdict === undefined) !== (e.expect === undefined), {
    message: 'write either verdict (allow or deny) or expect: auto, not both and not neither',
    path: ['verdict'],
  });

export const StepSchema = z.strictObject({
  name: z.string().regex(NAME_RE, 'must be 1–100 letters, digits, spaces or ._:/()-'),
  apply: z
    .array(ManifestPath)
    .max(SUITE_LIMITS.manifestsPerStep)
    .default([])
    .describe('Manifests applied (in order) before probing.'),
  delete: z
    .array(ManifestPath)
    .max(SUITE_LIMITS.manifestsPerStep)
    .default([])
    .describe('Manifests applied by an earlier step, deleted before probing.'),
  timing: TimingSchema.omit({ probeTimeout: true })
    .optional()
    .describe('Polling settings for this step (probeTimeout is suite-wide).'),
  from: SourceSchema.optional().describe('Default source of this step’s expectations.'),
  to: ServiceTargetSchema.optional().describe('Default target of this step’s expectations.'),
  expect: z
    .array(ExpectSchema)
    .min(1, 'must list at least one expectation')
    .max(SUITE_LIMITS.expectationsPerStep),
});

export const SuiteSchema = z
  .strictObject({
    apiVersion: z.literal(SUITE_API_VERSION),
    kind: z.literal(SUITE_KIND),
    name: z.string().regex(NAME_RE, 'must be 1–100 letters, digits, spaces or ._:/()-'),
    description: z.string().optional(),
    target: z.strictObject({
      namespace: z.string().regex(DNS_LABEL_RE, 'must be a Kubernetes namespace name (a DNS label)'),
      selector: z
        .string()
        .regex(SELECTOR_RE, 'must be an equality label selector such as app=frontend')
        .optional()
        .describe('Pods behind the gateway route (for the Dikastes readiness check).'),
      host: z
        .string()
        .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'must be a host name, optionally with :port')
        .optional()
        .describe('Host header for every request (the VirtualService host).'),
    }),
    timing: TimingSchema.optional(),
    continueAfterFailure: z
      .boolean()
      .default(false)
      .describe(
        'Run later steps after a failed one (default false: they build on its state, so they are skipped).',
      ),
    steps: z.array(StepSchema).min(1, 'must list at least one step').max(SUITE_LIMITS.steps),
  })
  .superRefine((s, ctx) => {
    const seen = new Map<string, number>();
    const live = new Set<string>();
    s.steps.forEach((step, i) => {
      const first = seen.get(step.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'name'],
          message: `duplicates the name of step ${first + 1}`,
        });
      } else seen.set(step.name, i);
      step.expect.forEach((e, j) => {
        const from = e.from ?? step.from;
        const to = e.to ?? step.to;
        if ((from === undefined) !== (to === undefined))
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'expect', j, from ? 'to' : 'from'],
            message: from
              ? 'a request from a source needs a target Service: to: {service, port} (the ingress URL is reachable from the runner only)'
              : 'a request to a Service needs a source inside the mesh: from: {namespace, serviceAccount} or {namespace, selector}',
          });
      });
      step.apply.forEach((f, j) => {
        if (live.has(f)) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'apply', j],
            message: `${f} is already applied by an earlier step`,
          });
        }
        live.add(f);
      });
      step.delete.forEach((f, j) => {
        if (!live.has(f)) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'delete', j],
            message: `${f} is not applied by this or an earlier step (a suite deletes only what it applied)`,
          });
        }
        live.delete(f);
      });
    });
  });

export type SuiteSpec = z.infer<typeof SuiteSchema>;
export type StepSpec = z.infer<typeof StepSchema>;
export type ExpectSpec = z.infer<typeof ExpectSchema>;
export type TimingSpec = z.infer<typeof TimingSchema>;
export type SourceSpec = z.infer<typeof SourceSchema>;
export type ServiceTargetSpec = z.infer<typeof ServiceTargetSchema>;

/** The JSON Schema published for editors (schemas/suite.schema.json). */
export function suiteJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(SuiteSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    $schema: schema.$schema,
    $id: SUITE_SCHEMA_URL,
    title: 'calico-istio-conformance suite',
    description: 'Steps that apply policies and expect allow/deny verdicts through the ingress gateway.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}
