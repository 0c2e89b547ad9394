import { DEFAULT_CALICO, DEFAULT_ISTIO, DEFAULT_KUBERNETES } from '../catalog/index.js';

/**
 * Every input, once: action.yml, the CLI flags and the README table are checked against this list.
 * Values stay strings here; `cell-config.ts` turns them into a typed config.
 */
export interface InputSpec {
  readonly name: string;
  readonly flag: string;
  readonly description: string;
  readonly default: string;
  /** Shown in the CLI help as the value's shape. */
  readonly arg: string;
}

export const INPUTS = [
  {
    name: 'kubernetes-version',
    flag: 'kubernetes',
    arg: 'version',
    default: DEFAULT_KUBERNETES,
    description:
      'Kubernetes version of the kind node, `1.34` (newest known patch) or `1.34.8`. 1.29 or newer (native sidecars).',
  },
  {
    name: 'calico-version',
    flag: 'calico',
    arg: 'version',
    default: DEFAULT_CALICO,
    description: 'Calico release, `v3.32.1`, `3.32` or `v3.32` (newest known patch).',
  },
  {
    name: 'istio-version',
    flag: 'istio',
    arg: 'version',
    default: DEFAULT_ISTIO,
    description:
      'Istio release, `1.28.1` or `1.28` (newest known patch). 1.22+ use templates; 1.15 and 1.10 the legacy patch.',
  },
  {
    name: 'kind-version',
    flag: 'kind',
    arg: 'version',
    default: '',
    description:
      'kind release, e.g. `v0.32.0`. Empty, the newest release that has a node image for the Kubernetes version.',
  },
  {
    name: 'node-image',
    flag: 'node-image',
    arg: 'image@sha256:digest',
    default: '',
    description: 'kind node image override; must be pinned by digest (`kindest/node:v1.34.8@sha256:…`).',
  },
  {
    name: 'strict-mtls',
    flag: 'strict-mtls',
    arg: 'bool',
    default: 'true',
    description: 'Apply a mesh-wide STRICT PeerAuthentication (`true`/`false`).',
  },
  {
    name: 'suite',
    flag: 'suite',
    arg: 'path',
    default: '',
    description: 'Probe suite file (YAML). Empty, the built-in Online Boutique deny-then-allow suite.',
  },
  {
    name: 'kind-config',
    flag: 'kind-config',
    arg: 'file',
    default: '',
    description:
      'Your kind config (YAML, `kind.x-k8s.io/v1alpha4` Cluster): extra nodes, mounts, containerd patches, feature gates, merged with what the cell needs. Settings that would break it (default CNI, another pod subnet, the ingress port mapping) are refused.',
  },
  {
    name: 'cluster',
    flag: 'cluster',
    arg: 'kind|existing',
    default: 'kind',
    description: '`kind`: create an ephemeral kind cluster. `existing`: use the current kubeconfig context.',
  },
  {
    name: 'keep-cluster',
    flag: 'keep-cluster',
    arg: 'never|on-failure|always',
    default: 'never',
    description: 'When to keep the kind cluster after the run: `never`, `on-failure` or `always`.',
  },
  {
    name: 'install',
    flag: 'install',
    arg: 'list',
    default: 'auto',
    description:
      'Components to install: `auto` (everything on kind, nothing on an existing cluster), `none`, or a comma list of `calico`, `istio`, `alp`, `workload`.',
  },
  {
    name: 'ingress-url',
    flag: 'ingress-url',
    arg: 'url',
    default: '',
    description:
      'Base URL of the ingress gateway to probe. Empty, the kind NodePort mapped to a free port on 127.0.0.1 chosen per run; required with cluster `existing`.',
  },
  {
    name: 'on-unsupported',
    flag: 'on-unsupported',
    arg: 'run|skip',
    default: 'run',
    description:
      'A cell outside an upstream support window or with a known defect: `run` it and report it as such, or `skip` it (verdict `unsupported`).',
  },
  {
    name: 'tools-from-path',
    flag: 'tools-from-path',
    arg: 'bool',
    default: 'false',
    description:
      'Use kind, kubectl and istioctl from PATH when they are at the required version (else download).',
  },
  {
    name: 'results-dir',
    flag: 'results-dir',
    arg: 'dir',
    default: 'conformance-results',
    description: 'Where the plan, results, reports and diagnostics are written.',
  },
  {
    name: 'timeout-minutes',
    flag: 'timeout-minutes',
    arg: 'minutes',
    default: '45',
    description:
      'One deadline for the whole cell; every step is cut to what is left, and a reserved share keeps diagnostics, cleanup and results. Keep it under the job’s `timeout-minutes`.',
  },
  {
    name: 'mirrors',
    flag: 'mirror',
    arg: 'FROM=TO',
    default: '',
    description:
      'Redirect upstream URLs (tool downloads, manifests): one `FROM=TO` URL-prefix rule per line, matched at a path boundary (CLI: repeat `--mirror`). `http://` mirrors are refused unless `allow-insecure-mirrors`.',
  },
  {
    name: 'allow-insecure-mirrors',
    flag: 'allow-insecure-mirrors',
    arg: 'bool',
    default: 'false',
    description:
      'Accept `http://` mirrors (`true`/`false`). Checksums are still verified; an https download never follows a redirect to http.',
  },
  {
    name: 'diagnostics-cluster-wide',
    flag: 'diagnostics-cluster-wide',
    arg: 'bool',
    default: 'false',
    description:
      'With cluster `existing`: diagnostics from every namespace and the nodes (`true`), not only the namespaces the harness uses (`false`).',
  },
  {
    name: 'fail-on-known-defect',
    flag: 'fail-on-known-defect',
    arg: 'bool',
    default: 'false',
    description:
      'A cell whose run shows its catalogued known defect ends `known-defect`: `false` succeeds (the defect is expected), `true` fails the step like a `fail`.',
  },
] as const satisfies readonly InputSpec[];

export type InputName = (typeof INPUTS)[number]['name'];
export type RawInputs = Partial<Record<InputName, string>>;

/** How a message names an input: the action says `input "x"`, the CLI says `--flag`. */
export type InputNaming = (name: InputName) => string;

export const actionNaming: InputNaming = (name) => `input "${name}"`;
export const cliNaming: InputNaming = (name) => `--${INPUTS.find((i) => i.name === name)?.flag ?? name}`;
