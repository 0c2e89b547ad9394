// A cell run in-process against the fake kind, kubectl, istioctl and docker (real processes, the same
// fakes the bundle contract tests use), with an injected clock: the stages issue 10 adds (preflight,
// in-node pulls, fail fast, deadline, isolation, nothing stale) behave as the facts say.
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { cliNaming, type RawInputs } from '../../src/config/inputs.js';
import type { Fetcher } from '../../src/exec/fetch.js';
import type { Log } from '../../src/exec/log.js';
import { execaRunner } from '../../src/exec/process.js';
import { writeCellReports } from '../../src/report/cell-outputs.js';
import { CellResultSchema, type CellResult } from '../../src/result/schema.js';
import { runCell, type EngineDeps, type RunHooks } from '../../src/run/engine.js';
import { runnerInfo } from '../../src/run/runner-info.js';
import type { InstallToolFn } from '../../src/run/tools.js';
import { createdCluster, World, type Scenario } from '../contract/harness.js';
import { FAKES_DIR, standIn } from '../fakes/servers.js';
import { UPSTREAM_DIR, upstreamAvailable } from '../support/upstream.js';

/**
 * Stands in for downloads whose bytes matched their pins: the workplace's verbatim upstream file when
 * there is one, else a small stand-in (the Tigera operator manifests are not in ../shared/upstream).
 */
const pinnedFetcher: Fetcher = {
  async fetchToFile(url, dest, { sha256 }) {
    await mkdir(dirname(dest), { recursive: true });
    const calico = /projectcalico\/calico\/(v[\d.]+)\/manifests\/(.+)$/.exec(url);
    const boutique = /microservices-demo\/(v[\d.]+)\/release\/(.+)$/.exec(url);
    const local = calico
      ? join(UPSTREAM_DIR, 'calico', calico[1]!, calico[2]!)
      : boutique
        ? join(UPSTREAM_DIR, 'microservices-demo', boutique[1]!, boutique[2]!)
        : undefined;
    if (local && existsSync(local)) await copyFile(local, dest);
    else if (calico) await writeFile(dest, standIn(calico[2]!));
    else throw new Error(`unexpected download ${url}`);
    return { sha256: sha256 ?? '0'.repeat(64), bytes: (await readFile(dest)).length };
  },
};

