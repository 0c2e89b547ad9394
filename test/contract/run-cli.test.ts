import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellResultSchema } from '../../src/result/schema.js';
import { startGateway } from '../fakes/gateway.js';
import { startDownloadServer } from '../fakes/servers.js';
import { upstreamAvailable } from '../support/upstream.js';
import {
  buildBundles,
  CALICO_PRESENT,
  createdCluster,
  indexOf,
  is,
  start,
  waitForCall,
  WITHOUT_CALICO,
  World,
  type Bundles,
} from './harness.js';

describe.runIf(upstreamAvailable())('CLI bundle `run` against fake cluster tools', () => {
  let bundles: Bundles;
  let downloads: Awaited<ReturnType<typeof startDownloadServer>>;
  let badKind: Awaited<ReturnType<typeof startDownloadServer>>;
  const worlds: World[] = [];

  beforeAll(async () => {
    bundles = await buildBundles();
    const a = await World.create();
    const b = await World.create();
    worlds.push(a, b);
    downloads = await startDownloadServer({ workDir: a.dir });
    badKind = await startDownloadServer({ workDir: b.dir, badChecksum: 'kind' });
  });
  afterAll(async () => {
    await downloads?.close();
    await badKind?.close();
    for (const w of worlds) await w.remove();
    if (bundles) await rm(bundles.root, { recursive: true, force: true });
  });

  async function world(scenario: Record<string, unknown> = {}) {
    const w = await World.create({ ...CALICO_PRESENT, ...scenario });
    worlds.push(w);
    return w;
  }

  // The local download servers are plain http.
  const mirrorFlags = (m: readonly string[]) => [
    ...m.flatMap((x) => ['--mirror', x]),
    '--allow-insecure-mirrors',
    'true',
  ];

  it('kind create fails once, is cleaned and retried, then the cell passes (tools from PATH)', async () => {
    const w = await world({ kindCreateFailures: 1 });
    const gw = await startGateway(w.scenarioFile);
    try {
      const suite = await w.fastSuite();
      const exit = await start(
        bundles.cli,
        [
          'run',
          '--results-dir',
          w.resultsDir,
          '--ingress-url',
          gw.url,
          '--suite',
          suite,
          '--tools-from-path',
          'true',
          '--install',
          WITHOUT_CALICO,
          ...mirrorFlags(downloads.mirrors),
        ],
        w.env(),
        w.dir,
      ).done;
      expect(exit.code, exit.stderr.slice(-2000)).toBe(0);
      expect(exit.stdout).toContain('PASS k8s-1.34.8_calico-v3.32.1_istio-1.28.1');
      const calls = w.transcript();
      // The installer asked each tool on PATH for its version before its first use (the three run at once).
      const probes = [
        is('kind', 'version'),
        is('kubectl', 'version', '--client', '-o', 'json'),
        is('istioctl', 'version', '--remote=false', '-o', 'json'),
      ];
      for (const [tool, probe] of [
        ['kind', probes[0]!],
        ['kubectl', probes[1]!],
        ['istioctl', probes[2]!],
      ] as const) {
        const at = indexOf(calls, probe);
        expect(at, `${tool} version probe`).toBeGreaterThanOrEqual(0);
        expect(calls.findIndex((c) => c.tool === tool && !probe(c))).toBeGreaterThan(at);
      }
      const kindCalls = calls.filter((c) => c.tool === 'kind').map((c) => c.argv.slice(0, 2).join(' '));
      expect(kindCalls.slice(1, 4)).toEqual(['create cluster', 'delete cluster', 'create cluster']);
      expect(kindCalls.at(-1)).toBe('delete cluster');
      const result = CellResultSchema.parse(w.results());
      expect(result.tools.map((t) => t.source)).toEqual(['path', 'path', 'path']);
      expect(result.phases.find((p) => p.id === 'cluster-create')).toMatchObject({ status: 'passed' });
      // One failed create, one retry: 2 attempts, though the step ran more commands (the delete before it).
      expect(result.phases.find((p) => p.id === 'cluster-create')!.attempts).toBe(2);
      // Honest labels: a binary from PATH was version-checked, never checksum-verified.
      const toolPhases = result.phases.filter((p) => p.phase === 'tools');
      expect(toolPhases.map((p) => p.title)).toEqual([
        'Install kind v0.32.0 (from PATH, version-checked)',
        'Install kubectl v1.34.8 (from PATH, version-checked)',
        'Install istioctl 1.28.1 (from PATH, version-checked)',
      ]);
      expect(JSON.stringify(result)).not.toContain('sha256-verified');
      expect(exit.stderr).toContain('from PATH: version-checked, not checksum-verified');
      // Every other step ran each command once: one attempt, whatever the number of commands.
      for (const p of result.phases.filter((x) => x.phase !== 'tools' && x.id !== 'cluster-create'))
        expect(p.attempts, p.id).toBeLessThanOrEqual(1);
      expect(result.cleanup?.status).toBe('deleted');
    } finally {
      await gw.close();
    }
  });

  it('a checksum mismatch aborts the cell: nothing downloaded is executed or cached', async () => {
    const w = await world();
    const exit = await start(
      bundles.cli,
      [
        'run',
        '--results-dir',
        w.resultsDir,
        '--ingress-url',
        'http://127.0.0.1:9',
        ...mirrorFlags(badKind.mirrors),
      ],
      w.env(),
      w.dir,
    ).done;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('checksum mismatch');
    // Only the preflight asked Docker whether it answers.
    expect(w.transcript().map((c) => [c.tool, c.argv[0]])).toEqual([['docker', 'info']]);
    const result = CellResultSchema.parse(w.results());
    expect(result.verdict).toBe('error');
    expect(result.reason).toMatch(/tool-kind failed: .*checksum mismatch/);
    expect(result.phases.find((p) => p.id === 'cluster-create')?.status).toBe('failed');
    expect(result.checks.every((c) => c.status === 'skip')).toBe(true);
    expect(result.cleanup?.status).toBe('not-created');
    expect(existsSync(join(w.dir, 'xdg-cache/calico-istio-conformance/kind'))).toBe(false);
  });

  it('SIGTERM mid-run cancels the steps, still deletes the cluster and writes the result', async () => {
    const w = await world({ hangOn: 'istioctl install' });
    const running = start(
      bundles.cli,
      [
        'run',
        '--results-dir',
        w.resultsDir,
        '--ingress-url',
        'http://127.0.0.1:9',
        '--install',
        WITHOUT_CALICO,
        ...mirrorFlags(downloads.mirrors),
      ],
      w.env(),
      w.dir,
    );
    await waitForCall(w, is('istioctl', 'install'));
    running.child.kill('SIGTERM');
    const exit = await running.done;
    expect(exit.code).toBe(1);
    expect(exit.ms).toBeLessThan(20_000);
    expect(exit.stderr).toContain('SIGTERM: cancelling; cleanup still runs');
    const calls = w.transcript();
    expect(createdCluster(calls)).toMatch(/^cic-1-34-8-v3-32-1-1-28-1-[a-f0-9]{6}$/);
    expect(indexOf(calls, is('kind', 'delete', 'cluster', '--name', createdCluster(calls)))).toBe(
      calls.length - 1,
    );
    const result = CellResultSchema.parse(w.results());
    expect(result.verdict).toBe('error');
    // preloads may still be running beside it: all are named
    expect(result.reason).toMatch(/^Cancelled during (preload-\d+, )*istio-install[;,]/);
    expect(result.phases.find((p) => p.id === 'istio-install')?.status).toBe('cancelled');
    expect(result.phases.find((p) => p.id === 'rollout')?.status).toBe('cancelled');
    expect(result.cleanup?.status).toBe('deleted');
    expect(w.state().clusters).toEqual({});
  });

  it('cluster existing: runs a suite against the current context, creates and deletes nothing', async () => {
    const w = await world({
      existingCluster: true,
      initialState: {
        clusters: {},
        objects: {},
        felix: { policySyncPathPrefix: '/var/run/nodeagent' },
        istio: { version: '1.28.1', templates: ['dikastes', 'dikastes-gateway'] },
        namespaceLabels: { boutique: { 'istio-injection': 'enabled' } },
        boutique: true,
        canary: false,
        policies: {},
        // The user deployed the workload with the harness's own routes (one connection per request).
        routes: { maxRequestsPerConnection: 1, connectTimeout: '2s', retries: 2 },
      },
    });
    const gw = await startGateway(w.scenarioFile);
    try {
      const suite = await w.fastSuite();
      const kubeconfig = join(w.dir, 'user-kubeconfig');
      await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\ncurrent-context: mine\n');
      const exit = await start(
        bundles.cli,
        [
          'run',
          '--cluster',
          'existing',
          '--ingress-url',
          gw.url,
          '--suite',
          suite,
          '--results-dir',
          w.resultsDir,
          '--tools-from-path',
          'true',
        ],
        w.env({ KUBECONFIG: kubeconfig, XDG_CACHE_HOME: join(w.dir, 'cache') }),
        w.dir,
      );
      const done = await exit.done;
      expect(done.code, done.stderr.slice(-2000)).toBe(0);
      const calls = w.transcript();
      expect(calls.filter((c) => c.tool !== 'kubectl')).toEqual([]);
      const verbs = new Set(calls.map((c) => c.argv[0]));
      // exec: Envoy's ext_authz counters of the target pods (pilot-agent request GET stats) and the
      // probe clients' requests; rollout: waiting for the probe clients.
      expect([...verbs].sort()).toEqual(['apply', 'delete', 'exec', 'get', 'logs', 'rollout', 'version']);
      expect(calls.every((c) => c.kubeconfig === kubeconfig)).toBe(true);
      // Only what the suite applied is deleted: its files, and the probe clients it deployed (stdin).
      const files = (verb: string) =>
        calls
          .filter(is('kubectl', verb, '-f'))
          .map((c) => c.argv[2])
          .filter((f) => f !== '-');
      expect(files('delete').sort()).toEqual(files('apply').sort());
      const clientsApplied = calls
        .filter(is('kubectl', 'apply', '-f', '-'))
        .map((c) => `deployment/${(JSON.parse(c.stdin) as { metadata: { name: string } }).metadata.name}`);
      const clientsDeleted = calls
        .filter((c) => c.tool === 'kubectl' && c.argv[0] === 'delete' && c.argv[1]!.startsWith('deployment/'))
        .map((c) => c.argv[1]);
      expect(clientsApplied).toHaveLength(2);
      expect(clientsDeleted.sort()).toEqual(clientsApplied.sort());
      const result = CellResultSchema.parse(w.results());
      expect(result.verdict).toBe('pass');
      expect(result.cell.cluster).toBe('existing');
      expect(result.phases.map((p) => p.id)).toEqual(['tool-kubectl']);
      expect(result.checks.find((c) => c.id === 'gateway-dikastes')?.status).toBe('skip');
      expect(result.cleanup?.status).toBe('not-created');
    } finally {
      await gw.close();
    }
  }, 60_000);

  /** A user's cluster with Calico, Istio, the Dikastes templates and Online Boutique already in. */
  const existingWorld = () =>
    world({
      existingCluster: true,
      initialState: {
        clusters: {},
        objects: {},
        felix: { policySyncPathPrefix: '/var/run/nodeagent' },
        istio: { version: '1.28.1', templates: ['dikastes', 'dikastes-gateway'] },
        namespaceLabels: { boutique: { 'istio-injection': 'enabled' } },
        boutique: true,
        canary: false,
        policies: {},
        routes: { maxRequestsPerConnection: 1, connectTimeout: '2s', retries: 2 },
      },
    });

  it('--test selects by regex and excludes with `!`; results and junit.xml say what was skipped', async () => {
    const w = await existingWorld();
    const gw = await startGateway(w.scenarioFile);
    try {
      const suite = await w.fastSuite();
      const exit = await start(
        bundles.cli,
        [
          'run',
          '--cluster',
          'existing',
          '--ingress-url',
          gw.url,
          '--suite',
          suite,
          '--results-dir',
          w.resultsDir,
          '--tools-from-path',
          'true',
          '--test',
          'allow-homepage/GET /(static|cart)',
          '--test',
          '!static',
        ],
        w.env({ XDG_CACHE_HOME: join(w.dir, 'cache') }),
        w.dir,
      ).done;
      expect(exit.code, exit.stderr.slice(-2000)).toBe(0);
      const result = CellResultSchema.parse(w.results());
      expect(result.verdict).toBe('pass');
      expect(result.reason).toContain(
        '1 of 12 expectations, selected by --test allow-homepage/GET /(static|cart),!static',
      );
      const steps = result.suite!.steps;
      expect(steps.map((s) => [s.name, s.status, s.skippedBy])).toEqual([
        ['baseline', 'skipped', 'selection'],
        ['deny-all', 'skipped', 'selection'],
        ['allow-homepage', 'pass', undefined],
        // Nothing selected after it: not run at all.
        ['catalog-by-identity', 'skipped', 'selection'],
        ['catalog-by-label', 'skipped', 'selection'],
      ]);
      expect(steps[2]!.expectations.map((e) => `${e.request.method} ${e.request.path} ${e.status}`)).toEqual([
        'GET / skipped',
        'GET /static/favicon.ico skipped',
        'GET /product/OLJCESPC7Z skipped',
        'GET /cart pass',
        'POST /cart skipped',
      ]);
      // deny-all's policy was still applied (allow-homepage builds on it), then cleaned up.
      const applied = w
        .transcript()
        .filter(is('kubectl', 'apply'))
        .map((c) => c.argv[2] ?? '');
      expect(applied.some((f) => f.endsWith('frontend-deny.yaml'))).toBe(true);
      const junit = readFileSync(join(w.resultsDir, 'junit.xml'), 'utf8');
      expect(junit).toMatch(
        /allow-homepage › GET \/cart"[^>]*>\s*<\/testcase>|allow-homepage › GET \/cart"[^>]*\/>/,
      );
      expect(junit).toMatch(/allow-homepage › POST \/cart"[^>]*>\s*<skipped message="not selected by --test/);
    } finally {
      await gw.close();
    }
  }, 60_000);

  it('--test that selects nothing, or is not a regex, is refused before anything runs (exit 2)', async () => {
    const w = await existingWorld();
    const suite = await w.fastSuite();
    const args = (test: string) => [
      'run',
      '--cluster',
      'existing',
      '--ingress-url',
      'http://127.0.0.1:9',
      '--suite',
      suite,
      '--results-dir',
      w.resultsDir,
      '--test',
      test,
    ];
    const none = await start(bundles.cli, args('no-such-step'), w.env(), w.dir).done;
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      'Invalid --test: "no-such-step" selects none of the 12 expectations of suite boutique',
    );
    const bad = await start(bundles.cli, args('deny-(all'), w.env(), w.dir).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Invalid --test: "deny-\(all" is not a regular expression/);
    expect(w.transcript()).toEqual([]);
    expect(existsSync(w.resultsDir)).toBe(false);
  });

  it('cluster existing without an ingress URL is refused before anything runs (exit 2)', async () => {
    const w = await world();
    const exit = await start(
      bundles.cli,
      ['run', '--cluster', 'existing', '--results-dir', w.resultsDir],
      w.env(),
      w.dir,
    ).done;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('Invalid --ingress-url');
    expect(exit.stderr).toContain('required with cluster "existing"');
    expect(w.transcript()).toEqual([]);
    expect(existsSync(w.resultsDir)).toBe(false);
  });
});
