import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executePlan, type ExecuteOptions } from '../../src/exec/executor.js';
import { undiciFetcher } from '../../src/exec/fetch.js';
import { execaRunner, type ProcessRunner } from '../../src/exec/process.js';
import type { PlanCommand, PlanStep } from '../../src/plan/types.js';
import type { PhaseResult } from '../../src/result/schema.js';
import { startServer, type TestServer } from '../tools/http-server.js';
import { deps, FakeRunner, gatedCalls, memoryLog } from './fakes.js';

const node = process.execPath;

/** argv shorthand: `['fetch', '--sha256', HEX, URL, DEST]` is a download, anything else an exec. */
function command(argv: string[]): PlanCommand {
  if (argv[0] !== 'fetch') return { exec: argv };
  const pinned = argv[1] === '--sha256';
  const [url, dest] = argv.slice(pinned ? 3 : 1);
  return { fetch: { url: url!, dest: dest!, ...(pinned ? { sha256: argv[2]! } : {}) } };
}

function step(
  id: string,
  commands: string[][],
  extra: Partial<Omit<PlanStep, 'retry'>> & {
    retry?: Omit<NonNullable<PlanStep['retry']>, 'beforeRetry'> & { beforeRetry?: string[][] };
  } = {},
): PlanStep {
  const { retry, ...rest } = extra;
  const typedRetry = retry && {
    attempts: retry.attempts,
    delaySeconds: retry.delaySeconds,
    transient: retry.transient,
    ...(retry.beforeRetry ? { beforeRetry: retry.beforeRetry.map((a) => ({ exec: a })) } : {}),
  };
  return {
    id,
    title: `title ${id}`,
    phase: 'cluster',
    commands: commands.map(command),
    manifests: [],
    timeoutSeconds: 30,
    dependsOn: [],
    ...rest,
    ...(typedRetry ? { retry: typedRetry } : {}),
  };
}

let planDir: string;
beforeEach(async () => {
  planDir = await mkdtemp(join(tmpdir(), 'cic-exec-'));
});
afterEach(async () => {
  await rm(planDir, { recursive: true, force: true });
});

const options = (o: Partial<ExecuteOptions> = {}): ExecuteOptions => ({
  planDir,
  env: {},
  tools: {},
  signal: AbortSignal.timeout(60_000),
  ...o,
});

const statuses = (rs: PhaseResult[]): Record<string, string> =>
  Object.fromEntries(rs.map((r) => [r.id, r.status]));

