import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellResultSchema } from '../../src/result/schema.js';
import { startGateway } from '../fakes/gateway.js';
import { startDownloadServer } from '../fakes/servers.js';
import { upstreamAvailable } from '../support/upstream.js';
import {
  buildBundles,
  CALICO_PRESENT,
  createdCluster,
  is,
  start,
  startAction,
  WITHOUT_CALICO,
  World,
  type Bundles,
} from './harness.js';

/** A user's kind config: a worker beside the control plane, a mount, a registry patch, a feature gate. */
const TWO_NODES = `apiVersion: kind.x-k8s.io/v1alpha4
kind: Cluster
featureGates:
  InPlacePodVerticalScaling: true
containerdConfigPatches:
- |-
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
nodes:
- role: control-plane
  labels:
    team: blue
- role: worker
  extraMounts:
  - hostPath: /tmp
    containerPath: /data
`;

describe.runIf(upstreamAvailable())('cluster outputs, the user’s kind config, several nodes', () => {
  let bundles: Bundles;
  let downloads: Awaited<ReturnType<typeof startDownloadServer>>;
  const worlds: World[] = [];

  beforeAll(async () => {
    bundles = await buildBundles();
    const dir = await World.create();
    worlds.push(dir);
    downloads = await startDownloadServer({ workDir: dir.dir });
  });
  afterAll(async () => {
    await downloads?.close();
    for (const w of worlds) await w.remove();
    if (bundles) await rm(bundles.root, { recursive: true, force: true });
  });

  async function world(scenario: Record<string, unknown> = {}) {
    const w = await World.create({ ...CALICO_PRESENT, ...scenario });
    worlds.push(w);
    return w;
  }

  async function kindConfig(w: World, text = TWO_NODES): Promise<string> {
    const file = join(w.dir, 'kind.yaml');
    await writeFile(file, text);
    return file;
  }

  const actionInputs = (w: World, gw: string, suite: string, extra: Record<string, string>) => ({
    'results-dir': w.resultsDir,
    'ingress-url': gw,
    suite,
    install: WITHOUT_CALICO,
    mirrors: downloads.mirrors.join('\n'),
    'allow-insecure-mirrors': 'true',
    ...extra,
  });

  it('two nodes kept for later steps: the checks cover both, outputs name the cluster and a usable kubeconfig', async () => {
    const w = await world();
    const gw = await startGateway(w.scenarioFile);
    try {
      const run = await startAction(
        bundles,
        w,
        actionInputs(w, gw.url, await w.fastSuite(), {
          'kind-config': await kindConfig(w),
          'keep-cluster': 'always',
        }),
      ).finished;
      expect(run.outputs.verdict, run.exit.stdout.slice(-3000)).toBe('pass');
      const name = createdCluster(w.transcript());
      const nodes = [`${name}-control-plane`, `${name}-worker`];

      // kind got the merged config: the user's worker, mount, gate and patch, and what the cell needs.
      const create = w.transcript().find(is('kind', 'create', 'cluster'))!;
      const config = load(
        readFileSync(join(w.resultsDir, 'plan', create.argv[create.argv.indexOf('--config') + 1]!), 'utf8'),
      ) as any;
      expect(config.nodes.map((n: any) => n.role)).toEqual(['control-plane', 'worker']);
      expect(config.nodes[1].extraMounts).toEqual([{ hostPath: '/tmp', containerPath: '/data' }]);
      expect(config.nodes[0].labels.team).toBe('blue');
      expect(config.featureGates).toEqual({ InPlacePodVerticalScaling: true });
      expect(config.networking).toMatchObject({ disableDefaultCNI: true, podSubnet: '192.168.0.0/16' });
      expect(config.containerdConfigPatches[0]).toContain('config_path');

      // Images were pulled inside both node containers.
      const pulledOn = new Set(
        w
          .transcript()
          .filter(is('docker', 'exec'))
          .map((c) => c.argv[1]),
      );
      expect([...pulledOn].sort()).toEqual(nodes);

      const result = CellResultSchema.parse(w.results());
      const check = (id: string) => result.checks.find((c) => c.id === id)!;
      expect(check('calico-node')).toMatchObject({ status: 'pass' });
      expect(check('calico-node').evidence).toBe(`2/2 nodes: calico-node Ready (${nodes.join(', ')})`);
      expect(check('csi-driver').evidence).toBe(`2/2 nodes: csi-node-driver Running (${nodes.join(', ')})`);

      // Outputs: the name, and the kept cluster's kubeconfig, which a later step's kubectl can use.
      expect(run.outputs['cluster-name']).toBe(name);
      const kubeconfig = run.outputs.kubeconfig!;
      expect(kubeconfig.startsWith(join(w.dir, 'tmp'))).toBe(true);
      expect(kubeconfig.startsWith(w.resultsDir)).toBe(false);
      const got = JSON.parse(
        execFileSync('kubectl', ['get', 'nodes', '-o', 'json'], {
          env: w.env({ KUBECONFIG: kubeconfig }),
          encoding: 'utf8',
        }),
      );
      expect(got.items.map((n: any) => n.metadata.name)).toEqual(nodes);
      // Registered as a secret with the runner, never printed.
      const printed = run.exit.stdout.replace(/^::add-mask::.*$/gm, '');
      expect(printed).not.toContain('ZmFrZS1rZXk=');

      // The job ends: post keeps the cluster (keep-cluster always) but removes its kubeconfig.
      const post = await startAction(bundles, w, {}, 'post', run.state).finished;
      expect(post.exit.code).toBe(0);
      expect(existsSync(kubeconfig)).toBe(false);
      expect(Object.keys(w.state().clusters as object)).toEqual([name]);
    } finally {
      await gw.close();
    }
  });

  it('a check failing on the worker only fails the cell and names the worker', async () => {
    const w = await world({ nodeFaults: { worker: { csi: 'missing', calicoNode: 'notReady' } } });
    const gw = await startGateway(w.scenarioFile);
    try {
      const run = await startAction(
        bundles,
        w,
        actionInputs(w, gw.url, await w.fastSuite(), { 'kind-config': await kindConfig(w) }),
      ).finished;
      expect(run.outputs.verdict).toBe('fail');
      const name = createdCluster(w.transcript());
      const result = CellResultSchema.parse(w.results());
      const check = (id: string) => result.checks.find((c) => c.id === id)!;
      expect(check('csi-driver').status).toBe('fail');
      expect(check('csi-driver').evidence).toContain(`node ${name}-worker: no csi-node-driver pod`);
      expect(check('calico-node').status).toBe('fail');
      expect(check('calico-node').evidence).toMatch(
        new RegExp(`^1/2 nodes not right: node ${name}-worker: calico-node-\\S+ not ready`),
      );
      expect(check('calico-node').evidence).not.toContain(`${name}-control-plane:`);
      expect(result.reason).toContain('calico-node');
      // keep-cluster never: gone, and no kubeconfig output for a cluster that no longer exists.
      expect(result.cleanup?.status).toBe('deleted');
      expect(run.outputs.kubeconfig).toBeUndefined();
    } finally {
      await gw.close();
    }
  });

  it('plan --kind-config: the rendered kind config holds the user’s additions and the cell’s needs', async () => {
    const w = await world();
    const out = join(w.dir, 'plan');
    const exit = await start(
      bundles.cli,
      ['plan', '--out', out, '--kind-config', await kindConfig(w)],
      w.env(),
      w.dir,
    ).done;
    expect(exit.code, exit.stderr).toBe(0);
    const k = load(readFileSync(join(out, 'manifests/kind-config.yaml'), 'utf8')) as any;
    expect(k.nodes).toHaveLength(2);
    expect(k.nodes[1]).toMatchObject({
      role: 'worker',
      extraMounts: [{ hostPath: '/tmp', containerPath: '/data' }],
      labels: { 'conformance.calico-istio/cell': 'k8s-1.34.8_calico-v3.32.1_istio-1.28.1' },
    });
    expect(k.nodes[0].extraPortMappings).toEqual([
      { containerPort: 30080, hostPort: 30080, listenAddress: '127.0.0.1', protocol: 'TCP' },
    ]);
    expect(k.kubeadmConfigPatches[0]).toContain('serializeImagePulls: false');
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'));
    expect(plan.facts.nodes).toEqual([
      `${plan.cell.clusterName}-control-plane`,
      `${plan.cell.clusterName}-worker`,
    ]);
    expect(exit.stdout).toContain(
      `merged into manifests/kind-config.yaml: ${plan.cell.clusterName}-control-plane, ${plan.cell.clusterName}-worker`,
    );
    expect(w.transcript()).toEqual([]);
  });

  it.each([
    ['default CNI', 'networking:\n  disableDefaultCNI: false\n', 'networking.disableDefaultCNI'],
    [
      'another pod subnet',
      'networking:\n  podSubnet: 10.244.0.0/16\n',
      'networking.podSubnet to 10.244.0.0/16',
    ],
    [
      'the ingress port mapping',
      'nodes:\n- role: control-plane\n  extraPortMappings:\n  - containerPort: 30080\n    hostPort: 8080\n',
      'nodes[0].extraPortMappings[0].containerPort to 30080',
    ],
  ])('refused (%s): CLI exit 2 naming the field, before any side effect', async (_what, body, field) => {
    const w = await world();
    const file = await kindConfig(w, `apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\n${body}`);
    const exit = await start(
      bundles.cli,
      [
        'run',
        '--results-dir',
        w.resultsDir,
        '--kind-config',
        file,
        ...downloads.mirrors.flatMap((m) => ['--mirror', m]),
        '--allow-insecure-mirrors',
        'true',
      ],
      w.env(),
      w.dir,
    ).done;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(new RegExp(`^Invalid --kind-config: "${file}" `));
    expect(exit.stderr).toContain(field);
    expect(exit.stderr).toContain('Accepted:');
    expect(w.transcript()).toEqual([]);
    expect(existsSync(join(w.resultsDir, 'plan'))).toBe(false);
    expect(existsSync(join(w.resultsDir, 'results.json'))).toBe(false);
  });

  it('refused in the action too: the step fails with the message, nothing runs', async () => {
    const w = await world();
    const file = await kindConfig(w, 'apiVersion: kind.x-k8s.io/v1alpha3\nkind: Cluster\n');
    const run = await startAction(bundles, w, {
      'results-dir': w.resultsDir,
      'kind-config': file,
      mirrors: downloads.mirrors.join('\n'),
      'allow-insecure-mirrors': 'true',
    }).finished;
    expect(run.exit.code).toBe(1);
    expect(run.exit.stdout).toContain(
      `::error::Invalid input "kind-config": "${file}" sets apiVersion to kind.x-k8s.io/v1alpha3`,
    );
    expect(run.outputs['cluster-name']).toBeUndefined();
    expect(w.transcript()).toEqual([]);
  });
});
