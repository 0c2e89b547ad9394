import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { load, YAMLException } from 'js-yaml';
import { z } from 'zod';
import { CELL_LABEL, INGRESS_HOST_PORT, INGRESS_NODE_PORT, POD_SUBNET } from '../render/constants.js';
import { InputError, type CellConfig, type InputProblem } from './cell-config.js';
import type { InputNaming } from './inputs.js';

/**
 * The user's kind config (`kind-config` input, `--kind-config FILE`): kind's v1alpha4 `Cluster`, field
 * for field (kind `pkg/apis/config/v1alpha4/types.go` @ v0.27.0, v0.31.0 and v0.32.0: same fields).
 * Strict like kind, which decodes with KnownFields (`pkg/internal/apis/config/encoding/load.go`): an
 * unknown field fails here, not halfway through `kind create cluster`.
 */
const API_VERSION = 'kind.x-k8s.io/v1alpha4';
const port = z.number().int().min(-1).max(65535);
const str = z.string();

const PortMappingSchema = z
  .object({
    containerPort: port.optional(),
    hostPort: port.optional(),
    listenAddress: str.optional(),
    protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  })
  .strict();

const MountSchema = z
  .object({
    containerPath: str.optional(),
    hostPath: str.optional(),
    readOnly: z.boolean().optional(),
    selinuxRelabel: z.boolean().optional(),
    propagation: z.enum(['None', 'HostToContainer', 'Bidirectional']).optional(),
  })
  .strict();

const PatchJSON6902Schema = z
  .object({ group: str.optional(), version: str.optional(), kind: str.optional(), patch: str })
  .strict();

const NodeSchema = z
  .object({
    role: z.enum(['control-plane', 'worker']).optional(),
    image: str.optional(),
    labels: z.record(str, str).optional(),
    extraMounts: z.array(MountSchema).optional(),
    extraPortMappings: z.array(PortMappingSchema).optional(),
    kubeadmConfigPatches: z.array(str).optional(),
    kubeadmConfigPatchesJSON6902: z.array(PatchJSON6902Schema).optional(),
  })
  .strict();

const NetworkingSchema = z
  .object({
    ipFamily: z.enum(['ipv4', 'ipv6', 'dual']).optional(),
    apiServerPort: port.optional(),
    apiServerAddress: str.optional(),
    podSubnet: str.optional(),
    serviceSubnet: str.optional(),
    disableDefaultCNI: z.boolean().optional(),
    // `none` is accepted by kind's validation (pkg/internal/apis/config/validate.go).
    kubeProxyMode: z.enum(['iptables', 'ipvs', 'nftables', 'none']).optional(),
    dnsSearch: z.array(str).nullable().optional(),
  })
  .strict();

export const UserKindConfigSchema = z
  .object({
    kind: z.literal('Cluster'),
    apiVersion: z.literal(API_VERSION),
    name: str.optional(),
    nodes: z.array(NodeSchema).optional(),
    networking: NetworkingSchema.optional(),
    featureGates: z.record(str, z.boolean()).optional(),
    runtimeConfig: z.record(str, str).optional(),
    kubeadmConfigPatches: z.array(str).optional(),
    kubeadmConfigPatchesJSON6902: z.array(PatchJSON6902Schema).optional(),
    containerdConfigPatches: z.array(str).optional(),
    containerdConfigPatchesJSON6902: z.array(str).optional(),
  })
  .strict();

export type UserKindConfig = z.infer<typeof UserKindConfigSchema>;
export type UserKindNode = z.infer<typeof NodeSchema>;

/** What the harness writes into the merged config and so must not be changed by the user's. */
export const KUBELET_FIELDS_OWNED = ['serializeImagePulls', 'maxParallelImagePulls'] as const;

/** A refusal: the field (a path in the file), what it holds, why that breaks the cell, what is accepted. */
interface FieldProblem {
  readonly field: string;
  readonly value: unknown;
  readonly why: string;
  readonly accepted: string;
}

function ipv4Range(cidr: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const ip = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const start = Math.floor(ip / size) * size;
  return [start, start + size - 1];
}

/** True when a comma list of CIDRs has an IPv4 range overlapping the pod subnet. */
function overlapsPodSubnet(subnets: string): boolean {
  const pods = ipv4Range(POD_SUBNET)!;
  return subnets.split(',').some((s) => {
    const r = ipv4Range(s);
    return r !== undefined && r[0] <= pods[1] && pods[0] <= r[1];
  });
}

