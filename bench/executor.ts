// Runs the default cell's real plan through the executor over in-process fake tools with scaled
// latencies, and compares wall time with the critical path (target wall ÷ critical ≤ 1.10).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { resolveCell } from '../src/resolve/cell.js';
import { parseCellConfig } from '../src/config/cell-config.js';
import { cliNaming } from '../src/config/inputs.js';
import { executePlan } from '../src/exec/executor.js';
import { sleepFor } from '../src/util/sleep.js';
import type { Fetcher } from '../src/exec/fetch.js';
import { streamLog } from '../src/exec/log.js';
import type { ProcessRunner, RunResult } from '../src/exec/process.js';
import { buildPlan } from '../src/plan/build.js';
import { isFetch, type PlanCommand, type PlanStep } from '../src/plan/types.js';

/** Real seconds → bench milliseconds (kind create 30 s → 300 ms). */
const SCALE_MS_PER_S = 10;

/** Rough real durations of each tool call on a GitHub runner, in seconds. */
const FETCH_SECONDS = 0.5;
const commandSeconds = (c: PlanCommand): number => (isFetch(c) ? FETCH_SECONDS : latencySeconds(c.exec));

function latencySeconds(argv: readonly string[]): number {
  const a = argv.join(' ');
  if (a.startsWith('kind create cluster')) return 30;
  if (a.startsWith('kind load docker-image')) return 25;
  if (argv[0] === 'docker') return 4;
  if (a.includes('tigerastatus/calico')) return 60;
  if (a.includes('tigerastatus/apiserver')) return 20;
  if (a.includes('condition=Ready') && a.includes('nodes')) return 5;
  if (a.includes('apiservice/')) return 3;
  if (a.includes('rollout status') && a.includes('tigera-operator')) return 15;
  if (a.includes('rollout status')) return 10;
  if (a.includes('condition=Established')) return 3;
  if (argv[0] === 'istioctl') return 45;
  if (a.includes('--for=condition=Available') && a.includes('deployment')) return 90;
  if (argv[0] === 'kubectl') return 1;
  return 0.5;
}

/** Tool downloads (seconds): kind first; kubectl and istioctl overlap cluster creation. */
const DOWNLOAD_SECONDS: Record<string, number> = { kind: 3, kubectl: 6, istioctl: 8 };

const scaled = (s: number): number => s * SCALE_MS_PER_S;

const fakeRunner: ProcessRunner = {
  async run(argv, opts): Promise<RunResult> {
    const t0 = performance.now();
    const name = argv[0]!.split('/').at(-1)!;
    await sleepFor(
      scaled(latencySeconds([name, ...argv.slice(1)])),
      opts.signal ?? AbortSignal.timeout(opts.timeoutMs),
    );
    return {
      argv,
      exitCode: 0,
      stdout: '',
      stderr: '',
      timedOut: false,
      cancelled: false,
      durationMs: performance.now() - t0,
    };
  },
};

const fakeFetcher: Fetcher = {
  async fetchToFile(_url, _dest, { sha256, signal }) {
    await sleepFor(scaled(FETCH_SECONDS), signal);
    return { sha256: sha256 ?? '0'.repeat(64), bytes: 0 };
  },
};

const stepSeconds = (s: PlanStep): number => s.commands.reduce((t, c) => t + commandSeconds(c), 0);
const toolsOf = (s: PlanStep): string[] => [
  ...new Set(
    s.commands.flatMap((c) => (isFetch(c) ? [] : [c.exec[0]!])).filter((c) => c in DOWNLOAD_SECONDS),
  ),
];

/** Longest chain (ms) through the DAG, a step starting after its dependencies and its tools. */
function criticalPath(steps: readonly PlanStep[]): { ms: number; chain: string[] } {
  const finish = new Map<string, { at: number; chain: string[] }>();
  const visit = (s: PlanStep): { at: number; chain: string[] } => {
    const known = finish.get(s.id);
    if (known) return known;
    let start = { at: 0, chain: [] as string[] };
    for (const d of s.dependsOn) {
      const f = visit(steps.find((x) => x.id === d)!);
      if (f.at > start.at) start = f;
    }
    for (const t of toolsOf(s)) {
      const at = scaled(DOWNLOAD_SECONDS[t]!);
      if (at > start.at) start = { at, chain: [`download ${t}`] };
    }
    const r = { at: start.at + scaled(stepSeconds(s)), chain: [...start.chain, s.id] };
    finish.set(s.id, r);
    return r;
  };
  let best = { at: 0, chain: [] as string[] };
  for (const s of steps) {
    const f = visit(s);
    if (f.at > best.at) best = f;
  }
  return { ms: best.at, chain: best.chain };
}

async function main(): Promise<void> {
  const cell = resolveCell(parseCellConfig({}, cliNaming));
  const { plan } = buildPlan(cell);
  const planDir = await mkdtemp(join(tmpdir(), 'cic-bench-exec-'));
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  try {
    const runs: number[] = [];
    let lastStatuses = '';
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const tools = Object.fromEntries(
        Object.entries(DOWNLOAD_SECONDS).map(([t, s]) => [
          t,
          new Promise<string>((r) => setTimeout(() => r(`/opt/tools/${t}`), scaled(s))),
        ]),
      );
      const results = await executePlan(
        plan.steps,
        {
          planDir,
          env: { KUBECONFIG: join(planDir, 'kubeconfig') },
          tools,
          signal: AbortSignal.timeout(120_000),
        },
        { runner: fakeRunner, fetcher: fakeFetcher, log: streamLog(sink), now: Date.now, sleep: sleepFor },
      );
      runs.push(performance.now() - t0);
      lastStatuses = [...new Set(results.map((r) => r.status))].join(',');
      if (lastStatuses !== 'passed') throw new Error(`bench run did not pass: ${JSON.stringify(results)}`);
    }
    const wall = Math.min(...runs);
    const critical = criticalPath(plan.steps);
    const sequential =
      plan.steps.reduce((t, s) => t + scaled(stepSeconds(s)), 0) +
      Object.values(DOWNLOAD_SECONDS).reduce((t, s) => t + scaled(s), 0);
    const ratio = wall / critical.ms;
    console.log(
      `cell ${cell.id}: ${plan.steps.length} steps, latencies scaled ${SCALE_MS_PER_S} ms per real second`,
    );
    console.log(`critical path: ${critical.chain.join(' → ')}`);
    console.log(
      `wall time (best of ${runs.length}): ${wall.toFixed(0)} ms (runs ${runs.map((r) => r.toFixed(0)).join(', ')})`,
    );
    console.log(`critical path: ${critical.ms.toFixed(0)} ms`);
    console.log(`wall ÷ critical path: ${ratio.toFixed(3)} (target ≤ 1.10) ${ratio <= 1.1 ? 'OK' : 'OVER'}`);
    console.log(
      `sequential sum (steps + downloads): ${sequential.toFixed(0)} ms; overlap saves ${(100 * (1 - wall / sequential)).toFixed(0)}%`,
    );
    if (ratio > 1.1) process.exitCode = 1;
  } finally {
    await rm(planDir, { recursive: true, force: true });
  }
}

await main();
