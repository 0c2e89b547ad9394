// Replays the default cell through the real executor (its DAG, background steps and drains) with
// realistic per-call latencies scaled down, before and after issue 10, and estimates time to verdict.
// Image pulls are modelled on a node: the kubelet pulls one at a time before (kind's default) and four
// at once after (maxParallelImagePulls); the old preload pulled on the host, one by one, then
// `kind load`; the new one pulls inside the node in three lanes that nothing waits on.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { parseCellConfig } from '../src/config/cell-config.js';
import { cliNaming } from '../src/config/inputs.js';
import { executePlan } from '../src/exec/executor.js';
import type { Fetcher } from '../src/exec/fetch.js';
import { streamLog } from '../src/exec/log.js';
import type { ProcessRunner, RunResult } from '../src/exec/process.js';
import { buildPlan, preloadImages } from '../src/plan/build.js';
import { exec, type PlanStep } from '../src/plan/types.js';
import { resolveCell, type ResolvedCell } from '../src/resolve/cell.js';
import { DEFAULT_BOUNDS } from '../src/run/cell-run.js';
import { sleepFor } from '../src/util/sleep.js';

/** Real seconds → bench milliseconds. */
const MS_PER_S = 5;
const scaled = (s: number) => s * MS_PER_S;

/** The latency table (seconds on a GitHub-hosted runner). */
const TABLE = {
  kindCreate: 60,
  fetch: 1,
  kubectlWrite: 2,
  kindLoad: 25,
  /** After its images are on the node: until the component reports Available/Ready. */
  operatorReady: 10,
  calicoAvailable: 20,
  apiserverAvailable: 10,
  csiRolledOut: 5,
  istioInstall: 20,
  boutiqueReady: 15,
  /** After the steps: checks, suite, cleanup (kind delete). */
  checks: 10,
  suite: 60,
  cleanup: 10,
  /** Fail fast: grace and poll (the engine's defaults), diagnostics. */
  diagnostics: 30,
  rolloutBound: 900,
};

/** One image pull, by size (seconds). */
function pullSeconds(image: string): number {
  const sizes: [RegExp, number][] = [
    [/tigera\/operator/, 10],
    [/calico\/node:/, 20],
    [/calico\/cni:/, 12],
    [/calico\/(typha|kube-controllers):/, 8],
    [/calico\/(csi|node-driver-registrar):/, 5],
    [/calico\/apiserver:/, 10],
    [/istio\/(pilot|proxyv2):/, 15],
    [/dikastes/, 8],
    [/(adservice|cartservice|emailservice|recommendationservice):/, 18],
    [/(currencyservice|paymentservice):/, 12],
    [/redis/, 5],
  ];
  return sizes.find(([re]) => re.test(image))?.[1] ?? 8;
}

class LoadFailed extends Error {}

/** A node's image store: one pull per image (containerd dedups), the kubelet limited to `parallel` at once. */
class Node {
  private readonly pulls = new Map<string, Promise<void>>();
  private running = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly parallel: number) {}

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.parallel) await new Promise<void>((r) => this.queue.push(r));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  /** The kubelet pulling for a pod. */
  kubelet(image: string): Promise<void> {
    const known = this.pulls.get(image);
    if (known) return known;
    const p = this.slot(() => sleepFor(scaled(pullSeconds(image)), AbortSignal.timeout(600_000)));
    this.pulls.set(image, p);
    return p;
  }

  /** `crictl pull` or `kind load`: outside the kubelet's limit. */
  direct(image: string, seconds = pullSeconds(image)): Promise<void> {
    const known = this.pulls.get(image);
    if (known) return known;
    const p = sleepFor(scaled(seconds), AbortSignal.timeout(600_000));
    this.pulls.set(image, p);
    return p;
  }
}