const podSubnetWhy =
  'Calico\'s custom-resources.yaml creates its only IP pool as 192.168.0.0/16 (UPSTREAM.md §1 "Install on kind"): pods of another subnet get no Calico address';
const serviceSubnetWhy = `overlaps the pod subnet ${POD_SUBNET} Calico's IP pool uses`;

/** A kubeadm patch (YAML, one object) that touches what the harness relies on. */
function kubeadmPatchProblems(field: string, text: string): FieldProblem[] {
  let doc: unknown;
  try {
    doc = load(text);
  } catch (e) {
    return [
      {
        field,
        value: text.split('\n')[0],
        why: `is not YAML (${e instanceof YAMLException ? e.reason : String(e)})`,
        accepted: 'a kubeadm config object patch in YAML',
      },
    ];
  }
  if (!doc || typeof doc !== 'object') return [];
  const o = doc as Record<string, unknown>;
  const out: FieldProblem[] = [];
  if (o.kind === 'ClusterConfiguration') {
    const net = (o.networking ?? {}) as Record<string, unknown>;
    if (typeof net.podSubnet === 'string' && net.podSubnet.trim() !== POD_SUBNET) {
      out.push({
        field: `${field} (ClusterConfiguration networking.podSubnet)`,
        value: net.podSubnet,
        why: podSubnetWhy,
        accepted: `${POD_SUBNET} or no podSubnet in the patch`,
      });
    }
    if (typeof net.serviceSubnet === 'string' && overlapsPodSubnet(net.serviceSubnet)) {
      out.push({
        field: `${field} (ClusterConfiguration networking.serviceSubnet)`,
        value: net.serviceSubnet,
        why: serviceSubnetWhy,
        accepted: `a service subnet outside ${POD_SUBNET} (kind's default is 10.96.0.0/16)`,
      });
    }
  }
  if (o.kind === 'KubeletConfiguration') {
    for (const k of KUBELET_FIELDS_OWNED) {
      if (k in o)
        out.push({
          field: `${field} (KubeletConfiguration ${k})`,
          value: o[k],
          why: "is set by the harness's own KubeletConfiguration patch (parallel image pulls); kind applies patches in order, so one of the two would be lost without a word",
          accepted: `a KubeletConfiguration patch without ${KUBELET_FIELDS_OWNED.join(' and ')}`,
        });
    }
  }
  return out;
}

/** A JSON 6902 patch on kubeadm's config whose operations reach the fields the harness relies on. */
function json6902Problems(field: string, p: z.infer<typeof PatchJSON6902Schema>): FieldProblem[] {
  let ops: unknown;
  try {
    ops = load(p.patch);
  } catch (e) {
    return [
      {
        field: `${field}.patch`,
        value: p.patch.split('\n')[0],
        why: `is not YAML or JSON (${e instanceof YAMLException ? e.reason : String(e)})`,
        accepted: 'a list of RFC 6902 operations',
      },
    ];
  }
  const paths = Array.isArray(ops)
    ? ops.flatMap((op) => (op && typeof op.path === 'string' ? [String(op.path)] : []))
    : [];
  const owned =
    p.kind === 'ClusterConfiguration'
      ? paths.filter((x) => x === '/networking' || x.startsWith('/networking/podSubnet'))
      : p.kind === 'KubeletConfiguration'
        ? paths.filter((x) => KUBELET_FIELDS_OWNED.some((k) => x === `/${k}`))
        : [];
  return owned.map((path) => ({
    field: `${field} (${p.kind} ${path})`,
    value: path,
    why:
      p.kind === 'ClusterConfiguration'
        ? podSubnetWhy
        : "is set by the harness's own KubeletConfiguration patch (parallel image pulls)",
    accepted: `a patch that leaves ${p.kind === 'ClusterConfiguration' ? 'networking.podSubnet' : KUBELET_FIELDS_OWNED.join(' and ')} alone`,
  }));
}

