import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError, parseCellConfig } from '../../src/config/cell-config.js';
import { cliNaming, type RawInputs } from '../../src/config/inputs.js';
import type { SuiteRunRequest } from '../../src/suite/contract.js';
import type { Log } from '../../src/exec/log.js';
import type { ProcessRunner, RunOptions, RunResult } from '../../src/exec/process.js';
import { CellResultSchema, type SuiteResult } from '../../src/result/schema.js';
import { runCell, type EngineDeps } from '../../src/run/engine.js';
import { runnerInfo } from '../../src/run/runner-info.js';
import type { InstallToolFn } from '../../src/run/tools.js';
import { ROOT } from '../contract/harness.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const silent: Log = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  group: (_t, fn) => fn(),
  mask: () => undefined,
};

/** The preflight's `docker info`: a 4-CPU amd64 Docker host, as GitHub's public runners. */
const DOCKER_INFO = JSON.stringify({
  ServerVersion: '29.1.2',
  Driver: 'overlayfs',
  NCPU: 4,
  MemTotal: 16e9,
  Architecture: 'x86_64',
});

/** What an existing cluster reports when asked what it runs (kubectl version, ClusterInformation, istiod). */
function clusterFacts(argv: readonly string[]): Partial<RunResult> {
  const a = argv.slice(1).join(' ');
  if (a.startsWith('version -o json'))
    return { stdout: JSON.stringify({ serverVersion: { gitVersion: 'v1.33.12' } }) };
  if (a.startsWith('get clusterinformations.crd.projectcalico.org default'))
    return { stdout: JSON.stringify({ spec: { calicoVersion: 'v3.29.7' } }) };
  if (a.startsWith('get deployment istiod'))
    return {
      stdout: JSON.stringify({
        spec: { template: { spec: { containers: [{ image: 'docker.io/istio/pilot:1.27.9' }] } } },
      }),
    };
  return {};
}

/** Records argv; answers each call with `answer` (exit 0, empty output by default). */
function recordingRunner(answer: (argv: readonly string[]) => Partial<RunResult> = clusterFacts) {
  const calls: { argv: readonly string[]; opts: RunOptions }[] = [];
  const runner: ProcessRunner = {
    async run(argv, opts) {
      calls.push({ argv, opts });
      return {
        argv,
        exitCode: 0,
        stdout: '',
        stderr: '',
        timedOut: false,
        cancelled: false,
        durationMs: 1,
        ...(argv[0] === 'docker' && argv[1] === 'info' ? { stdout: DOCKER_INFO } : {}),
        ...answer(argv),
      };
    },
  };
  return { runner, calls };
}

const passingSuite: SuiteResult = { name: 'boutique', file: 'suite.yaml', status: 'pass', steps: [] };

async function setup(inputs: RawInputs, over: Partial<EngineDeps> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'cic-engine-'));
  dirs.push(dir);
  const config = parseCellConfig({ 'results-dir': join(dir, 'results'), ...inputs }, cliNaming);
  const installs: string[] = [];
  const installTool: InstallToolFn = async (tool, version) => {
    installs.push(`${tool}@${version}`);
    return { path: `/fake/${tool}`, result: { name: tool, version, source: 'cache' } };
  };
  const { runner, calls } = recordingRunner();
  const suiteRequests: SuiteRunRequest[] = [];
  const deps: EngineDeps = {
    runner,
    fetcher: { fetchToFile: async () => ({ sha256: 'x', bytes: 1 }) },
    log: silent,
    toolCache: { find: async () => undefined, store: async (_t, _v, _a, p) => p },
    now: Date.now,
    sleep: async () => undefined,
    httpGet: async () => ({ status: 200 }),
    runSuite: async (req) => {
      suiteRequests.push(req);
      return passingSuite;
    },
    loadSuiteTarget: async () => ({ name: 'boutique', namespace: 'boutique', selector: 'app=frontend' }),
    policyApplier: () => ({ apply: async () => undefined, delete: async () => undefined }),
    writeReports: async (_r, d) => ({ junitFile: join(d, 'junit.xml'), summaryMarkdown: '# s' }),
    runnerInfo: runnerInfo({}),
    cwd: dir,
    tmpDir: dir,
    arch: 'amd64',
    installTool,
    bounds: { ingressWaitMs: 0, drainSeconds: 1 },
    freePort: async () => 41234,
    runId: () => 'r1',
    ...over,
  };
  return { dir, config, deps, calls, installs, suiteRequests };
}