function runner(
  kindLoadFails: boolean,
  cell: ResolvedCell,
  node: Node,
  calls: { argv: string; startMs: number; endMs: number }[],
): ProcessRunner {
  const calico = cell.calico.images;
  const [operator, ...components] = calico as [string, ...string[]];
  const istio = [
    `docker.io/istio/pilot:${cell.istio.version}`,
    `docker.io/istio/proxyv2:${cell.istio.version}`,
  ];
  const workload = [cell.calico.dikastesImage, ...cell.boutique.images, istio[1]!];
  const pending: Promise<void>[] = [];
  const wait = (images: readonly string[], after: number) =>
    Promise.all(images.map((i) => node.kubelet(i))).then(() =>
      sleepFor(scaled(after), AbortSignal.timeout(600_000)),
    );
  const hostPulled: string[] = [];
  return {
    async run(argv, opts): Promise<RunResult> {
      const t0 = performance.now();
      const name = argv[0]!.split('/').at(-1)!;
      const a = [name, ...argv.slice(1)].join(' ');
      const step = async (): Promise<void> => {
        const write = () => sleepFor(scaled(TABLE.kubectlWrite), opts.signal ?? AbortSignal.timeout(600_000));
        if (a.startsWith('kind create cluster'))
          return sleepFor(scaled(TABLE.kindCreate), AbortSignal.timeout(600_000));
        if (a.startsWith('kind load docker-image')) {
          await sleepFor(scaled(TABLE.kindLoad), AbortSignal.timeout(600_000));
          // Docker 29's containerd store: `ctr: content digest … not found` (kind#3795, #4066).
          if (kindLoadFails) throw new LoadFailed();
          for (const i of hostPulled) void node.direct(i, 0);
          return;
        }
        if (a.startsWith('docker pull')) {
          await sleepFor(scaled(pullSeconds(argv.at(-1)!)), AbortSignal.timeout(600_000));
          hostPulled.push(argv.at(-1)!);
          return;
        }
        if (a.startsWith('docker exec')) return node.direct(argv.at(-1)!);
        if (a.includes('create -f') && a.includes('tigera-operator')) {
          pending.push(node.kubelet(operator));
          return write();
        }
        if (a.includes('create -f') && a.includes('custom-resources')) {
          for (const i of components) pending.push(node.kubelet(i));
          return write();
        }
        if (a.includes('deployment/tigera-operator')) return wait([operator], TABLE.operatorReady);
        if (a.includes('tigerastatus/calico')) return wait(components.slice(0, 4), TABLE.calicoAvailable);
        if (a.includes('tigerastatus/apiserver'))
          return wait(
            components.filter((i) => i.includes('apiserver')),
            TABLE.apiserverAvailable,
          );
        if (a.includes('daemonset/csi-node-driver'))
          return wait(
            components.filter((i) => /csi|registrar/.test(i)),
            TABLE.csiRolledOut,
          );
        if (name === 'istioctl') return wait(istio, TABLE.istioInstall);
        if (a.includes('apply -k')) {
          for (const i of workload) pending.push(node.kubelet(i));
          return write();
        }
        if (a.includes('--for=condition=Available') && a.includes('deployment'))
          return wait(workload, TABLE.boutiqueReady);
        if (name === 'kubectl' && /\b(apply|create|patch)\b/.test(a)) return write();
        return sleepFor(scaled(1), AbortSignal.timeout(600_000));
      };
      let cancelled = false;
      let failed = false;
      try {
        await Promise.race([
          step(),
          new Promise<never>((_, j) =>
            opts.signal?.addEventListener('abort', () => j(new Error('stop')), { once: true }),
          ),
        ]);
      } catch (e) {
        if (e instanceof LoadFailed) failed = true;
        else cancelled = true;
      }
      calls.push({ argv: a, startMs: t0, endMs: performance.now() });
      return {
        argv,
        exitCode: cancelled ? null : failed ? 1 : 0,
        stdout: '',
        stderr: '',
        timedOut: false,
        cancelled,
        durationMs: performance.now() - t0,
      };
    },
  };
}

const fetcher: Fetcher = {
  async fetchToFile(_u, _d, { sha256, signal }) {
    await sleepFor(scaled(TABLE.fetch), signal);
    return { sha256: sha256 ?? '0'.repeat(64), bytes: 0 };
  },
};

/**
 * The plan as it was before this issue (commit e7f3b29): one optional preload step (host `docker
 * pull` one by one, then `kind load`) that Boutique waited on; the API server, CSI and Felix waits on
 * the main line before Istio.
 */
function beforePlan(cell: ResolvedCell, after: readonly PlanStep[]): PlanStep[] {
  const images = preloadImages(cell).filter((i) => !cell.calico.images.includes(i) && !i.startsWith('redis'));
  const main = after.filter((s) => !s.background && s.id !== 'calico-apiserver');
  const order = main.map((s) => s.id);
  const steps: PlanStep[] = main.map((s, i) => {
    const prev = i > 0 ? [order[i - 1]!] : [];
    if (s.id === 'calico-ready') {
      const api = after.find((x) => x.id === 'calico-apiserver')!;
      return { ...s, commands: [...s.commands, ...api.commands], dependsOn: prev };
    }
    if (s.id === 'boutique') return { ...s, dependsOn: [...prev, 'images-preload'] };
    return { ...s, dependsOn: prev };
  });
  steps.splice(1, 0, {
    id: 'images-preload',
    title: 'Pull on the host and kind load',
    phase: 'cluster',
    commands: [
      ...images.map((i) => exec('docker', 'pull', i)),
      exec('kind', 'load', 'docker-image', ...images),
    ],
    manifests: [],
    timeoutSeconds: 900,
    dependsOn: ['cluster-create'],
    optional: true,
  });
  return steps;
}

interface Estimate {
  readonly verdictSeconds: number;
  readonly sumSeconds: number;
  readonly critical: string[];
}

