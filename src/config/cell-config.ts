import { z } from 'zod';
import {
  lookupCalico,
  lookupIstio,
  lookupNodeImage,
  knownKindVersions,
  knownKubernetesVersions,
  MIN_KUBERNETES,
  nodeImageKubernetes,
  type Lookup,
} from '../catalog/index.js';
import { compareVersions, parseVersion, minorOf } from '../util/version.js';
import { INPUTS, type InputName, type InputNaming, type RawInputs } from './inputs.js';
import { parseMirrorRules } from '../util/mirror.js';
import type { UserKindConfig } from './kind-config.js';

export const COMPONENTS = ['calico', 'istio', 'alp', 'workload'] as const;
export type Component = (typeof COMPONENTS)[number];
export type ClusterMode = 'kind' | 'existing';
export type KeepCluster = 'never' | 'on-failure' | 'always';

export interface MirrorRule {
  readonly from: string;
  readonly to: string;
}

/** The validated, typed form of the inputs: one cell and how to run it. */
export interface CellConfig {
  readonly kubernetes: string;
  readonly calico: string;
  readonly istio: string;
  readonly kindVersion?: string;
  readonly nodeImage?: string;
  readonly strictMtls: boolean;
  readonly suite?: string;
  readonly cluster: ClusterMode;
  /** The `kind-config` file as given; `withKindConfig` reads and checks it into `kindConfig`. */
  readonly kindConfigFile?: string;
  /** The user's kind config, validated: merged with the harness's needs when the plan is built. */
  readonly kindConfig?: UserKindConfig;
  readonly keepCluster: KeepCluster;
  readonly install: readonly Component[];
  readonly resultsDir: string;
  readonly ingressUrl?: string;
  readonly onUnsupported: 'run' | 'skip';
  readonly toolsFromPath: boolean;
  readonly mirrors: readonly MirrorRule[];
  /** http:// mirrors accepted (and redirects to http followed). */
  readonly allowInsecureMirrors: boolean;
  /** With cluster existing: collect diagnostics from the whole cluster, not only the harness's namespaces. */
  readonly diagnosticsClusterWide: boolean;
  readonly failOnKnownDefect: boolean;
  /** The versions the user asked for (not defaulted): with cluster existing, checked against what runs. */
  readonly requested: Partial<Record<'kubernetes' | 'calico' | 'istio', string>>;
  /** The whole cell's deadline, from the start of the run. */
  readonly timeoutMinutes: number;
}

/** Below this the cell cannot even create a cluster and collect diagnostics. */
export const MIN_TIMEOUT_MINUTES = 5;
export const MAX_TIMEOUT_MINUTES = 360;

/** One refused input: which, what it was, why, and what is accepted. */
export interface InputProblem {
  readonly input: InputName;
  readonly value: string;
  readonly why: string;
  readonly accepted: string;
}

export class InputError extends Error {
  constructor(
    readonly problems: readonly InputProblem[],
    naming: InputNaming,
  ) {
    super(problems.map((p) => formatInputProblem(p, naming)).join('\n'));
    this.name = 'InputError';
  }
}

export function formatInputProblem(p: InputProblem, naming: InputNaming): string {
  return `Invalid ${naming(p.input)}: ${JSON.stringify(p.value)} ${p.why}. Accepted: ${p.accepted}.`;
}

const DIGEST_IMAGE_RE = /^[a-z0-9]+(?:[._\-/][a-z0-9]+)*(?::[\w][\w.-]{0,127})?@sha256:[a-f0-9]{64}$/;

const listOf = (xs: readonly string[]) => xs.join(', ');

/** A zod issue carrying our message parts, so one formatter serves every input. */
function refuse(ctx: z.RefinementCtx, input: InputName, value: string, why: string, accepted: string): void {
  ctx.addIssue({ code: 'custom', path: [input], message: why, params: { input, value, why, accepted } });
}

function fromLookup<T>(
  ctx: z.RefinementCtx,
  input: InputName,
  value: string,
  res: Lookup<T>,
  shape: string,
): T | undefined {
  if (res.ok) return res.value;
  refuse(ctx, input, value, res.why, `${shape}; known: ${listOf(res.known)}`);
  return undefined;
}

const BOOL: Record<string, boolean> = {
  true: true,
  false: false,
  yes: true,
  no: false,
  '1': true,
  '0': false,
};

function enumOf<T extends string>(
  ctx: z.RefinementCtx,
  input: InputName,
  value: string,
  allowed: readonly T[],
) {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  refuse(ctx, input, value, 'is not one of the choices', listOf(allowed));
  return undefined;
}

function parseMirrors(ctx: z.RefinementCtx, value: string, allowInsecure: boolean): MirrorRule[] {
  const { rules, problems } = parseMirrorRules(value, allowInsecure);
  for (const p of problems) {
    refuse(
      ctx,
      'mirrors',
      p.text,
      `(line ${p.line}) ${p.why}`,
      `one rule per line, like https://dl.k8s.io=https://mirror.example/k8s${allowInsecure ? '' : ' (http:// mirrors only with allow-insecure-mirrors: true)'}`,
    );
  }
  return rules;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
  } catch {
    return false;
  }
}

