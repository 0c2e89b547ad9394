import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALICO_MANIFESTS_URL, lookupNodeImage } from '../../src/catalog/index.js';
import { CellResultSchema } from '../../src/result/schema.js';
import { startGateway } from '../fakes/gateway.js';
import { startDownloadServer } from '../fakes/servers.js';
import { upstreamAvailable } from '../support/upstream.js';
import {
  buildBundles,
  CALICO_PRESENT,
  createdCluster,
  WITHOUT_CALICO,
  indexOf,
  is,
  ROOT,
  startAction,
  waitForCall,
  World,
  type Bundles,
  type Call,
} from './harness.js';

const NODE_IMAGE = (() => {
  const r = lookupNodeImage('1.34');
  if (!r.ok) throw new Error(r.why);
  return r.value.image;
})();

/** No shell anywhere: every recorded call is an argv of plain words. */
function expectArgvOnly(calls: readonly Call[]) {
  for (const c of calls) {
    expect(['kind', 'kubectl', 'istioctl', 'docker']).toContain(c.tool);
    expect(
      c.argv.every((a) => typeof a === 'string' && !/[\s;&|`$]/.test(a)),
      c.argv.join(' '),
    ).toBe(true);
  }
}

describe.runIf(upstreamAvailable())('action bundle against fake cluster tools', () => {
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
    const gw = await startGateway(w.scenarioFile);
    return { w, gw };
  }

  it('happy path: downloads verified tools, runs the guide in order, passes, deletes the cluster', async () => {
    const { w, gw } = await world();
    try {
      const { finished } = startAction(bundles, w, {
        'results-dir': w.resultsDir,
        'ingress-url': gw.url,
        install: WITHOUT_CALICO,
        mirrors: downloads.mirrors.join('\n'),
        'allow-insecure-mirrors': 'true',
      });
      const run = await finished;
      expect(run.exit.stderr).toBe('');
      expect(run.outputs.verdict, run.exit.stdout.slice(-3000)).toBe('pass');
      expect(run.exit.code).toBe(0);
      // The cluster's name for later steps; no kubeconfig: the cluster is gone.
      expect(run.outputs['cluster-name']).toBe(createdCluster(w.transcript()));
      expect(run.outputs.kubeconfig).toBeUndefined();
      expect(run.outputs['results-file']).toBe(join(w.resultsDir, 'results.json'));
      expect(existsSync(run.outputs['junit-file']!)).toBe(true);
      expect(run.outputs.diagnostics).toBeUndefined();
      expect(run.summary).toContain('v3.32.1');
      expect(run.summary).toContain('Suite boutique');

      const result = CellResultSchema.parse(w.results());
      expect(result.verdict).toBe('pass');
      expect(result.checks.map((c) => [c.id, c.status])).toEqual([
        ['namespace-label', 'pass'],
        ['pod-annotations', 'pass'],
        ['injector-templates', 'pass'],
        ['dikastes-containers', 'pass'],
        ['dikastes-policy-sync', 'pass'],
        ['calico-node', 'pass'],
        ['csi-driver', 'pass'],
        ['felix-policy-sync', 'pass'],
        ['gateway-dikastes', 'pass'],
        ['ingress-answers', 'pass'],
      ]);
      expect(result.suite?.status).toBe('pass');
      expect(result.suite?.file).toBe(join(bundles.root, 'e2e-manifests/suites/boutique/suite.yaml'));
      expect(result.tools.map((t) => [t.name, t.version, t.source])).toEqual([
        ['kind', 'v0.32.0', 'download'],
        ['kubectl', 'v1.34.8', 'download'],
        ['istioctl', '1.28.1', 'download'],
      ]);
      expect(result.cleanup?.status).toBe('deleted');
      // The deleted cluster's kubeconfig (with its client key) is not left in the results.
      expect(existsSync(join(w.resultsDir, 'plan/kubeconfig'))).toBe(false);

      const calls = w.transcript();
      expectArgvOnly(calls);
      // Downloaded binaries ran, from the tool cache, not the fakes on PATH.
      for (const c of calls.filter((c) => c.tool !== 'docker'))
        expect(c.bin.startsWith(w.toolCache), c.bin).toBe(true);
      const create = calls.find(is('kind', 'create', 'cluster'))!;
      expect(create.argv).toEqual([
        'create',
        'cluster',
        '--name',
        createdCluster(calls),
        '--image',
        NODE_IMAGE,
        '--config',
        'manifests/kind-config.yaml',
        '--wait',
        '0s',
      ]);
      // kind's kubeconfig goes to a private dir in the runner's temp dir, never into results-dir.
      expect(create.kubeconfig).toMatch(new RegExp(`^${join(w.dir, 'tmp')}/cic-kube-[^/]+/kubeconfig$`));
      expect(createdCluster(calls)).toMatch(/^cic-1-34-8-v3-32-1-1-28-1-[a-f0-9]{6}$/);
      expect(result.run).toMatchObject({ clusterName: createdCluster(calls), ingressUrl: gw.url });
      // The seed guide's order (Calico's part in test/run/robustness.test.ts): cluster, Istio, ALP,
      // namespace, Boutique, rollout, suite, delete.
      const order = [
        indexOf(calls, is('kind', 'create', 'cluster')),
        indexOf(calls, is('istioctl', 'install', '-y', '-f')),
        indexOf(
          calls,
          (c) =>
            is('kubectl', 'apply')(c) && c.argv.includes('downloads/istio-app-layer-policy-envoy-v3.yaml'),
        ),
        indexOf(calls, (c) => is('kubectl', 'apply')(c) && c.argv.includes('manifests/namespace.yaml')),
        indexOf(calls, is('kubectl', 'apply', '-k', 'manifests/boutique')),
        indexOf(calls, is('kubectl', 'wait', '--for=condition=Available', 'deployment', '--all')),
        indexOf(calls, is('kubectl', 'get', 'namespace', 'boutique')),
        indexOf(calls, (c) => is('kubectl', 'apply', '-f')(c) && c.argv[2]!.endsWith('frontend-deny.yaml')),
        indexOf(
          calls,
          (c) => is('kubectl', 'apply', '-f')(c) && c.argv[2]!.endsWith('frontend-allow-homepage.yaml'),
        ),
        indexOf(calls, is('kind', 'delete', 'cluster', '--name', createdCluster(calls))),
      ];
      expect(
        order.every((i) => i >= 0),
        JSON.stringify(order),
      ).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(indexOf(calls, is('kind', 'delete'))).toBe(calls.length - 1);
      // Pinned versions: the calico tag and the Boutique tag in the URLs fetched, the kubectl images loaded.
      const calicoBase = CALICO_MANIFESTS_URL.replace('{version}', 'v3.32.1').replace(
        'https://raw.githubusercontent.com',
        '/raw',
      );
      expect(downloads.requests).toContain(`${calicoBase}/alp/istio-app-layer-policy-envoy-v3.yaml`);
      expect(downloads.requests).toContain(
        '/raw/GoogleCloudPlatform/microservices-demo/v0.10.6/release/kubernetes-manifests.yaml',
      );
      // Preloaded inside the node (crictl), each image on its own; the first lanes start with the cluster.
      const pulled = calls
        .filter((c) => is('docker', 'exec')(c) && c.argv[2] === 'crictl')
        .map((c) => [c.argv[1], c.argv.at(-1)]);
      for (const image of [
        'docker.io/istio/pilot:1.28.1',
        'docker.io/istio/proxyv2:1.28.1',
        'quay.io/calico/dikastes:v3.32.1',
      ])
        expect(pulled).toContainEqual([`${createdCluster(calls)}-control-plane`, image]);
      expect(calls.some(is('kind', 'load'))).toBe(false);
      // Every fetched file is recorded with the sha256 of its bytes.
      expect(result.fetched?.map((f) => f.dest)).toContain('downloads/istio-app-layer-policy-envoy-v3.yaml');
      expect(result.host).toMatchObject({ dockerVersion: '29.1.2', cpus: 4 });
      expect(result.observed?.istiod).toBe('docker.io/istio/pilot:1.28.1');
      expect(result.observed?.images.length).toBeGreaterThan(10);

      // Post: main cleaned up already, so it does nothing.
      const post = await startAction(bundles, w, {}, 'post', run.state).finished;
      expect(post.exit.code).toBe(0);
      expect(post.exit.stdout).toContain('deleted by the main step');
      expect(w.transcript()).toHaveLength(calls.length);
    } finally {
      await gw.close();
    }
  });

  it('a rollout that never completes: bounded error, every check still reported, diagnostics, cluster deleted', async () => {
    const { w, gw } = await world({ rolloutNeverCompletes: true });
    try {
      const suite = await w.fastSuite();
      const { finished } = startAction(bundles, w, {
        'results-dir': w.resultsDir,
        'ingress-url': gw.url,
        suite,
        install: WITHOUT_CALICO,
        mirrors: downloads.mirrors.join('\n'),
        'allow-insecure-mirrors': 'true',
      });
      const run = await finished;
      expect(run.exit.code).toBe(1);
      expect(run.outputs.verdict).toBe('error');
      expect(run.exit.stdout).toContain('::error::error: Setup step rollout failed');
      // the reason names the Deployment that is not available and its waiting containers
      expect(run.outputs.reason).toMatch(
        /Deployment frontend 0\/1 available \(frontend-[^:]+: server waiting \(CrashLoopBackOff\)/,
      );
      expect(run.outputs.reason).toContain('BackOff: Back-off restarting failed container');
      const result = CellResultSchema.parse(w.results());
      const rollout = result.phases.find((p) => p.id === 'rollout')!;
      expect(rollout.status).toBe('failed');
      expect(rollout.error).toContain('timed out waiting for the condition');
      expect(result.checks).toHaveLength(10);
      expect(result.checks.find((c) => c.id === 'dikastes-containers')).toMatchObject({ status: 'fail' });
      expect(result.checks.find((c) => c.id === 'dikastes-containers')!.evidence).toContain(
        'CrashLoopBackOff',
      );
      expect(result.checks.find((c) => c.id === 'namespace-label')!.status).toBe('pass');
      expect(result.checks.find((c) => c.id === 'injector-templates')!.status).toBe('pass');
      expect(result.suite).toBeUndefined();

      const archive = run.outputs.diagnostics!;
      expect(archive).toBe(join(w.resultsDir, 'diagnostics.tar.gz'));
      const listing = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' });
      for (const f of [
        'get-all.txt',
        'events.txt',
        'injector-configmap.yaml',
        'felixconfiguration.yaml',
        'index.json',
      ])
        expect(listing).toContain(`diagnostics/${f}`);
      expect(listing).toMatch(/diagnostics\/describe\/frontend-[^\n]+\.txt/);
      expect(listing).toMatch(/diagnostics\/logs\/frontend-[^\n]+\.dikastes\.log/);
      expect(listing).toMatch(/diagnostics\/logs\/frontend-[^\n]+\.istio-proxy\.log/);
      expect(listing).toMatch(/diagnostics\/envoy-listeners\.frontend-[^\n]+\.json/);
      expect(listing).toContain('diagnostics/kind-logs/');

      const calls = w.transcript();
      expectArgvOnly(calls);
      const exportLogs = indexOf(calls, is('kind', 'export', 'logs'));
      const del = indexOf(calls, is('kind', 'delete', 'cluster'));
      expect(exportLogs).toBeGreaterThan(0);
      expect(del).toBeGreaterThan(exportLogs);
      expect(calls.some(is('istioctl', 'proxy-config', 'listeners'))).toBe(true);
      expect(result.cleanup?.status).toBe('deleted');
      expect(readdirSync(join(w.resultsDir, 'diagnostics')).length).toBeGreaterThan(3);
    } finally {
      await gw.close();
    }
  });

  it('keep-cluster on-failure: a failed check keeps the cluster, and post leaves it too', async () => {
    const { w, gw } = await world({ csiNotRunning: true });
    try {
      const suite = await w.fastSuite();
      const run = await startAction(bundles, w, {
        'results-dir': w.resultsDir,
        'ingress-url': gw.url,
        suite,
        'keep-cluster': 'on-failure',
        install: WITHOUT_CALICO,
        mirrors: downloads.mirrors.join('\n'),
        'allow-insecure-mirrors': 'true',
      }).finished;
      expect(run.outputs.verdict).toBe('fail');
      expect(run.exit.code).toBe(1);
      const result = CellResultSchema.parse(w.results());
      expect(result.reason).toContain('csi-driver');
      expect(result.suite?.status).toBe('pass');
      expect(result.cleanup?.status).toBe('kept');
      expect(existsSync(join(w.resultsDir, 'plan/kubeconfig'))).toBe(false);
      expect(existsSync(run.state.kubeconfig!)).toBe(true);
      // Outputs for later steps: the kept cluster's name and its kubeconfig (path only, never printed).
      expect(run.outputs['cluster-name']).toBe(createdCluster(w.transcript()));
      expect(run.outputs.kubeconfig).toBe(run.state.kubeconfig);
      // Registered as a secret with the runner, never printed.
      const printed = run.exit.stdout.replace(/^::add-mask::.*$/gm, '');
      expect(printed).not.toContain('ZmFrZS1rZXk=');
      // A later step's kubectl reaches the kept cluster with it.
      const nodes = JSON.parse(
        execFileSync('kubectl', ['get', 'nodes', '-o', 'json'], {
          env: w.env({ KUBECONFIG: run.outputs.kubeconfig! }),
          encoding: 'utf8',
        }),
      );
      expect(nodes.items.map((n: any) => n.metadata.name)).toEqual([
        `${run.outputs['cluster-name']}-control-plane`,
      ]);
      expect(w.transcript().some(is('kind', 'delete'))).toBe(false);
      expect(run.state).toMatchObject({
        clusterCreated: 'true',
        keepCluster: 'on-failure',
        verdict: 'fail',
        cleanup: 'kept',
      });

      const post = await startAction(bundles, w, {}, 'post', run.state).finished;
      expect(post.exit.code).toBe(0);
      expect(w.transcript().some(is('kind', 'delete'))).toBe(false);
      expect(Object.keys(w.state().clusters as object)).toEqual([createdCluster(w.transcript())]);
      // The job ends: the kept cluster's kubeconfig does not outlive it.
      expect(existsSync(run.state.kubeconfig!)).toBe(false);
    } finally {
      await gw.close();
    }
  });

  it('post deletes the cluster when main was killed mid-run (keep-cluster never)', async () => {
    const { w, gw } = await world({ hangOn: 'istioctl install' });
    try {
      const { running, finished } = startAction(bundles, w, {
        'results-dir': w.resultsDir,
        'ingress-url': gw.url,
        install: WITHOUT_CALICO,
        mirrors: downloads.mirrors.join('\n'),
        'allow-insecure-mirrors': 'true',
      });
      await waitForCall(w, is('istioctl', 'install'));
      running.child.kill('SIGKILL');
      const main = await finished;
      expect(main.exit.signal).toBe('SIGKILL');
      const name = createdCluster(w.transcript());
      expect(main.state).toMatchObject({ clusterCreated: 'true', clusterName: name });
      expect(main.state.cleanup).toBeUndefined();

      const post = await startAction(bundles, w, {}, 'post', main.state).finished;
      expect(post.exit.code).toBe(0);
      expect(post.exit.stdout).toContain(`kind cluster ${name} deleted`);
      const del = w.transcript().filter(is('kind', 'delete', 'cluster', '--name', name));
      expect(del).toHaveLength(1);
      expect(del[0]!.bin.startsWith(w.toolCache)).toBe(true);
      expect(w.state().clusters).toEqual({});
    } finally {
      await gw.close();
    }
  });

  it('mode plan: renders the plan and outputs, runs nothing', async () => {
    const { w, gw } = await world();
    try {
      const run = await startAction(bundles, w, { mode: 'plan', 'results-dir': w.resultsDir }).finished;
      expect(run.exit.code).toBe(0);
      expect(run.outputs['plan-dir']).toBe(join(w.resultsDir, 'plan'));
      expect(run.outputs['cell-id']).toBe('k8s-1.34.8_calico-v3.32.1_istio-1.28.1');
      expect(run.outputs.verdict).toBeUndefined();
      expect(existsSync(join(w.resultsDir, 'plan/runbook.sh'))).toBe(true);
      expect(w.transcript()).toEqual([]);
    } finally {
      await gw.close();
    }
  });

  it('mode report: matrix, badge and outputs from results files; post has nothing to clean', async () => {
    const { w, gw } = await world();
    try {
      const reportDir = join(w.dir, 'report');
      const run = await startAction(bundles, w, {
        mode: 'report',
        // a directory, searched recursively, and a glob
        results: [
          join(ROOT, 'test/fixtures/results/pass'),
          join(ROOT, 'test/fixtures/results/{fail,known-defect}/results.json'),
        ].join('\n'),
        'report-dir': reportDir,
        // cell inputs are not read in report mode: a bad one must not matter
        'kubernetes-version': 'not-a-version',
      }).finished;
      expect(run.exit.code, run.exit.stderr).toBe(0);
      expect(run.outputs['matrix-file']).toBe(join(reportDir, 'matrix.json'));
      expect(run.outputs['badge-file']).toBe(join(reportDir, 'badge.json'));
      expect(run.outputs['badge-message']).toMatch(/^\d+\/\d+ passing/);
      for (const f of ['matrix.md', 'matrix.json', 'matrix.html', 'badge.svg', 'badge.json', 'junit.xml']) {
        expect(existsSync(join(reportDir, f)), f).toBe(true);
      }
      expect(run.summary).toContain('k8s-1.34.8');
      const post = await startAction(bundles, w, {}, 'post', run.state).finished;
      expect(post.exit.code).toBe(0);
      expect(w.transcript()).toEqual([]);
    } finally {
      await gw.close();
    }
  });

  it('a cell skipped by on-unsupported: verdict unsupported, nothing run, success', async () => {
    const { w, gw } = await world();
    try {
      const run = await startAction(bundles, w, {
        'results-dir': w.resultsDir,
        'calico-version': 'v3.31.7',
        'on-unsupported': 'skip',
        mirrors: downloads.mirrors.join('\n'),
        'allow-insecure-mirrors': 'true',
      }).finished;
      expect(run.exit.code).toBe(0);
      expect(run.outputs.verdict).toBe('unsupported');
      expect(w.transcript()).toEqual([]);
      const result = CellResultSchema.parse(w.results());
      expect(result.knownDefect).toMatchObject({ id: 'calico-11857', symptomObserved: false });
    } finally {
      await gw.close();
    }
  });
});

export type { Call };