describe('executePlan: scheduling', () => {
  it('background steps: nothing waits on them, a failure stays local, they stop once every other step is done', async () => {
    // A pull that would hang for an hour: only the end of the foreground steps can stop it.
    const fake = new FakeRunner((argv) =>
      argv.includes('slow')
        ? { delayMs: 3_600_000 }
        : argv.includes('bad')
          ? { exitCode: 1, stderr: 'pull failed' }
          : {},
    );
    // The install ends only after the pull queued behind the failed one has run: an event, not a clock.
    const pulledAfterBad = Promise.withResolvers<void>();
    const runner: ProcessRunner = {
      async run(argv, opts) {
        if (argv.includes('install')) await pulledAfterBad.promise;
        const r = await fake.run(argv, opts);
        if (argv.includes('ok')) pulledAfterBad.resolve();
        return r;
      },
    };
    const { log } = memoryLog();
    const bg = { optional: true, background: true } as const;
    const steps = [
      step('create', [['kind', 'create']]),
      step('pull-slow', [['docker', 'slow']], { dependsOn: ['create'], ...bg }),
      step('pull-bad', [['docker', 'bad']], { dependsOn: ['create'], ...bg }),
      step('pull-after-bad', [['docker', 'ok']], { dependsOn: ['pull-bad'], ...bg }),
      step('pull-after-slow', [['docker', 'never']], { dependsOn: ['pull-slow'], ...bg }),
      step('install', [['kubectl', 'install']], { dependsOn: ['create'] }),
    ];
    const results = await executePlan(steps, options(), deps(runner, log));
    expect(statuses(results)).toEqual({
      create: 'passed',
      'pull-slow': 'cancelled',
      'pull-bad': 'failed',
      'pull-after-bad': 'passed',
      'pull-after-slow': 'skipped',
      install: 'passed',
    });
    expect(results.find((r) => r.id === 'pull-slow')!.error).toContain('every other step had finished');
    expect(fake.calls.map((c) => c.argv.join(' '))).not.toContain('docker never');
  });

  it('overlaps independent steps and honours dependencies; results in plan order', async () => {
    const g = gatedCalls();
    const runner = new FakeRunner((argv) => ({ gate: g.enter(argv[1]!) }));
    const { log } = memoryLog();
    const steps = [
      step('a', [['kind', 'a']]),
      step('side', [['docker', 'side']], { dependsOn: ['a'], optional: true }),
      step('b', [['kubectl', 'b']], { dependsOn: ['a'] }),
      step('c', [['kubectl', 'c']], { dependsOn: ['b', 'side'] }),
    ];
    const done = executePlan(steps, options(), deps(runner, log));
    await g.started('a');
    expect(g.running()).toEqual(['a']);
    g.release('a');
    // Both start once a is done, before either ends (run one after the other, this never resolves).
    await Promise.all([g.started('side'), g.started('b')]);
    expect(g.running()).toEqual(['b', 'side']);
    g.release('b');
    g.release('side');
    await g.started('c');
    g.release('c');
    const rs = await done;
    expect(rs.map((r) => r.id)).toEqual(['a', 'side', 'b', 'c']);
    expect(statuses(rs)).toEqual({ a: 'passed', side: 'passed', b: 'passed', c: 'passed' });
    const at = (x: string): { start: number; end: number } => runner.calls.find((c) => c.argv[1] === x)!;
    expect(at('side').start).toBeGreaterThanOrEqual(at('a').end);
    expect(at('b').start).toBeGreaterThanOrEqual(at('a').end);
    // side and b overlap; c waits for both.
    expect(at('side').start).toBeLessThan(at('b').end);
    expect(at('c').start).toBeGreaterThanOrEqual(Math.max(at('b').end, at('side').end));
  });

  it('runs real commands in order, with cwd = planDir and the extra env', async () => {
    const { log, text } = memoryLog();
    const write = (name: string): string[] => [
      node,
      '-e',
      `require('fs').appendFileSync('order', process.argv[1] + ':' + process.env.CIC_E + '\\n')`,
      name,
    ];
    const rs = await executePlan(
      [step('one', [write('first'), write('second')]), step('two', [write('third')], { dependsOn: ['one'] })],
      options({ env: { CIC_E: 'e' } }),
      deps(execaRunner(), log),
    );
    expect(statuses(rs)).toEqual({ one: 'passed', two: 'passed' });
    expect(await readFile(join(planDir, 'order'), 'utf8')).toBe('first:e\nsecond:e\nthird:e\n');
    expect(text()).toContain('── one — title one');
    // Two commands, no retry: one attempt (attempts count retries, not commands).
    expect(rs[0]!.attempts).toBe(1);
    expect(rs[0]!.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('keeps live output of overlapping real steps inside their own groups', async () => {
    const { log, text } = memoryLog();
    const talk = (who: string): string[] => [
      node,
      '-e',
      `console.log('${who}1'); setTimeout(() => console.log('${who}2'), 150)`,
    ];
    const rs = await executePlan(
      [step('p', [talk('p')]), step('q', [talk('q')])],
      options(),
      deps(execaRunner(), log),
    );
    expect(statuses(rs)).toEqual({ p: 'passed', q: 'passed' });
    const lines = text().split('\n');
    const q = lines.indexOf('── q — title q');
    expect(lines.indexOf('p1')).toBeLessThan(q);
    expect(lines.indexOf('p2')).toBeLessThan(q);
    expect(lines.indexOf('q1')).toBeGreaterThan(q);
    expect(lines.indexOf('q2')).toBeGreaterThan(q);
  });

  it('stops at a required failure: no new step starts, the rest are skipped, error has the stderr tail', async () => {
    const runner = new FakeRunner((argv) =>
      argv[1] === 'bad'
        ? { exitCode: 1, stderr: 'line 1\nError: no matches for kind "Foo"' }
        : { delayMs: 50 },
    );
    const { log } = memoryLog();
    const rs = await executePlan(
      [
        step('a', [['kubectl', 'bad']]),
        step('b', [['kubectl', 'ok']], { dependsOn: ['a'] }),
        step('c', [['kubectl', 'ok']]),
      ],
      options(),
      deps(runner, log),
    );
    expect(statuses(rs)).toEqual({ a: 'failed', b: 'skipped', c: 'passed' });
    expect(rs[0]!.error).toMatch(/^kubectl bad exited 1\n/);
    expect(rs[0]!.error).toContain('no matches for kind "Foo"');
    expect(rs[1]!.error).toContain('step a failed');
    // Only c (no dependencies) ran `ok`; b never started.
    expect(runner.calls.filter((c) => c.argv[1] === 'ok')).toHaveLength(1);
  });

  it('does not start later independent steps after a failure', async () => {
    const runner = new FakeRunner((argv) => (argv[1] === 'bad' ? { exitCode: 2 } : {}));
    const { log } = memoryLog();
    const rs = await executePlan(
      [step('a', [['kubectl', 'bad']]), step('late', [['kubectl', 'late']], { dependsOn: ['a'] })],
      options(),
      deps(runner, log),
    );
    expect(statuses(rs)).toEqual({ a: 'failed', late: 'skipped' });
    expect(runner.calls).toHaveLength(1);
  });

  it('lets a failed optional step warn without blocking its dependents', async () => {
    const runner = new FakeRunner((argv) =>
      argv[0] === 'docker' ? { exitCode: 1, stderr: 'pull rate limit' } : {},
    );
    const { log, text } = memoryLog();
    const rs = await executePlan(
      [
        step('a', [['kind', 'x']]),
        step('preload', [['docker', 'pull', 'img']], { dependsOn: ['a'], optional: true }),
        step('b', [['kubectl', 'y']], { dependsOn: ['a', 'preload'] }),
      ],
      options(),
      deps(runner, log),
    );
    expect(statuses(rs)).toEqual({ a: 'passed', preload: 'failed', b: 'passed' });
    expect(text()).toMatch(/warning: preload: failed .*optional, going on/);
  });

  it('stops steps still running a bounded time after a required failure', async () => {
    const runner = new FakeRunner((argv) =>
      argv[1] === 'bad' ? { exitCode: 1, delayMs: 50 } : { delayMs: 30_000 },
    );
    const { log } = memoryLog();
    const t0 = performance.now();
    const rs = await executePlan(
      [step('long', [['docker', 'pull']], { optional: true }), step('a', [['kubectl', 'bad']])],
      options({ drainSeconds: 0.3 }),
      deps(runner, log),
    );
    expect(statuses(rs)).toEqual({ long: 'cancelled', a: 'failed' });
    expect(rs[0]!.error).toContain('stopped after another step failed');
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('refuses a bad plan before running anything', async () => {
    const runner = new FakeRunner(() => ({}));
    const { log } = memoryLog();
    await expect(
      executePlan([step('a', [['x']], { dependsOn: ['nope'] })], options(), deps(runner, log)),
    ).rejects.toThrow('step "a" depends on unknown step "nope"');
    await expect(
      executePlan(
        [step('a', [['x']], { dependsOn: ['b'] }), step('b', [['x']], { dependsOn: ['a'] })],
        options(),
        deps(runner, log),
      ),
    ).rejects.toThrow(/dependency cycle a → b → a/);
    await expect(
      executePlan(
        [step('a', [['x']], { retry: { attempts: 2, delaySeconds: 0, transient: ['('] } })],
        options(),
        deps(runner, log),
      ),
    ).rejects.toThrow(/retry.transient/);
    expect(runner.calls).toHaveLength(0);
  });
});

describe('executePlan: retries', () => {
  const counter = (failures: number, output: string): string[] => [
    node,
    '-e',
    `const fs=require('fs');const n=fs.existsSync('n')?+fs.readFileSync('n','utf8'):0;fs.writeFileSync('n',String(n+1));if(n<${failures}){console.error(${JSON.stringify(output)});process.exit(1)}`,
  ];

  it('retries a failure whose output matches a transient pattern (real processes)', async () => {
    const { log, text } = memoryLog();
    const rs = await executePlan(
      [
        step('w', [counter(2, 'dial tcp: connection refused')], {
          retry: { attempts: 4, delaySeconds: 0.01, transient: ['connection refused'] },
        }),
      ],
      options(),
      deps(execaRunner(), log),
    );
    expect(rs[0]).toMatchObject({ status: 'passed', attempts: 3 });
    expect(await readFile(join(planDir, 'n'), 'utf8')).toBe('3');
    expect(text()).toContain('attempt 1/4 failed with /connection refused/');
  });

  it('does not retry a failure that is not transient', async () => {
    const { log } = memoryLog();
    const rs = await executePlan(
      [
        step('w', [counter(2, 'error: invalid manifest')], {
          retry: { attempts: 4, delaySeconds: 0, transient: ['connection refused'] },
        }),
      ],
      options(),
      deps(execaRunner(), log),
    );
    expect(rs[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(await readFile(join(planDir, 'n'), 'utf8')).toBe('1');
  });

  it('gives up after the allowed attempts, saying how many', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 1, stderr: 'ServiceUnavailable' }));
    const { log } = memoryLog();
    const rs = await executePlan(
      [
        step('w', [['kubectl', 'wait']], {
          retry: { attempts: 3, delaySeconds: 0, transient: ['ServiceUnavailable'] },
        }),
      ],
      options(),
      deps(runner, log),
    );
    expect(rs[0]).toMatchObject({ status: 'failed', attempts: 3 });
    expect(rs[0]!.error).toContain('(3 attempts)');
    expect(runner.calls).toHaveLength(3);
  });

  it('runs beforeRetry commands before each new attempt', async () => {
    const runner = new FakeRunner((argv, n) =>
      argv[1] === 'create' && n === 0 ? { exitCode: 1, stderr: 'failed to create cluster' } : {},
    );
    const { log } = memoryLog();
    const rs = await executePlan(
      [
        step('cluster', [['kind', 'create', 'cluster']], {
          retry: {
            attempts: 2,
            delaySeconds: 0,
            transient: ['.'],
            beforeRetry: [['kind', 'delete', 'cluster']],
          },
        }),
      ],
      options(),
      deps(runner, log),
    );
    expect(rs[0]).toMatchObject({ status: 'passed', attempts: 2 });
    expect(runner.calls.map((c) => c.argv.join(' '))).toEqual([
      'kind create cluster',
      'kind delete cluster',
      'kind create cluster',
    ]);
  });
});

describe('executePlan: bounds and cancellation', () => {
  const sleeper = [node, '-e', 'setTimeout(() => {}, 60000)'];

  it('kills a command that runs past the step bound and marks the step timed-out', async () => {
    const { log } = memoryLog();
    const t0 = performance.now();
    const rs = await executePlan(
      [
        step('slow', [sleeper], { timeoutSeconds: 0.5 }),
        step('next', [[node, '-e', '']], { dependsOn: ['slow'] }),
      ],
      options(),
      deps(execaRunner(), log),
    );
    expect(statuses(rs)).toEqual({ slow: 'timed-out', next: 'skipped' });
    expect(rs[0]!.error).toMatch(/^timed out after 0.5 s/);
    expect(performance.now() - t0).toBeLessThan(4_000);
  });

  it('bounds the retry sleep by the step time bound too', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 1, stderr: 'NotFound' }));
    const { log } = memoryLog();
    const t0 = performance.now();
    const rs = await executePlan(
      [
        step('w', [['kubectl', 'get']], {
          timeoutSeconds: 0.3,
          retry: { attempts: 30, delaySeconds: 10, transient: ['NotFound'] },
        }),
      ],
      options(),
      deps(runner, log),
    );
    expect(rs[0]!.status).toBe('timed-out');
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('on cancellation kills the running command and cancels the rest', async () => {
    const { log } = memoryLog();
    const ac = new AbortController();
    // Cancels once the slow command is running (it says so), not after a guessed delay.
    const real = execaRunner();
    const runner: ProcessRunner = {
      run: (argv, o) =>
        real.run(argv, {
          ...o,
          onLine: (line, stream) => {
            o.onLine?.(line, stream);
            if (line === 'sleeping') ac.abort();
          },
        }),
    };
    const t0 = performance.now();
    const rs = await executePlan(
      [
        step('fast', [[node, '-e', '']]),
        step('slow', [[node, '-e', 'console.log("sleeping"); setTimeout(() => {}, 60000)']], {
          dependsOn: ['fast'],
        }),
        step('after', [[node, '-e', '']], { dependsOn: ['slow'] }),
      ],
      options({ signal: ac.signal }),
      deps(runner, log),
    );
    expect(statuses(rs)).toEqual({ fast: 'passed', slow: 'cancelled', after: 'cancelled' });
    expect(rs[2]!.error).toContain('cancelled');
    expect(performance.now() - t0).toBeLessThan(4_000);
  });

  it('waits for tool promises before a step uses them, and fails the step if a tool cannot be had', async () => {
    let resolveKind!: (p: string) => void;
    const kindPath = new Promise<string>((r) => (resolveKind = r));
    // kind arrives only once the docker step has started: a docker step waiting for kind would hang.
    let kindAt = 0;
    const runner = new FakeRunner((argv) => {
      if (argv[0] === 'docker')
        setTimeout(() => ((kindAt = performance.now()), resolveKind('/opt/tools/kind')), 150);
      return {};
    });
    const { log } = memoryLog();
    const badIstioctl = Promise.reject(new Error('istioctl 1.27.9: checksum mismatch'));
    badIstioctl.catch(() => undefined);
    const t0 = performance.now();
    const rs = await executePlan(
      [
        step('cluster', [['kind', 'create', 'cluster']]),
        step('other', [['docker', 'ps']]),
        step('istio', [['istioctl', 'install']], { dependsOn: ['cluster'] }),
      ],
      options({ tools: { kind: kindPath, istioctl: badIstioctl } }),
      deps(runner, log),
    );
    expect(statuses(rs)).toEqual({ cluster: 'passed', other: 'passed', istio: 'failed' });
    const kindCall = runner.calls.find((c) => c.argv[1] === 'create')!;
    expect(kindCall.argv[0]).toBe('/opt/tools/kind');
    expect(kindCall.start - t0).toBeGreaterThanOrEqual(140);
    // The docker step did not wait for kind.
    expect(runner.calls.find((c) => c.argv[0] === 'docker')!.start).toBeLessThan(kindAt);
    expect(rs[2]!.error).toContain('tool istioctl is not available: istioctl 1.27.9: checksum mismatch');
    expect(runner.calls.some((c) => c.argv.includes('install'))).toBe(false);
  });

  it('tolerates a failing tool download that no step reached', async () => {
    let failDownload!: (e: Error) => void;
    const late = new Promise<string>((_, reject) => (failDownload = reject));
    // The download fails while step a runs; b, the only user, is never reached.
    const runner = new FakeRunner(() => (failDownload(new Error('download failed')), { exitCode: 1 }));
    const { log } = memoryLog();
    const rs = await executePlan(
      [step('a', [['docker', 'x']]), step('b', [['istioctl', 'install']], { dependsOn: ['a'] })],
      options({ tools: { istioctl: late } }),
      deps(runner, log),
    );
    // One macrotask: an unhandled rejection would surface here and fail the test.
    await new Promise((r) => setImmediate(r));
    expect(statuses(rs)).toEqual({ a: 'failed', b: 'skipped' });
  });
});

describe('executePlan: fetch built-in and masking', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('downloads fetch DEST relative to the plan directory, verifying --sha256', async () => {
    const body = 'apiVersion: v1\nkind: List\n';
    const sha = createHash('sha256').update(body).digest('hex');
    server.route('/m.yaml', { body });
    const { log } = memoryLog();
    const runner = new FakeRunner(() => ({}));
    const rs = await executePlan(
      [
        step('get', [
          ['fetch', '--sha256', sha, `${server.url}/m.yaml`, 'downloads/m.yaml'],
          ['kubectl', 'create', '-f', 'downloads/m.yaml'],
        ]),
      ],
      options(),
      deps(runner, log, undiciFetcher({ retries: 0 })),
    );
    expect(rs[0]!.status).toBe('passed');
    expect(await readFile(join(planDir, 'downloads/m.yaml'), 'utf8')).toBe(body);
    expect(runner.calls.map((c) => c.argv.join(' '))).toEqual(['kubectl create -f downloads/m.yaml']);
  });

  it('fails the step on a sha256 mismatch and runs nothing after it', async () => {
    server.route('/m.yaml', { body: 'tampered' });
    const wrong = 'a'.repeat(64);
    const { log } = memoryLog();
    const runner = new FakeRunner(() => ({}));
    const rs = await executePlan(
      [
        step('get', [
          ['fetch', '--sha256', wrong, `${server.url}/m.yaml`, 'm.yaml'],
          ['kubectl', 'create', '-f', 'm.yaml'],
        ]),
      ],
      options(),
      deps(runner, log, undiciFetcher({ retries: 0 })),
    );
    expect(rs[0]!.status).toBe('failed');
    expect(rs[0]!.error).toContain(`expected ${wrong}`);
    expect(runner.calls).toHaveLength(0);
  });

  it('retries a fetch network failure when the step has a retry policy', async () => {
    server.route('/m.yaml', { body: 'ok', failFirst: [503] });
    const { log } = memoryLog();
    const rs = await executePlan(
      [
        step('get', [['fetch', `${server.url}/m.yaml`, 'm.yaml']], {
          retry: { attempts: 2, delaySeconds: 0, transient: [] },
        }),
      ],
      options(),
      deps(new FakeRunner(() => ({})), log, undiciFetcher({ retries: 0 })),
    );
    expect(rs[0]).toMatchObject({ status: 'passed', attempts: 2 });
  });

  it('rejects a malformed fetch before anything runs, with a clear error', async () => {
    const { log } = memoryLog();
    const runner = new FakeRunner(() => ({}));
    await expect(
      executePlan(
        [step('get', [['fetch', '--sha256', 'abc', 'https://example.invalid/m.yaml', 'm.yaml']])],
        options(),
        deps(runner, log),
      ),
    ).rejects.toThrow('plan: step "get" pins https://example.invalid/m.yaml to "abc", not 64 hex digits');
    await expect(
      executePlan([step('get', [['fetch', 'ftp://x/m.yaml', 'm.yaml']])], options(), deps(runner, log)),
    ).rejects.toThrow('fetches a non-http(s) URL');
    expect(runner.calls).toHaveLength(0);
  });

  it('prints each command shell-quoted with secrets masked, in logs and in the result', async () => {
    const { log, text } = memoryLog();
    log.mask('s3cr3t-token');
    const runner = new FakeRunner(() => ({ exitCode: 1, stderr: 'denied for s3cr3t-token' }));
    const rs = await executePlan(
      [step('login', [['docker', 'login', '--password', 's3cr3t-token', 'a b']])],
      options(),
      deps(runner, log),
    );
    expect(text()).toContain("$ docker login --password *** 'a b'");
    expect(text()).not.toContain('s3cr3t-token');
    expect(rs[0]!.error).not.toContain('s3cr3t-token');
    expect(runner.calls[0]!.argv).toContain('s3cr3t-token');
  });
});