function parseInstall(ctx: z.RefinementCtx, value: string, cluster: ClusterMode): Component[] {
  const v = value.trim();
  if (v === 'auto') return cluster === 'kind' ? [...COMPONENTS] : [];
  if (v === 'none') return [];
  const parts = v.split(',').map((p) => p.trim());
  const bad = parts.filter((p) => !(COMPONENTS as readonly string[]).includes(p));
  if (bad.length > 0 || parts.length === 0) {
    refuse(
      ctx,
      'install',
      value,
      `names unknown components (${listOf(bad)})`,
      `auto, none, or a comma list of ${listOf(COMPONENTS)}`,
    );
    return [];
  }
  // Order is the install order, whatever the user wrote.
  return COMPONENTS.filter((c) => parts.includes(c));
}

const raw = z.object(
  Object.fromEntries(INPUTS.map((i) => [i.name, z.string()])) as Record<InputName, z.ZodString>,
);

const schema = raw.transform((r, ctx): CellConfig => {
  const cluster = enumOf(ctx, 'cluster', r.cluster, ['kind', 'existing'] as const) ?? 'kind';
  const keepCluster =
    enumOf(ctx, 'keep-cluster', r['keep-cluster'], ['never', 'on-failure', 'always'] as const) ?? 'never';
  const strict = BOOL[r['strict-mtls'].trim().toLowerCase()];
  if (strict === undefined) refuse(ctx, 'strict-mtls', r['strict-mtls'], 'is not a boolean', 'true or false');
  const toolsFromPath = BOOL[r['tools-from-path'].trim().toLowerCase()];
  if (toolsFromPath === undefined)
    refuse(ctx, 'tools-from-path', r['tools-from-path'], 'is not a boolean', 'true or false');
  const onUnsupported =
    enumOf(ctx, 'on-unsupported', r['on-unsupported'].trim(), ['run', 'skip'] as const) ?? 'run';

  const k8s = r['kubernetes-version'].trim();
  const k8sVersion = k8s.startsWith('v') ? undefined : parseVersion(k8s);
  const kindVersion = r['kind-version'].trim() || undefined;
  const kindKnown = !kindVersion || knownKindVersions().includes(kindVersion);
  if (!kindKnown) {
    refuse(
      ctx,
      'kind-version',
      kindVersion ?? '',
      'is not a kind release in the catalog',
      `one of ${listOf(knownKindVersions())}`,
    );
  }
  const nodeImage = r['node-image'].trim() || undefined;

  if (!k8sVersion) {
    refuse(
      ctx,
      'kubernetes-version',
      k8s,
      'is not a version',
      `1.34 or 1.34.8; known: ${listOf(knownKubernetesVersions())}`,
    );
  } else if (compareVersions(minorOf(k8sVersion), MIN_KUBERNETES) < 0) {
    refuse(
      ctx,
      'kubernetes-version',
      k8s,
      `is older than ${MIN_KUBERNETES}, the first Kubernetes with the native sidecars the Dikastes templates need`,
      `${MIN_KUBERNETES} or newer, as 1.34 or 1.34.8`,
    );
  } else if (!nodeImage && kindKnown) {
    fromLookup(ctx, 'kubernetes-version', k8s, lookupNodeImage(k8s, kindVersion), '1.34 or 1.34.8');
  }

  if (nodeImage) {
    const tag = nodeImageKubernetes(nodeImage);
    const tagV = tag ? parseVersion(tag) : undefined;
    if (!DIGEST_IMAGE_RE.test(nodeImage)) {
      const why = nodeImage.includes('@') ? 'has a malformed digest' : 'is not pinned by digest';
      refuse(
        ctx,
        'node-image',
        nodeImage,
        why,
        'an image reference ending in @sha256:<64 hex>, e.g. kindest/node:v1.34.8@sha256:…',
      );
    } else if (k8sVersion && tagV && minorOf(tagV) !== minorOf(k8sVersion)) {
      refuse(
        ctx,
        'node-image',
        nodeImage,
        `is Kubernetes ${tag}, not ${k8s} as kubernetes-version says`,
        `a node image of Kubernetes ${minorOf(k8sVersion)}`,
      );
    }
  }

  const calico = fromLookup(
    ctx,
    'calico-version',
    r['calico-version'].trim(),
    lookupCalico(r['calico-version']),
    'v3.32.1, 3.32 or v3.32',
  );
  const istio = fromLookup(
    ctx,
    'istio-version',
    r['istio-version'].trim(),
    lookupIstio(r['istio-version']),
    '1.28.1 or 1.28',
  );

  const suite = r.suite.trim() || undefined;
  if (suite !== undefined && (suite.includes('\0') || suite.includes('\n'))) {
    refuse(ctx, 'suite', suite, 'contains a control character', 'a path to a suite YAML file');
  }
  const kindConfigFile = r['kind-config'].trim() || undefined;
  if (kindConfigFile !== undefined && /[\0\n]/.test(kindConfigFile)) {
    refuse(
      ctx,
      'kind-config',
      kindConfigFile,
      'contains a control character',
      'a path to a kind config YAML file',
    );
  }
  const resultsDir = r['results-dir'].trim();
  if (!resultsDir || resultsDir.includes('\0') || resultsDir.includes('\n')) {
    refuse(ctx, 'results-dir', resultsDir, 'is empty or contains a control character', 'a directory path');
  }

  const ingressUrl = r['ingress-url'].trim() || undefined;
  if (ingressUrl !== undefined && !isHttpUrl(ingressUrl)) {
    refuse(
      ctx,
      'ingress-url',
      ingressUrl,
      'is not an http(s) URL without credentials',
      'a base URL such as http://127.0.0.1:30080',
    );
  }

  const timeoutText = r['timeout-minutes'].trim();
  const timeoutMinutes = /^\d+$/.test(timeoutText) ? Number(timeoutText) : NaN;
  if (!(timeoutMinutes >= MIN_TIMEOUT_MINUTES && timeoutMinutes <= MAX_TIMEOUT_MINUTES)) {
    refuse(
      ctx,
      'timeout-minutes',
      timeoutText,
      Number.isNaN(timeoutMinutes) ? 'is not a whole number of minutes' : 'is out of range',
      `a whole number of minutes from ${MIN_TIMEOUT_MINUTES} to ${MAX_TIMEOUT_MINUTES}, below the job's timeout-minutes`,
    );
  }

  const install = parseInstall(ctx, r.install, cluster);
  const allowInsecureMirrors = BOOL[r['allow-insecure-mirrors'].trim().toLowerCase()];
  if (allowInsecureMirrors === undefined)
    refuse(ctx, 'allow-insecure-mirrors', r['allow-insecure-mirrors'], 'is not a boolean', 'true or false');
  const mirrors = parseMirrors(ctx, r.mirrors, allowInsecureMirrors ?? false);
  const failOnKnownDefect = BOOL[r['fail-on-known-defect'].trim().toLowerCase()];
  if (failOnKnownDefect === undefined)
    refuse(ctx, 'fail-on-known-defect', r['fail-on-known-defect'], 'is not a boolean', 'true or false');
  const diagnosticsClusterWide = BOOL[r['diagnostics-cluster-wide'].trim().toLowerCase()];
  if (diagnosticsClusterWide === undefined)
    refuse(
      ctx,
      'diagnostics-cluster-wide',
      r['diagnostics-cluster-wide'],
      'is not a boolean',
      'true or false',
    );

  return {
    kubernetes: k8s,
    calico: calico?.version ?? r['calico-version'],
    istio: istio?.version ?? r['istio-version'],
    ...(kindVersion ? { kindVersion } : {}),
    ...(nodeImage ? { nodeImage } : {}),
    strictMtls: strict ?? true,
    ...(suite ? { suite } : {}),
    cluster,
    ...(kindConfigFile ? { kindConfigFile } : {}),
    keepCluster,
    install,
    resultsDir,
    ...(ingressUrl ? { ingressUrl } : {}),
    onUnsupported,
    toolsFromPath: toolsFromPath ?? false,
    mirrors,
    allowInsecureMirrors: allowInsecureMirrors ?? false,
    diagnosticsClusterWide: diagnosticsClusterWide ?? false,
    failOnKnownDefect: failOnKnownDefect ?? false,
    requested: {},
    timeoutMinutes: Number.isNaN(timeoutMinutes) ? 45 : timeoutMinutes,
  };
});