/** Time moves only when the run sleeps (poll intervals, retry delays): no test waits on the wall clock. */
function fakeClock() {
  let t = Date.parse('2026-06-01T00:00:00Z');
  return {
    now: () => t,
    sleep: async (ms: number, signal: AbortSignal) => {
      signal.throwIfAborted();
      t += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
}

function memoryLog() {
  const lines: string[] = [];
  const log: Log = {
    info: (l) => void lines.push(l),
    warn: (l) => void lines.push(`warning: ${l}`),
    error: (l) => void lines.push(`error: ${l}`),
    group: (_t, fn) => fn(),
    mask: () => undefined,
  };
  return { log, lines };
}

const installTool: InstallToolFn = async (tool, version) => ({
  path: join(FAKES_DIR, tool),
  result: { name: tool, version, source: 'path' },
});

const worlds: World[] = [];
const savedEnv = { ...process.env };

describe.runIf(upstreamAvailable())('a cell run against the fake tools', () => {
  beforeAll(() => {
    // The preflight and the in-node pulls run `docker` from PATH: the fake one.
    process.env.PATH = `${FAKES_DIR}:${savedEnv.PATH ?? ''}`;
  });
  afterAll(async () => {
    process.env = savedEnv;
    for (const w of worlds) await w.remove();
  });

  async function world(scenario: Scenario = {}): Promise<World> {
    const w = await World.create(scenario);
    worlds.push(w);
    process.env.FAKE_SCENARIO = w.scenarioFile;
    process.env.FAKE_TRANSCRIPT = w.transcriptFile;
    return w;
  }

  function run(
    w: World,
    inputs: RawInputs = {},
    over: Partial<EngineDeps> = {},
    hooks: RunHooks = {},
    resultsDir = w.resultsDir,
  ) {
    const clock = fakeClock();
    const { log, lines } = memoryLog();
    const installs: string[] = [];
    const deps: EngineDeps = {
      runner: execaRunner(),
      fetcher: pinnedFetcher,
      log,
      toolCache: { find: async () => undefined, store: async (_t, _v, _a, p) => p },
      now: clock.now,
      sleep: clock.sleep,
      httpGet: async () => ({ status: 200, headers: { server: 'istio-envoy' } }),
      runSuite: async () => ({ name: 'boutique', file: 'suite.yaml', status: 'pass', steps: [] }),
      loadSuiteTarget: async () => ({ name: 'boutique', namespace: 'boutique', selector: 'app=frontend' }),
      policyApplier: () => ({ apply: async () => undefined, delete: async () => undefined }),
      writeReports: writeCellReports,
      runnerInfo: runnerInfo({}),
      cwd: w.dir,
      arch: 'amd64',
      installTool: async (tool, version, opts) => {
        installs.push(tool);
        return installTool(tool, version, opts);
      },
      bounds: { ingressWaitMs: 0, drainSeconds: 1 },
      ...over,
    };
    const config = parseCellConfig({ 'results-dir': resultsDir, ...inputs }, cliNaming);
    const done = runCell({ config, naming: cliNaming, signal: new AbortController().signal, hooks }, deps);
    return { done, lines, installs, clock };
  }

  const phase = (r: CellResult, id: string) => r.phases.find((p) => p.id === id);
  const results = (dir: string) =>
    CellResultSchema.parse(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));

  it('the default cell passes: Calico, Istio and Boutique through the fakes; the run explains itself', async () => {
    const w = await world();
    const { done } = run(w);
    const { result } = await done;
    expect(result.verdict, result.reason).toBe('pass');
    expect(result.host).toEqual({
      dockerVersion: '29.1.2',
      storageDriver: 'overlayfs',
      cpus: 4,
      memoryMiB: 16000,
      arch: 'x86_64',
    });
    expect(result.observed?.calico).toBe('v3.32.1');
    expect(result.observed?.istiod).toBe('docker.io/istio/pilot:1.28.1');
    const servers = result.observed!.images.filter((i) => i.container === 'server');
    expect(servers.length).toBe(10);
    for (const i of servers) expect(i.imageID, i.pod).toMatch(/^example\/.+@sha256:[a-f0-9]{64}$/);
    expect(result.fetched?.map((f) => f.dest)).toEqual(
      expect.arrayContaining(['downloads/tigera-operator.yaml', 'downloads/custom-resources.yaml']),
    );
    const calls = w.transcript();
    const name = createdCluster(calls);
    expect(result.run).toMatchObject({
      clusterName: name,
      cellLabel: `conformance.calico-istio/cell=${result.cell.id}`,
    });
    expect(result.run?.ingressUrl).toBe(`http://127.0.0.1:${result.run?.hostPort}`);
    // Istio starts once nodes are Ready and Calico Available; the API server wait runs beside it.
    const at = (pred: (c: (typeof calls)[number]) => boolean) => calls.findIndex(pred);
    const nodesReady = at((c) => c.tool === 'kubectl' && c.argv.includes('nodes') && c.argv[0] === 'wait');
    const istio = at((c) => c.tool === 'istioctl' && c.argv[0] === 'install');
    const boutique = at((c) => c.tool === 'kubectl' && c.argv.join(' ') === 'apply -k manifests/boutique');
    const felix = at((c) => c.tool === 'kubectl' && c.argv[0] === 'patch' && c.argv[1]!.startsWith('felix'));
    expect(nodesReady).toBeGreaterThan(0);
    expect(istio).toBeGreaterThan(nodesReady);
    expect(boutique).toBeGreaterThan(felix);
    expect(phase(result, 'calico-apiserver')!.status).toBe('passed');
    // Calico's images are pulled first, inside the node.
    const pulls = calls.filter((c) => c.tool === 'docker' && c.argv[0] === 'exec').map((c) => c.argv.at(-1));
    // three lanes start together, each with a Calico image (the operator, calico/node, calico/cni first)
    for (const p of pulls.slice(0, 3)) expect(p).toMatch(/^quay\.io\/(calico|tigera)\//);
    expect(pulls).toContain('quay.io/tigera/operator:v1.42.3');
  });

  it('a failed pull of one image stays local: the others are pulled, the cell passes', async () => {
    const w = await world({ pullFailures: ['calico/node:'] });
    const { result } = await run(w).done;
    expect(result.verdict, result.reason).toBe('pass');
    const failed = result.phases.filter((p) => p.status === 'failed');
    expect(failed.map((p) => p.title)).toEqual(['Pull quay.io/calico/node:v3.32.1 inside the node']);
    expect(failed[0]!.error).toContain('failed to pull and unpack image');
    const pulls = w.transcript().filter((c) => c.tool === 'docker' && c.argv[0] === 'exec');
    expect(pulls.length).toBeGreaterThan(5);
  });

  it('a slow pull: nothing waits on the preload, the cell passes and the pull is stopped with the run', async () => {
    // calico/node's pull (a lane head, started with the cluster) takes an hour; only the end of every
    // other step can stop it.
    const w = await world({ pullDelays: { 'calico/node:': 3_600_000 } });
    const { result } = await run(w).done;
    expect(result.verdict, result.reason).toBe('pass');
    const slow = result.phases.find((p) => p.title.includes('calico/node:'))!;
    expect(slow.status).toBe('cancelled');
    expect(slow.error).toContain('every other step had finished');
  });

  it.each([
    ['CrashLoopBackOff', 'Back-off restarting failed container server'],
    ['ImagePullBackOff', 'Back-off pulling image'],
    ['Unschedulable', 'Insufficient cpu'],
  ])(
    'a pod in %s ends the rollout within the grace period, naming pod, container and events',
    async (reason, event) => {
      // timeScale 1: the rollout wait would really run its 900 s; only fail-fast can end it.
      const w = await world({ timeScale: 1, stuckPod: { app: 'cartservice', reason } });
      const { done, clock } = run(
        w,
        {},
        { bounds: { ingressWaitMs: 0, drainSeconds: 1, podStuckGraceMs: 45_000, podWatchPollMs: 5_000 } },
      );
      const { result } = await done;
      expect(result.verdict).toBe('error');
      expect(result.reason).toContain('pod boutique/cartservice-');
      if (reason !== 'Unschedulable') expect(result.reason).toContain('container server');
      expect(result.reason).toContain(`is ${reason}`);
      expect(result.reason).toContain(event);
      expect(phase(result, 'rollout')!.status).toBe('cancelled');
      // Ended after the grace period, within a few polls of it: far before the 900 s rollout bound.
      const stuckFor = Number(/for (\d+) s/.exec(result.reason)![1]);
      expect(stuckFor).toBeGreaterThanOrEqual(45);
      expect(stuckFor).toBeLessThanOrEqual(55);
      expect(clock.now() - Date.parse(result.startedAt)).toBeLessThan(300_000);
      expect(result.cleanup?.status).toBe('deleted');
      expect(result.diagnostics?.archive).toBeDefined();
    },
  );

  it('a node without the CPU the plan requests: error before any install, saying what is missing', async () => {
    const w = await world({ hostCpus: 1 });
    const { done, installs } = run(w);
    const { result } = await done;
    expect(result.verdict).toBe('error');
    expect(result.reason).toMatch(
      /does not fit this runner.*CPU: requests sum to 1515m, the Docker host has 1000m/,
    );
    expect(result.reason).toContain('kind control plane 850m');
    expect(installs).toEqual([]);
    expect(w.transcript().map((c) => `${c.tool} ${c.argv[0]}`)).toEqual(['docker info']);
    expect(result.cleanup?.status).toBe('not-created');
  });

  it('the default cell fits a 2-vCPU / 7 GB runner (private repositories)', async () => {
    const w = await world({ hostCpus: 2, hostMemoryMiB: 7_000 });
    const { result } = await run(w).done;
    expect(result.verdict, result.reason).toBe('pass');
  });

  it('an arm64 runner: amd64-only images end the cell unsupported before any cluster exists', async () => {
    const w = await world({ hostArch: 'aarch64' });
    const { done, installs } = run(w);
    const { result } = await done;
    expect(result.verdict).toBe('unsupported');
    expect(result.reason).toContain('arm64');
    expect(result.reason).toContain('Online Boutique v0.10.6');
    expect(installs).toEqual([]);
    expect(w.transcript().some((c) => c.tool === 'kind')).toBe(false);
  });

  it('no Docker engine: a clear error before any download', async () => {
    const w = await world({ noDockerEngine: true });
    const { done, installs } = run(w);
    const { result } = await done;
    expect(result.verdict).toBe('error');
    expect(result.reason).toMatch(
      /^No Docker engine answers \(docker info exited 1: Cannot connect to the Docker daemon/,
    );
    expect(installs).toEqual([]);
  });

  it('the deadline: a step that would overrun is cut, diagnostics, cleanup and the record still run', async () => {
    // istioctl install hangs for 120 s. The clock jumps to 5 s before the main deadline once the tools
    // start: every step is cut to what is left, the reserved share remains for what must follow.
    const w = await world({ hangOn: 'istioctl install' });
    let shift = 0;
    const now = () => Date.now() + shift;
    const { done } = run(
      w,
      { 'timeout-minutes': '5' },
      {
        now,
        sleep: (ms, signal) =>
          new Promise((r, j) => {
            const t = setTimeout(r, ms);
            signal.addEventListener(
              'abort',
              () => {
                clearTimeout(t);
                j(signal.reason);
              },
              { once: true },
            );
          }),
      },
      { onClusterPlanned: () => void (shift = (300 - 180) * 1000 - 5_000) },
    );
    const started = Date.now();
    const { result } = await done;
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.verdict).toBe('error');
    // The step the verdict names: a background preload (optional) may be cut too on a loaded machine.
    const cut = result.phases.find((p) => p.status === 'timed-out' && !p.id.startsWith('preload-'))!;
    expect(cut.error).toMatch(/its bound cut to what was left of the run's deadline \(timeout-minutes\)/);
    expect(result.reason).toContain(cut.id);
    expect(result.diagnostics?.archive).toBeDefined();
    expect(result.cleanup?.status).toBe('deleted');
    expect(result.run).toMatchObject({ timeoutMinutes: 5 });
  });

  it('two concurrent runs of one cell on one Docker host: own cluster, own port, own verdict', async () => {
    const w = await world();
    const a = run(w, {}, {}, {}, join(w.dir, 'results-a'));
    const b = run(w, {}, {}, {}, join(w.dir, 'results-b'));
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.result.verdict, ra.result.reason).toBe('pass');
    expect(rb.result.verdict, rb.result.reason).toBe('pass');
    expect(ra.result.run?.clusterName).not.toBe(rb.result.run?.clusterName);
    expect(ra.result.run?.hostPort).not.toBe(rb.result.run?.hostPort);
    const creates = w.transcript().filter((c) => c.tool === 'kind' && c.argv[0] === 'create');
    const deletes = w.transcript().filter((c) => c.tool === 'kind' && c.argv[0] === 'delete');
    expect(new Set(creates.map((c) => c.argv[3])).size).toBe(2);
    // each run deleted only its own cluster
    expect(deletes.map((c) => c.argv[3]).sort()).toEqual(creates.map((c) => c.argv[3]).sort());
    expect(results(join(w.dir, 'results-a')).run?.id).toBe(ra.result.run?.id);
  });

  it('a stale results directory: the run clears what it owns first; a refused run leaves no old results', async () => {
    const w = await world();
    await mkdir(join(w.resultsDir, 'diagnostics'), { recursive: true });
    await writeFile(join(w.resultsDir, 'diagnostics/old.txt'), 'old');
    await writeFile(join(w.resultsDir, 'diagnostics.tar.gz'), 'old');
    await writeFile(join(w.resultsDir, 'results.json'), '{"verdict":"fail"}');
    await writeFile(join(w.resultsDir, 'mine.txt'), 'not the run’s');
    const { result } = await run(w).done;
    expect(result.verdict).toBe('pass');
    expect(existsSync(join(w.resultsDir, 'diagnostics'))).toBe(false);
    expect(existsSync(join(w.resultsDir, 'diagnostics.tar.gz'))).toBe(false);
    expect(results(w.resultsDir).verdict).toBe('pass');
    expect(existsSync(join(w.resultsDir, 'mine.txt'))).toBe(true);

    // Refused (no such suite): the previous results.json is not left to be counted as this run's.
    const refused = await run(w, { suite: 'missing.yaml' }).done.catch((e: unknown) => e as Error);
    expect(refused).toBeInstanceOf(Error);
    expect(existsSync(join(w.resultsDir, 'results.json'))).toBe(false);
    expect(existsSync(join(w.resultsDir, 'junit.xml'))).toBe(false);
  });
});
