import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FAKES_DIR } from '../fakes/servers.js';

export const ROOT = resolve(import.meta.dirname, '../..');

interface BundleModule {
  bundle(entry: string, outfile: string): Promise<void>;
  ENTRY_POINTS: { action: string; cli: string };
}

/**
 * Full runs install everything but Calico: the catalog pins the Tigera operator manifests by sha256
 * (UPSTREAM.md §6), ../shared/upstream does not hold their bytes, and the download server cannot serve
 * a stand-in that matches a pin. The Calico steps run against the fake tools in test/run/robustness.test.ts.
 */
export const WITHOUT_CALICO = 'istio,alp,workload';

/** A world where Calico is already in, as `--install istio,alp,workload` expects: Felix's Policy Sync on. */
export const CALICO_PRESENT = { initialState: { felix: { policySyncPathPrefix: '/var/run/nodeagent' } } };

/** The name the run gave its kind cluster (unique per run): from its `kind create cluster` call. */
export function createdCluster(calls: readonly Call[]): string {
  const create = calls.find((c) => c.tool === 'kind' && c.argv[0] === 'create' && c.argv[1] === 'cluster');
  if (!create) throw new Error('no kind create cluster call');
  return create.argv[create.argv.indexOf('--name') + 1]!;
}

export interface Bundles {
  readonly root: string;
  readonly action: string;
  readonly cli: string;
}

/** Builds both bundles into a temp package (dist/ + e2e-manifests/), as the action and the CLI ship. */
export async function buildBundles(): Promise<Bundles> {
  const { bundle, ENTRY_POINTS } = (await import(
    pathToFileURL(join(ROOT, 'scripts/bundle.mjs')).href
  )) as BundleModule;
  const root = await mkdtemp(join(tmpdir(), 'cic-bundle-'));
  const action = join(root, 'dist/action.js');
  const cli = join(root, 'dist/cli.js');
  await bundle(join(ROOT, ENTRY_POINTS.action), action);
  await bundle(join(ROOT, ENTRY_POINTS.cli), cli);
  await symlink(join(ROOT, 'e2e-manifests'), join(root, 'e2e-manifests'));
  return { root, action, cli };
}

export interface Call {
  readonly tool: 'kind' | 'kubectl' | 'istioctl' | 'docker';
  readonly argv: string[];
  readonly stdin: string;
  readonly cwd: string;
  readonly kubeconfig: string | null;
  readonly bin: string;
  readonly at: number;
}

export type Scenario = Record<string, unknown>;

/** One run's sandbox: scenario, transcript, fake state, caches, results. */
export class World {
  private constructor(
    readonly dir: string,
    readonly scenarioFile: string,
    readonly transcriptFile: string,
    readonly stateDir: string,
  ) {}

  static async create(scenario: Scenario = {}): Promise<World> {
    const dir = await mkdtemp(join(tmpdir(), 'cic-world-'));
    const w = new World(dir, join(dir, 'scenario.json'), join(dir, 'transcript.jsonl'), join(dir, 'state'));
    await mkdir(w.stateDir);
    await mkdir(join(dir, 'tmp'));
    await w.setScenario(scenario);
    await writeFile(w.transcriptFile, '');
    return w;
  }

  async setScenario(s: Scenario): Promise<void> {
    await writeFile(this.scenarioFile, JSON.stringify({ ...s, stateDir: this.stateDir }));
  }

  get toolCache(): string {
    return join(this.dir, 'toolcache');
  }

  get resultsDir(): string {
    return join(this.dir, 'results');
  }