export function defaultInputs(): Record<InputName, string> {
  return Object.fromEntries(INPUTS.map((i) => [i.name, i.default])) as Record<InputName, string>;
}

/** Validates inputs (empty means default) and returns the config, or throws one InputError listing every problem. */
export function parseCellConfig(inputs: RawInputs, naming: InputNaming): CellConfig {
  const merged = defaultInputs();
  for (const [k, v] of Object.entries(inputs) as [InputName, string | undefined][]) {
    if (v !== undefined && v.trim() !== '') merged[k] = v;
  }
  const res = schema.safeParse(merged);
  if (res.success) {
    const given = (name: InputName) => (inputs[name] ?? '').trim() !== '';
    const requested = {
      ...(given('kubernetes-version') ? { kubernetes: res.data.kubernetes } : {}),
      ...(given('calico-version') ? { calico: res.data.calico } : {}),
      ...(given('istio-version') ? { istio: res.data.istio } : {}),
    };
    return { ...res.data, requested };
  }
  const problems = res.error.issues.map((issue): InputProblem => {
    const p = (issue as { params?: InputProblem }).params;
    if (p) return p;
    const input = String(issue.path[0]) as InputName;
    return { input, value: String(merged[input]), why: issue.message, accepted: 'a string' };
  });
  throw new InputError(problems, naming);
}
