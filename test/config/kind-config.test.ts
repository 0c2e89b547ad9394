import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, parseCellConfig } from '../../src/config/cell-config.js';
import { actionNaming, cliNaming } from '../../src/config/inputs.js';
import { parseKindConfigText, withKindConfig } from '../../src/config/kind-config.js';
import { buildPlan } from '../../src/plan/build.js';
import { kindNodeNames } from '../../src/render/kind-config.js';
import { resolveCell } from '../../src/resolve/cell.js';

const HEAD = 'apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\n';

/** Every refusal: the file's text, the field named, and words of the reason and of what is accepted. */
const REFUSED: [string, string, string, RegExp, RegExp][] = [
  [
    'default CNI',
    `${HEAD}networking:\n  disableDefaultCNI: false\n`,
    'networking.disableDefaultCNI',
    /kindnet/,
    /true, or leave it out/,
  ],
  [
    'another pod subnet',
    `${HEAD}networking:\n  podSubnet: 10.244.0.0/16\n`,
    'networking.podSubnet to 10.244.0.0/16',
    /custom-resources\.yaml.*192\.168\.0\.0\/16/,
    /192\.168\.0\.0\/16, or leave it out/,
  ],
  ['IPv6', `${HEAD}networking:\n  ipFamily: dual\n`, 'networking.ipFamily to dual', /IPv4 pool only/, /ipv4/],
  [
    'a service subnet inside the pod subnet',
    `${HEAD}networking:\n  serviceSubnet: 192.168.128.0/20\n`,
    'networking.serviceSubnet',
    /overlaps the pod subnet/,
    /outside 192\.168\.0\.0\/16/,
  ],
  [
    'no kube-proxy',
    `${HEAD}networking:\n  kubeProxyMode: none\n`,
    'networking.kubeProxyMode',
    /does not replace kube-proxy/,
    /iptables, ipvs or nftables/,
  ],
  [
    'the ingress NodePort mapped by the user',
    `${HEAD}nodes:\n- role: control-plane\n  extraPortMappings:\n  - containerPort: 30080\n    hostPort: 8080\n`,
    'nodes[0].extraPortMappings[0].containerPort',
    /ingress gateway's NodePort/,
    /any container port but 30080/,
  ],
  [
    'the plan’s ingress host port',
    `${HEAD}nodes:\n- role: control-plane\n- role: worker\n  extraPortMappings:\n  - containerPort: 31000\n    hostPort: 30080\n`,
    'nodes[1].extraPortMappings[0].hostPort',
    /host port a plan maps the ingress gateway to/,
    /any host port but 30080/,
  ],
  [
    'another apiVersion',
    'apiVersion: kind.x-k8s.io/v1alpha3\nkind: Cluster\n',
    'apiVersion to kind.x-k8s.io/v1alpha3',
    /not the kind config/,
    /apiVersion: kind\.x-k8s\.io\/v1alpha4 with kind: Cluster/,
  ],
  [
    'another kind',
    'apiVersion: kind.x-k8s.io/v1alpha4\nkind: Config\n',
    'kind to Config',
    /not the kind config/,
    /kind: Cluster/,
  ],
  [
    'a kubeadm patch moving the pod subnet',
    `${HEAD}kubeadmConfigPatches:\n- |\n  kind: ClusterConfiguration\n  networking:\n    podSubnet: 10.10.0.0/16\n`,
    'kubeadmConfigPatches[0] (ClusterConfiguration networking.podSubnet)',
    /custom-resources\.yaml/,
    /no podSubnet in the patch/,
  ],
  [
    'a node kubelet patch serialising pulls',
    `${HEAD}nodes:\n- role: control-plane\n  kubeadmConfigPatches:\n  - |\n    kind: KubeletConfiguration\n    serializeImagePulls: true\n`,
    'nodes[0].kubeadmConfigPatches[0] (KubeletConfiguration serializeImagePulls)',
    /harness's own KubeletConfiguration patch/,
    /without serializeImagePulls and maxParallelImagePulls/,
  ],
  [
    'a JSON 6902 patch on the pod subnet',
    `${HEAD}kubeadmConfigPatchesJSON6902:\n- group: kubeadm.k8s.io\n  version: v1beta4\n  kind: ClusterConfiguration\n  patch: |\n    - op: replace\n      path: /networking/podSubnet\n      value: 10.0.0.0/8\n`,
    'kubeadmConfigPatchesJSON6902[0] (ClusterConfiguration /networking/podSubnet)',
    /custom-resources\.yaml/,
    /leaves networking\.podSubnet alone/,
  ],
  [
    'a node image',
    `${HEAD}nodes:\n- role: control-plane\n  image: kindest/node:v1.30.0\n`,
    'nodes[0].image',
    /--image, which overrides every node's image/,
    /node-image input/,
  ],
  ['a cluster name', `${HEAD}name: mine\n`, 'name to mine', /--name, which overrides/, /cluster-name/],
  [
    'the cell label',
    `${HEAD}nodes:\n- role: control-plane\n  labels:\n    conformance.calico-istio/cell: x\n`,
    'nodes[0].labels.conformance.calico-istio/cell',
    /to name the cell/,
    /any other label/,
  ],
  [
    'workers only',
    `${HEAD}nodes:\n- role: worker\n`,
    'nodes',
    /no control-plane node/,
    /at least one node with role control-plane/,
  ],
  [
    'an unknown field (kind decodes strictly)',
    `${HEAD}nodes:\n- role: control-plane\n  extraMount: []\n`,
    'nodes[0].extraMount',
    /not a field of a kind config/,
    /v1alpha4 Cluster fields/,
  ],
  [
    'a wrong type',
    `${HEAD}nodes:\n- role: control-plane\n  extraPortMappings:\n  - containerPort: "80"\n`,
    'nodes[0].extraPortMappings[0].containerPort',
    /expected number/,
    /v1alpha4 Cluster fields/,
  ],
  ['not YAML', `${HEAD}nodes: [\n`, '(file)', /is not YAML/, /v1alpha4 Cluster fields/],
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cic-kindcfg-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load_(text: string, naming = cliNaming) {
  const file = join(dir, `k${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, text);
  return withKindConfig(parseCellConfig({ 'kind-config': file }, naming), dir, naming);
}

describe('kind-config: refused before anything is created, naming the field', () => {
  it.each(REFUSED)('%s', async (_what, text, field, why, accepted) => {
    const err = await load_(text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as InputError).message;
    expect(msg).toMatch(/^Invalid --kind-config: ".*\.yaml" /);
    expect(msg).toContain(field);
    expect(msg).toMatch(why);
    expect(msg.split('Accepted:')[1]).toMatch(accepted);
  });

  it('lists every problem of a file at once, and the action names its input', async () => {
    const err = (await load_(
      `${HEAD}networking:\n  disableDefaultCNI: false\n  podSubnet: 10.244.0.0/16\n`,
      actionNaming,
    ).catch((e: unknown) => e)) as InputError;
    expect(err.problems.map((p) => p.input)).toEqual(['kind-config', 'kind-config']);
    expect(err.message).toMatch(/^Invalid input "kind-config"/);
    expect(err.message.split('\n')).toHaveLength(2);
  });

  it('a missing file, or a kind config with cluster existing', async () => {
    await expect(
      withKindConfig(parseCellConfig({ 'kind-config': 'nope.yaml' }, cliNaming), dir, cliNaming),
    ).rejects.toThrow(/--kind-config: "nope.yaml" cannot be read \(ENOENT\)/);
    const existing = parseCellConfig(
      { 'kind-config': 'k.yaml', cluster: 'existing', 'ingress-url': 'http://127.0.0.1:1' },
      cliNaming,
    );
    await expect(withKindConfig(existing, dir, cliNaming)).rejects.toThrow(/with cluster "existing"/);
  });

  it('accepts what the harness needs anyway (true CNI off, the same pod subnet)', () => {
    const r = parseKindConfigText(
      `${HEAD}networking:\n  disableDefaultCNI: true\n  podSubnet: 192.168.0.0/16\n  kubeProxyMode: ipvs\n`,
    );
    expect(r.ok).toBe(true);
  });

  it('building a plan from a config whose file was never read is a bug, not a silent default', () => {
    const config = parseCellConfig({ 'kind-config': 'k.yaml' }, cliNaming);
    expect(() => buildPlan(resolveCell(config))).toThrow(/not loaded before planning/);
  });
});

const USER = `${HEAD}featureGates:
  InPlacePodVerticalScaling: true
runtimeConfig:
  api/alpha: "false"
containerdConfigPatches:
- |-
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
kubeadmConfigPatches:
- |
  kind: ClusterConfiguration
  apiServer:
    extraArgs:
      v: "2"
networking:
  kubeProxyMode: ipvs
nodes:
- role: control-plane
  labels:
    team: blue
  extraMounts:
  - hostPath: /tmp/certs
    containerPath: /etc/containerd/certs.d
- role: worker
  extraPortMappings:
  - containerPort: 31000
    hostPort: 31000
- role: worker
`;

describe('kind-config: merged with what the cell needs', () => {
  it('keeps the user’s nodes, mounts, gates and patches; adds the CNI, pod subnet, labels and the mapping', async () => {
    const config = await load_(USER);
    const { plan, files } = buildPlan(resolveCell(config), { runId: 'abc123', hostPort: 41000 });
    const k = load(files.get('manifests/kind-config.yaml')!) as any;
    expect(k.featureGates).toEqual({ InPlacePodVerticalScaling: true });
    expect(k.runtimeConfig).toEqual({ 'api/alpha': 'false' });
    expect(k.networking).toEqual({
      kubeProxyMode: 'ipvs',
      disableDefaultCNI: true,
      podSubnet: '192.168.0.0/16',
    });
    expect(k.containerdConfigPatches).toHaveLength(1);
    expect(k.containerdConfigPatches[0]).toContain('config_path = "/etc/containerd/certs.d"');
    // The harness's kubelet patch first, then the user's.
    expect(k.kubeadmConfigPatches).toHaveLength(2);
    expect(k.kubeadmConfigPatches[0]).toContain('maxParallelImagePulls: 4');
    expect(k.kubeadmConfigPatches[1]).toContain('kind: ClusterConfiguration');
    const cell = 'k8s-1.34.8_calico-v3.32.1_istio-1.28.1';
    expect(k.nodes).toEqual([
      {
        role: 'control-plane',
        labels: { team: 'blue', 'conformance.calico-istio/cell': cell },
        extraMounts: [{ hostPath: '/tmp/certs', containerPath: '/etc/containerd/certs.d' }],
        extraPortMappings: [
          { containerPort: 30080, hostPort: 41000, listenAddress: '127.0.0.1', protocol: 'TCP' },
        ],
      },
      {
        role: 'worker',
        labels: { 'conformance.calico-istio/cell': cell },
        extraPortMappings: [{ containerPort: 31000, hostPort: 31000 }],
      },
      { role: 'worker', labels: { 'conformance.calico-istio/cell': cell } },
    ]);
    const name = 'cic-1-34-8-v3-32-1-1-28-1-abc123';
    expect(plan.facts.nodes).toEqual([`${name}-control-plane`, `${name}-worker`, `${name}-worker2`]);
    // Every node pulls every image.
    const pulls = plan.steps.filter((s) => s.id.startsWith('preload-'));
    const perNode = (n: string) => pulls.filter((s) => (s.commands[0] as any).exec[2] === n).length;
    expect(perNode(`${name}-worker2`)).toBeGreaterThan(0);
    expect(perNode(`${name}-control-plane`)).toBe(perNode(`${name}-worker2`));
    expect(pulls).toHaveLength(3 * perNode(`${name}-worker`));
    expect(pulls[0]!.title).toContain(`inside node ${name}-control-plane`);
  });

  it('more control-plane nodes count in the capacity the preflight compares', async () => {
    const one = buildPlan(resolveCell(parseCellConfig({}, cliNaming))).plan.facts.capacity;
    const config = await load_(
      `${HEAD}nodes:\n- role: control-plane\n- role: control-plane\n- role: worker\n`,
    );
    const three = buildPlan(resolveCell(config)).plan.facts.capacity;
    expect(three.cpuMillis).toBe(one.cpuMillis + 650);
    expect(three.parts[0]!.what).toBe('kind control plane (3 nodes, one Docker host)');
  });

  it('names nodes as kind does: per role, the second gets 2 (namer.go)', () => {
    expect(
      kindNodeNames('c', [{ role: 'control-plane' }, { role: 'worker' }, { role: 'control-plane' }, {}]),
    ).toEqual(['c-control-plane', 'c-worker', 'c-control-plane2', 'c-control-plane3']);
  });
});