async function replay(
  steps: readonly PlanStep[],
  cell: ResolvedCell,
  parallelPulls: number,
  kindLoadFails = false,
): Promise<Estimate> {
  const dir = await mkdtemp(join(tmpdir(), 'cic-bench-runner-'));
  try {
    const node = new Node(parallelPulls);
    const calls: { argv: string; startMs: number; endMs: number }[] = [];
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const t0 = performance.now();
    const finished = new Map<string, number>();
    const results = await executePlan(
      steps,
      {
        planDir: dir,
        env: {},
        tools: {},
        signal: AbortSignal.timeout(600_000),
        onStep: (r) => finished.set(r.id, performance.now() - t0),
      },
      {
        runner: runner(kindLoadFails, cell, node, calls),
        fetcher,
        log: streamLog(sink),
        now: Date.now,
        sleep: sleepFor,
      },
    );
    const bad = results.filter(
      (r) =>
        !['passed', 'cancelled', 'skipped'].includes(r.status) && !steps.find((s) => s.id === r.id)!.optional,
    );
    if (bad.length) throw new Error(`bench replay failed: ${JSON.stringify(bad)}`);
    const setupMs = Math.max(...steps.filter((s) => !s.background).map((s) => finished.get(s.id) ?? 0));
    // The chain that decided when setup ended: walk back through the latest-finishing dependency.
    const byId = new Map(steps.map((s) => [s.id, s]));
    const critical: string[] = [];
    let at = [...finished.entries()]
      .filter(([id]) => !byId.get(id)!.background)
      .sort((a, b) => b[1] - a[1])[0]![0];
    for (;;) {
      critical.unshift(at);
      const deps = byId.get(at)!.dependsOn;
      if (!deps.length) break;
      at = deps.reduce((a, b) => ((finished.get(a) ?? 0) >= (finished.get(b) ?? 0) ? a : b));
    }
    const sumMs = results.reduce((t, r) => t + r.durationMs, 0);
    const after = TABLE.checks + TABLE.suite + TABLE.cleanup;
    return {
      verdictSeconds: setupMs / MS_PER_S + after,
      sumSeconds: sumMs / MS_PER_S + after,
      critical: [...critical, 'checks', 'suite', 'cleanup'],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const min = (s: number) => `${(s / 60).toFixed(1)} min (${Math.round(s)} s)`;

async function main(): Promise<void> {
  const cell = resolveCell(parseCellConfig({}, cliNaming));
  const { plan } = buildPlan(cell);
  console.log(`cell ${cell.id}; 1 s of runner time = ${MS_PER_S} ms here`);
  console.log(`latency table (s): ${JSON.stringify(TABLE)}`);
  console.log(
    'pulls (s): operator 10, calico/node 20, cni 12, typha/kube-controllers 8, csi/registrar 5, apiserver 10, istio 15, dikastes 8, large Boutique 18, medium 12, other 8, redis 5',
  );
  const before = await replay(beforePlan(cell, plan.steps), cell, 1);
  const before29 = await replay(beforePlan(cell, plan.steps), cell, 1, true);
  const after = await replay(plan.steps, cell, 4);
  for (const [label, e] of [
    ['before (kind load works)', before],
    ['before, Docker 29 (kind load fails; the kubelet pulls one image at a time)', before29],
    ['after', after],
  ] as const) {
    console.log(`\n${label}: estimated time to verdict ${min(e.verdictSeconds)}`);
    console.log(`  critical path: ${e.critical.join(' → ')}`);
    console.log(
      `  sum of steps ${min(e.sumSeconds)}; time to verdict ÷ sum of steps = ${(e.verdictSeconds / e.sumSeconds).toFixed(2)}`,
    );
  }
  // A pod that crash-loops as soon as the rollout starts.
  const grace = DEFAULT_BOUNDS.podStuckGraceMs / 1000;
  const poll = DEFAULT_BOUNDS.podWatchPollMs / 1000;
  const crashBefore = TABLE.rolloutBound + TABLE.diagnostics + TABLE.cleanup;
  const crashAfter = grace + poll + TABLE.diagnostics + TABLE.cleanup;
  console.log(
    `\ncrash-looping pod: verdict ${min(crashBefore)} after the crash before (rollout wait runs to its ${TABLE.rolloutBound} s bound), ${min(crashAfter)} after (grace ${grace} s + one poll ${poll} s, then diagnostics and cleanup)`,
  );
  const ok = after.verdictSeconds <= 7 * 60 && crashAfter <= 3 * 60;
  console.log(
    `targets: default cell ≤ 7 min ${after.verdictSeconds <= 420 ? 'OK' : 'OVER'}; crash verdict ≤ 3 min ${crashAfter <= 180 ? 'OK' : 'OVER'}`,
  );
  if (!ok) process.exitCode = 1;
}

await main();