/** One node's settings that would break the cell. */
function nodeProblems(n: UserKindNode, at: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (n.image !== undefined)
    out.push({
      field: `${at}.image`,
      value: n.image,
      // kind create.go: a NodeImage (--image) replaces the image of every node.
      why: "would be replaced: the harness pins the cell's node image with kind's --image, which overrides every node's image",
      accepted: 'no image (choose it with the node-image input, pinned by digest)',
    });
  if (n.labels && CELL_LABEL in n.labels)
    out.push({
      field: `${at}.labels.${CELL_LABEL}`,
      value: n.labels[CELL_LABEL],
      why: 'is the label the harness puts on every node to name the cell',
      accepted: 'any other label',
    });
  n.extraPortMappings?.forEach((m, j) => {
    const tcp = (m.protocol ?? 'TCP') === 'TCP';
    if (tcp && m.containerPort === INGRESS_NODE_PORT)
      out.push({
        field: `${at}.extraPortMappings[${j}].containerPort`,
        value: m.containerPort,
        why: `is the ingress gateway's NodePort, which the harness maps to its own host port`,
        accepted: `any container port but ${INGRESS_NODE_PORT}`,
      });
    if (tcp && m.hostPort === INGRESS_HOST_PORT)
      out.push({
        field: `${at}.extraPortMappings[${j}].hostPort`,
        value: m.hostPort,
        why: `is the host port a plan maps the ingress gateway to`,
        accepted: `any host port but ${INGRESS_HOST_PORT}`,
      });
  });
  n.kubeadmConfigPatches?.forEach((p, j) =>
    out.push(...kubeadmPatchProblems(`${at}.kubeadmConfigPatches[${j}]`, p)),
  );
  n.kubeadmConfigPatchesJSON6902?.forEach((p, j) =>
    out.push(...json6902Problems(`${at}.kubeadmConfigPatchesJSON6902[${j}]`, p)),
  );
  return out;
}

/** The settings that would break the cell, each named by its field. */
export function kindConfigProblems(c: UserKindConfig): FieldProblem[] {
  const out: FieldProblem[] = [];
  const net = c.networking ?? {};
  if (c.name !== undefined)
    out.push({
      field: 'name',
      value: c.name,
      // kind `pkg/cluster/internal/create/create.go` (NameOverride): --name replaces the config's name.
      why: "would be replaced: the harness names the cluster per run with kind's --name, which overrides the config's name",
      accepted: 'no name (the action sets the `cluster-name` output)',
    });
  if (net.disableDefaultCNI === false)
    out.push({
      field: 'networking.disableDefaultCNI',
      value: false,
      why: 'would install kind\'s default CNI (kindnet) beside Calico, which must be the cluster\'s only CNI (UPSTREAM.md §1 "Install on kind")',
      accepted: 'true, or leave it out (the harness sets true)',
    });
  if (net.podSubnet !== undefined && net.podSubnet.trim() !== POD_SUBNET)
    out.push({
      field: 'networking.podSubnet',
      value: net.podSubnet,
      why: podSubnetWhy,
      accepted: `${POD_SUBNET}, or leave it out (the harness sets it)`,
    });
  if (net.ipFamily !== undefined && net.ipFamily !== 'ipv4')
    out.push({
      field: 'networking.ipFamily',
      value: net.ipFamily,
      why: "Calico's custom-resources.yaml has an IPv4 pool only: IPv6 pods would get no Calico address",
      accepted: 'ipv4, or leave it out',
    });
  if (net.serviceSubnet !== undefined && overlapsPodSubnet(net.serviceSubnet))
    out.push({
      field: 'networking.serviceSubnet',
      value: net.serviceSubnet,
      why: serviceSubnetWhy,
      accepted: `a subnet outside ${POD_SUBNET} (kind's default is 10.96.0.0/16), or leave it out`,
    });
  // custom-resources.yaml sets no linuxDataplane (the Installation default, iptables): only Calico's
  // eBPF data plane replaces kube-proxy.
  if (net.kubeProxyMode === 'none')
    out.push({
      field: 'networking.kubeProxyMode',
      value: 'none',
      why: 'leaves Services unrouted: Calico is installed as custom-resources.yaml says (iptables data plane), which does not replace kube-proxy',
      accepted: 'iptables, ipvs or nftables, or leave it out',
    });
  const nodes = c.nodes ?? [];
  if (nodes.length > 0 && !nodes.some((n) => (n.role ?? 'control-plane') === 'control-plane'))
    out.push({
      field: 'nodes',
      value: nodes.map((n) => n.role).join(','),
      // kind pkg/internal/apis/config/validate.go: "must have at least one control-plane node".
      why: 'has no control-plane node',
      accepted: 'at least one node with role control-plane',
    });
  c.kubeadmConfigPatches?.forEach((p, i) =>
    out.push(...kubeadmPatchProblems(`kubeadmConfigPatches[${i}]`, p)),
  );
  c.kubeadmConfigPatchesJSON6902?.forEach((p, i) =>
    out.push(...json6902Problems(`kubeadmConfigPatchesJSON6902[${i}]`, p)),
  );
  nodes.forEach((n, i) => out.push(...nodeProblems(n, `nodes[${i}]`)));
  return out;
}

