import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execaRunner } from '../../src/exec/process.js';

const node = process.execPath;
const runner = execaRunner();

/** Running (a zombie waiting for init to reap it counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((res) => setTimeout(res, 50));
  }
  return !alive(pid);
}

/** A parent that starts a long-sleeping child, prints the child's pid, and sleeps too. */
const TREE = `
const { spawn } = require('node:child_process');
const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'inherit' });
console.log('child ' + c.pid);
setTimeout(() => {}, 60000);
`;

describe('execaRunner', () => {
  it('returns exit code, stdout and stderr without throwing on failure', async () => {
    const r = await runner.run([node, '-e', 'console.log("out"); console.error("err"); process.exit(3)'], {
      timeoutMs: 10_000,
    });
    expect(r.exitCode).toBe(3);
    expect(r.stdout.trim()).toBe('out');
    expect(r.stderr.trim()).toBe('err');
    expect(r.timedOut).toBe(false);
    expect(r.cancelled).toBe(false);
  });

  it('passes argv verbatim (no shell), env merged over process.env, cwd and stdin', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cic-proc-'));
    try {
      const script =
        'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify({a:process.argv.slice(1),x:process.env.CIC_X,p:!!process.env.PATH,cwd:process.cwd(),s})))';
      const r = await runner.run([node, '-e', script, '$(echo hi)', 'a b;c'], {
        timeoutMs: 10_000,
        cwd: dir,
        env: { CIC_X: 'y' },
        input: 'stdin text',
      });
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        a: ['$(echo hi)', 'a b;c'],
        x: 'y',
        p: true,
        cwd: dir,
        s: 'stdin text',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('streams lines as they arrive', async () => {
    const lines: string[] = [];
    const r = await runner.run(
      [node, '-e', 'console.log("one"); console.error("two"); process.stdout.write("three")'],
      {
        timeoutMs: 10_000,
        onLine: (l, s) => lines.push(`${s}:${l}`),
      },
    );
    expect(r.exitCode).toBe(0);
    expect(lines.sort()).toEqual(['stderr:two', 'stdout:one', 'stdout:three']);
  });

  it('kills the whole process tree at the time bound', async () => {
    const t0 = performance.now();
    // The same tree from sh, which starts in a millisecond: a loaded machine cannot make Node's own
    // start-up outlast the bound before the child exists.
    const r = await runner.run(['sh', '-c', 'sleep 60 & echo "child $!"; sleep 60'], { timeoutMs: 700 });
    const elapsed = performance.now() - t0;
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(elapsed).toBeLessThan(5_000);
    const child = Number(/child (\d+)/.exec(r.stdout)?.[1]);
    expect(child).toBeGreaterThan(0);
    expect(await goneWithin(child, 3_000)).toBe(true);
  });

  it('kills the tree when the signal aborts, and reports cancelled', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    // Aborts once the child exists (not after a guessed delay), so there is a tree to kill.
    const r = await runner.run([node, '-e', TREE], {
      timeoutMs: 60_000,
      signal: ac.signal,
      onLine: (l) => l.startsWith('child ') && ac.abort(),
    });
    expect(r.cancelled).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(performance.now() - t0).toBeLessThan(5_000);
    const child = Number(/child (\d+)/.exec(r.stdout)?.[1]);
    expect(await goneWithin(child, 3_000)).toBe(true);
  });

  it('reports a missing executable as a failed result, not an exception', async () => {
    const r = await runner.run(['/nonexistent/cic-no-such-tool', 'x'], { timeoutMs: 5_000 });
    expect(r.exitCode).toBeNull();
    expect(r.stderr).toMatch(/ENOENT|no such file/i);
  });

  it('does not start when the signal is already aborted', async () => {
    const r = await runner.run([node, '-e', 'require("fs").writeFileSync("/dev/stderr","ran")'], {
      timeoutMs: 5_000,
      signal: AbortSignal.abort(),
    });
    expect(r.cancelled).toBe(true);
    expect(r.stderr).toBe('');
  });
});
