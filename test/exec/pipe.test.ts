import { describe, expect, it } from 'vitest';
import { execaRunner } from '../../src/exec/process.js';

const node = process.execPath;
const runner = execaRunner();
const writer = (text: string) => [node, '-e', `process.stdout.write(process.argv[1].repeat(20000))`, text];
const counter = [
  node,
  '-e',
  `let n=0;process.stdin.on('data',c=>n+=c.length).on('end',()=>console.log('got',n))`,
];

describe('runPipe: one program into another, no shell', () => {
  it('feeds every byte of the first into the second; words reach argv as written', async () => {
    const r = await runner.pipe!([writer('a;$(echo x)|'), counter], { timeoutMs: 20_000 });
    expect(r.exitCode).toBe(0);
    // 12 characters × 20000: the shell-looking argument was never parsed by a shell.
    expect(r.stdout.trim()).toBe(`got ${12 * 20000}`);
    expect(r.argv).toContain('|');
  });

  it('a failing writer fails the pipe (pipefail), with its stderr kept', async () => {
    const failing = [
      node,
      '-e',
      `console.error('Error response from daemon: No such image: x');process.exit(3)`,
    ];
    const r = await runner.pipe!([failing, counter], { timeoutMs: 20_000 });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('No such image: x');
  });

  it('a reader that fails early fails the pipe; the writer is not left hanging', async () => {
    const quits = [node, '-e', `console.error('ctr: unrecognized image format');process.exit(1)`];
    const r = await runner.pipe!([writer('y'.repeat(1000)), quits], { timeoutMs: 20_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('unrecognized image format');
    expect(r.timedOut).toBe(false);
  });

  it('a missing program is an error, not a throw', async () => {
    const r = await runner.pipe!([['/nonexistent/docker', 'save', 'x'], counter], { timeoutMs: 20_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('/nonexistent/docker');
  });

  it('cancelling stops both programs', async () => {
    const stuck = [node, '-e', 'setInterval(() => {}, 1000)'];
    const ac = new AbortController();
    const p = runner.pipe!([stuck, stuck], { timeoutMs: 60_000, signal: ac.signal });
    setImmediate(() => ac.abort());
    const r = await p;
    expect(r.cancelled).toBe(true);
    expect(r.exitCode).not.toBe(0);
  });
});