  /** A clean environment: the fakes first on PATH, no inherited Actions variables. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: `${FAKES_DIR}:${process.env.PATH ?? ''}`,
      HOME: this.dir,
      TMPDIR: join(this.dir, 'tmp'),
      XDG_CACHE_HOME: join(this.dir, 'xdg-cache'),
      RUNNER_TOOL_CACHE: this.toolCache,
      RUNNER_TEMP: join(this.dir, 'tmp'),
      FAKE_SCENARIO: this.scenarioFile,
      FAKE_TRANSCRIPT: this.transcriptFile,
      ...extra,
    };
  }

  transcript(): Call[] {
    return readFileSync(this.transcriptFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Call);
  }

  state(): Record<string, unknown> {
    const f = join(this.stateDir, 'state.json');
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>) : {};
  }

  results(): Record<string, unknown> {
    return JSON.parse(readFileSync(join(this.resultsDir, 'results.json'), 'utf8')) as Record<string, unknown>;
  }

  /**
   * The built-in suite with fast timing (same steps and manifests), for scenarios that are not about the
   * suite. The fake gateway answers at once, so the probe timeout is only a bound for a starved machine.
   */
  async fastSuite(): Promise<string> {
    const src = join(ROOT, 'e2e-manifests/suites/boutique');
    const dest = join(this.dir, 'suite');
    await mkdir(dest, { recursive: true });
    for (const f of await readdir(src)) await copyFile(join(src, f), join(dest, f));
    const text = readFileSync(join(dest, 'suite.yaml'), 'utf8').replace(
      /^steps:/m,
      'timing: { consecutive: 1, interval: 20ms, hold: 50ms, probeTimeout: 15s, timeout: 10s }\nsteps:',
    );
    await writeFile(join(dest, 'suite.yaml'), text);
    return join(dest, 'suite.yaml');
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface Running {
  readonly child: ChildProcess;
  readonly done: Promise<Exit>;
}

export function start(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  cwd: string,
  node: string = process.execPath,
): Running {
  const started = Date.now();
  const child = spawn(node, [script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<Exit>((r) =>
    child.on('close', (code, signal) => r({ code, signal, stdout, stderr, ms: Date.now() - started })),
  );
  return { child, done };
}

/** Reads a GITHUB_OUTPUT / GITHUB_STATE file (`name<<DELIM` blocks or `name=value` lines). */
export function parseCommandFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
      out[name!] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

export interface ActionRun {
  readonly exit: Exit;
  readonly outputs: Record<string, string>;
  readonly state: Record<string, string>;
  readonly summary: string;
}

/** Runs the action bundle as the runner does: INPUT_* variables and the command files. */
export function startAction(
  bundles: Bundles,
  world: World,
  inputs: Record<string, string>,
  phase: 'main' | 'post' = 'main',
  savedState: Record<string, string> = {},
): { running: Running; finished: Promise<ActionRun> } {
  const files = {
    GITHUB_OUTPUT: join(world.dir, `${phase}.output`),
    GITHUB_STATE: join(world.dir, `${phase}.state`),
    GITHUB_STEP_SUMMARY: join(world.dir, `${phase}.summary.md`),
  };
  // The runner creates the command files before the step starts.
  for (const f of Object.values(files)) writeFileSync(f, '');
  const env = world.env({ ...files, GITHUB_ACTIONS: 'true' });
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  for (const [k, v] of Object.entries(savedState)) env[`STATE_${k}`] = v;
  const running = start(bundles.action, [], env, world.dir);
  const finished = running.done.then(async (exit) => ({
    exit,
    outputs: parseCommandFile(files.GITHUB_OUTPUT),
    state: parseCommandFile(files.GITHUB_STATE),
    summary: existsSync(files.GITHUB_STEP_SUMMARY) ? readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8') : '',
  }));
  return { running, finished };
}

/** Resolves once the transcript has a call matching `pred` (polling; the bound is only a safety net). */
export async function waitForCall(
  world: World,
  pred: (c: Call) => boolean,
  timeoutMs = 90_000,
): Promise<Call> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = world.transcript().find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error('the expected fake tool call never came');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Index of the first call matching pred (-1 when none): for order assertions. */
export function indexOf(calls: readonly Call[], pred: (c: Call) => boolean): number {
  return calls.findIndex(pred);
}

export const is =
  (tool: Call['tool'], ...words: string[]) =>
  (c: Call): boolean =>
    c.tool === tool && words.every((w, i) => c.argv[i] === w);