describe('run engine', () => {
  it('cluster existing without ingress-url: an input error before any side effect', async () => {
    const { config, deps, calls, installs } = await setup({ cluster: 'existing' });
    const err = await runCell(
      { config, naming: cliNaming, signal: new AbortController().signal },
      deps,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('Invalid --ingress-url');
    expect(calls).toEqual([]);
    expect(installs).toEqual([]);
    expect(existsSync(config.resultsDir)).toBe(false);
  });

  it('a suite file that does not exist is refused as --suite', async () => {
    const { config, deps } = await setup({ suite: 'nope.yaml' });
    await expect(
      runCell({ config, naming: cliNaming, signal: new AbortController().signal }, deps),
    ).rejects.toThrow(/Invalid --suite: "nope.yaml" does not exist/);
  });

  it('unsupported + on-unsupported skip: verdict unsupported, no tools, no commands', async () => {
    const { config, deps, calls, installs } = await setup({
      'calico-version': 'v3.31.7',
      'on-unsupported': 'skip',
    });
    const out = await runCell({ config, naming: cliNaming, signal: new AbortController().signal }, deps);
    expect(out.result.verdict).toBe('unsupported');
    expect(out.result.reason).toContain('known-defect');
    expect(calls).toEqual([]);
    expect(installs).toEqual([]);
    expect(CellResultSchema.parse(JSON.parse(readFileSync(out.resultsFile, 'utf8'))).verdict).toBe(
      'unsupported',
    );
    expect(existsSync(join(out.planDir, 'plan.json'))).toBe(true);
  });

  it('starts every tool install at once, kind first, with the cell’s versions', async () => {
    const started: string[] = [];
    let allStarted!: () => void;
    const third = new Promise<void>((r) => (allStarted = r));
    const installTool: InstallToolFn = async (tool, version) => {
      started.push(`${tool}@${version}`);
      if (started.length === 3) allStarted();
      // kind finishes only once the others have started: installs run one by one would never get there.
      if (tool === 'kind') await third;
      return { path: `/fake/${tool}`, result: { name: tool, version, source: 'download' } };
    };
    const { config, deps } = await setup({}, { installTool });
    const run = runCell({ config, naming: cliNaming, signal: new AbortController().signal }, deps);
    await third;
    expect(started).toEqual(['kind@v0.32.0', 'kubectl@v1.34.8', 'istioctl@1.28.1']);
    const out = await run;
    expect(out.result.tools.map((t) => t.name)).toEqual(['kind', 'kubectl', 'istioctl']);
    expect(out.result.phases.slice(0, 3).map((p) => [p.id, p.status])).toEqual([
      ['tool-kind', 'passed'],
      ['tool-kubectl', 'passed'],
      ['tool-istioctl', 'passed'],
    ]);
  });

  it('a failed tool install: error verdict, nothing run, no cluster to clean', async () => {
    const installTool: InstallToolFn = async (tool, version) => {
      if (tool === 'kind') throw new Error('kind v0.32.0 (amd64): checksum mismatch');
      return { path: `/fake/${tool}`, result: { name: tool, version, source: 'download' } };
    };
    const { config, deps, calls } = await setup({}, { installTool });
    const out = await runCell({ config, naming: cliNaming, signal: new AbortController().signal }, deps);
    expect(out.result.verdict).toBe('error');
    expect(out.result.reason).toContain('tool-kind failed: kind v0.32.0 (amd64): checksum mismatch');
    // Only the preflight's question to Docker ran.
    expect(calls.filter((c) => c.argv[0] !== 'tar').map((c) => c.argv.slice(0, 2))).toEqual([
      ['docker', 'info'],
    ]);
    expect(out.result.cleanup).toEqual({ status: 'not-created' });
  });

  it('every plan command and check runs as argv with the plan’s KUBECONFIG; cleanup deletes the cluster', async () => {
    const hooks: string[] = [];
    const { config, deps, calls } = await setup({});
    const out = await runCell(
      {
        config,
        naming: cliNaming,
        signal: new AbortController().signal,
        hooks: {
          onClusterPlanned: (c) => hooks.push(`planned ${c.name} ${c.keep}`),
          onClusterMayExist: (c) => hooks.push(`may-exist ${c.kind}`),
          onVerdict: (v) => hooks.push(`verdict ${v}`),
          onCleanup: (s) => hooks.push(`cleanup ${s}`),
        },
      },
      deps,
    );
    expect(hooks).toEqual([
      'planned cic-1-34-8-v3-32-1-1-28-1-r1 never',
      'may-exist /fake/kind',
      // The fake runner prints nothing, so every kubectl read fails its checks.
      'cleanup deleted',
      'verdict fail',
    ]);
    // The kubeconfig (a client key) lives in a private temp dir, never in results-dir, and goes with the cluster.
    const kubeconfig = calls.find((c) => c.argv[0] === '/fake/kubectl')!.opts.env?.KUBECONFIG ?? '';
    expect(kubeconfig).toMatch(/\/cic-kube-[^/]+\/kubeconfig$/);
    expect(kubeconfig.startsWith(config.resultsDir)).toBe(false);
    expect(existsSync(dirname(kubeconfig))).toBe(false);
    for (const c of calls.filter((c) => c.argv[0] === '/fake/kubectl'))
      expect(c.opts.env?.KUBECONFIG).toBe(kubeconfig);
    expect(calls.at(-1)!.argv).toEqual([
      '/fake/kind',
      'delete',
      'cluster',
      '--name',
      'cic-1-34-8-v3-32-1-1-28-1-r1',
    ]);
    expect(out.result.checks.filter((c) => c.status === 'fail').length).toBeGreaterThan(5);
    expect(out.diagnosticsArchive).toBe(join(config.resultsDir, 'diagnostics.tar.gz'));
  });

  it('a throw in diagnostics still deletes the cluster and writes results.json, naming the phase', async () => {
    const { config, deps, calls } = await setup({});
    // A file appears where the diagnostics folder goes once the run has started (the run clears a
    // stale one first): collecting them throws.
    const blockDiagnostics = () => writeFileSync(join(config.resultsDir, 'diagnostics'), 'in the way');
    const out = await runCell(
      {
        config,
        naming: cliNaming,
        signal: new AbortController().signal,
        hooks: { onClusterMayExist: blockDiagnostics },
      },
      deps,
    );
    expect(out.result.verdict).toBe('fail');
    expect(out.result.reason).toMatch(/\(also: phase diagnostics failed: .*diagnostics/);
    expect(out.result.cleanup?.status).toBe('deleted');
    expect(calls.at(-1)!.argv.slice(1, 3)).toEqual(['delete', 'cluster']);
    const written = CellResultSchema.parse(JSON.parse(readFileSync(out.resultsFile, 'utf8')));
    expect(written.reason).toBe(out.result.reason);
  });

  it('a known-defect cell hands the suite the defect as data', async () => {
    const { config, deps, suiteRequests } = await setup({ 'calico-version': 'v3.31.7' });
    await runCell({ config, naming: cliNaming, signal: new AbortController().signal }, deps);
    expect(suiteRequests[0]!.knownDefect).toMatchObject({
      calicoVersion: 'v3.31.7',
      defect: { id: 'calico-11857', symptom: 'deny-all' },
    });
  });

  it('a cleanup failure is reported, never thrown over the result', async () => {
    const { runner } = recordingRunner((argv) =>
      argv[1] === 'delete' && argv[2] === 'cluster'
        ? { exitCode: 1, stderr: 'ERROR: failed to delete cluster' }
        : {},
    );
    const { config, deps } = await setup({}, { runner });
    const out = await runCell({ config, naming: cliNaming, signal: new AbortController().signal }, deps);
    expect(out.result.cleanup?.status).toBe('failed');
    expect(out.result.cleanup?.detail).toContain('cluster-delete');
    expect(out.result.verdict).toBe('fail');
  });

  it('the trust gate and the suite get the checks’ Dikastes evidence and the ingress URL', async () => {
    const { config, deps, suiteRequests } = await setup({ 'ingress-url': 'http://127.0.0.1:1234' });
    await runCell({ config, naming: cliNaming, signal: new AbortController().signal }, deps);
    expect(suiteRequests).toHaveLength(1);
    expect(suiteRequests[0]!.ingressUrl).toBe('http://127.0.0.1:1234');
    // v3.32.1 has no known defect: the suite gets none
    expect(suiteRequests[0]!.knownDefect).toBeUndefined();
    expect(suiteRequests[0]!.dikastesReady.ready).toBe(false);
    expect(suiteRequests[0]!.suiteFile).toBe(join(ROOT, 'e2e-manifests/suites/boutique/suite.yaml'));
  });

  it('cluster existing: diagnostics stay in the namespaces the harness used unless opted in', async () => {
    const scoped = await setup({ cluster: 'existing', 'ingress-url': 'http://127.0.0.1:1234' });
    const out = await runCell(
      { config: scoped.config, naming: cliNaming, signal: new AbortController().signal },
      scoped.deps,
    );
    expect(out.result.verdict).toBe('fail');
    const kubectl = scoped.calls.filter((c) => c.argv[0] === '/fake/kubectl').map((c) => c.argv);
    expect(kubectl.some((a) => a.includes('-A'))).toBe(false);
    expect(kubectl.some((a) => a[1] === 'describe' && a[2] === 'nodes')).toBe(false);
    expect(kubectl).toContainEqual(['/fake/kubectl', 'get', 'all', '-n', 'istio-system', '-o', 'wide']);

    const wide = await setup({
      cluster: 'existing',
      'ingress-url': 'http://127.0.0.1:1234',
      'diagnostics-cluster-wide': 'true',
    });
    await runCell(
      { config: wide.config, naming: cliNaming, signal: new AbortController().signal },
      wide.deps,
    );
    expect(wide.calls.map((c) => c.argv)).toContainEqual(['/fake/kubectl', 'describe', 'nodes']);
  });

  it('cluster existing: the result is labelled with what the cluster runs, mismatches are warnings', async () => {
    const { config, deps } = await setup({
      cluster: 'existing',
      'ingress-url': 'http://127.0.0.1:1234',
      'calico-version': 'v3.32.1',
    });
    const out = await runCell({ config, naming: cliNaming, signal: new AbortController().signal }, deps);
    expect(out.result.cell).toMatchObject({
      id: 'k8s-1.33.12_calico-v3.29.7_istio-1.27.9',
      kubernetes: '1.33.12',
      calico: 'v3.29.7',
      istio: '1.27.9',
    });
    expect(out.result.detected?.requested).toEqual({ calico: 'v3.32.1' });
    expect(out.result.detected?.warnings).toEqual([
      'calico: requested v3.32.1, the cluster runs v3.29.7; results are labelled v3.29.7',
    ]);
  });

  it('cluster existing that does not answer: error before any probe, with the reason', async () => {
    const { runner } = recordingRunner((argv) =>
      argv[1] === 'version'
        ? { exitCode: 1, stderr: 'The connection to the server 127.0.0.1:6443 was refused' }
        : {},
    );
    const { config, deps, suiteRequests } = await setup(
      { cluster: 'existing', 'ingress-url': 'http://127.0.0.1:1234' },
      { runner },
    );
    const out = await runCell({ config, naming: cliNaming, signal: new AbortController().signal }, deps);
    expect(out.result.verdict).toBe('error');
    expect(out.result.reason).toBe(
      'Phase detect failed: the cluster does not answer (kubectl version): The connection to the server 127.0.0.1:6443 was refused',
    );
    expect(suiteRequests).toEqual([]);
  });
});