const fieldPath = (path: readonly PropertyKey[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');

const ACCEPTED_SHAPE = `kind's ${API_VERSION} Cluster fields (kind.sigs.k8s.io/docs/user/configuration)`;

/** Parses and checks the text of a kind config; returns the config or every problem, each naming its field. */
export function parseKindConfigText(
  text: string,
): { ok: true; config: UserKindConfig } | { ok: false; problems: FieldProblem[] } {
  let doc: unknown;
  try {
    doc = load(text);
  } catch (e) {
    const why = e instanceof YAMLException ? e.message.split('\n')[0]! : String(e);
    return {
      ok: false,
      problems: [{ field: '(file)', value: '', why: `is not YAML: ${why}`, accepted: ACCEPTED_SHAPE }],
    };
  }
  const obj = (doc && typeof doc === 'object' ? doc : {}) as Record<string, unknown>;
  // kind reads apiVersion and kind first and refuses anything else (encoding/load.go).
  if (obj.apiVersion !== API_VERSION || obj.kind !== 'Cluster') {
    return {
      ok: false,
      problems: [
        {
          field: obj.apiVersion !== API_VERSION ? 'apiVersion' : 'kind',
          value: obj.apiVersion !== API_VERSION ? (obj.apiVersion ?? '(none)') : (obj.kind ?? '(none)'),
          why: 'is not the kind config kind understands',
          accepted: `apiVersion: ${API_VERSION} with kind: Cluster`,
        },
      ],
    };
  }
  const res = UserKindConfigSchema.safeParse(doc);
  if (!res.success) {
    return {
      ok: false,
      problems: res.error.issues.map((i) => {
        const keys = (i as { keys?: string[] }).keys;
        const at = fieldPath(i.path);
        return keys
          ? {
              field: keys.map((k) => (at ? `${at}.${k}` : k)).join(', '),
              value: '',
              why: 'is not a field of a kind config (kind decodes its config strictly)',
              accepted: ACCEPTED_SHAPE,
            }
          : { field: at || '(file)', value: '', why: i.message, accepted: ACCEPTED_SHAPE };
      }),
    };
  }
  const problems = kindConfigProblems(res.data);
  return problems.length ? { ok: false, problems } : { ok: true, config: res.data };
}

function toInputProblem(file: string, p: FieldProblem): InputProblem {
  const value = typeof p.value === 'string' ? p.value : JSON.stringify(p.value);
  return {
    input: 'kind-config',
    value: file,
    why: `sets ${p.field}${value ? ` to ${value}` : ''}: ${p.why}`.replace(/^sets (\S+): is /, '$1 is '),
    accepted: p.accepted,
  };
}

/**
 * Reads the `kind-config` file (relative to cwd) and returns the config with it attached, or throws one
 * InputError listing every problem: before anything is created. Without the input, the config as it is.
 */
export async function withKindConfig(
  config: CellConfig,
  cwd: string,
  naming: InputNaming,
): Promise<CellConfig> {
  const file = config.kindConfigFile;
  if (!file || config.kindConfig) return config;
  const refuse = (why: string, accepted: string) =>
    new InputError([{ input: 'kind-config', value: file, why, accepted }], naming);
  if (config.cluster !== 'kind')
    throw refuse('is set with cluster "existing"', 'a kind config only with cluster kind');
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), 'utf8');
  } catch (e) {
    throw refuse(
      `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      'a path to a kind config YAML file',
    );
  }
  const parsed = parseKindConfigText(text);
  if (!parsed.ok)
    throw new InputError(
      parsed.problems.map((p) => toInputProblem(file, p)),
      naming,
    );
  return { ...config, kindConfig: parsed.config };
}
