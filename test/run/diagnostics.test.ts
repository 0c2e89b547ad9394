import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectDiagnostics, type DiagnosticEntry } from '../../src/diagnostics/collect.js';
import { execaRunner, type ProcessRunner } from '../../src/exec/process.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const pods = {
  items: [
    {
      metadata: { name: 'frontend-1', labels: { app: 'frontend' } },
      spec: {
        containers: [{ name: 'server' }, { name: 'dikastes' }],
        initContainers: [{ name: 'istio-proxy', restartPolicy: 'Always' }],
      },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'server', ready: true },
          { name: 'dikastes', ready: false },
        ],
        initContainerStatuses: [{ name: 'istio-proxy', ready: true }],
      },
    },
  ],
};

describe('diagnostics', () => {
  it('collects each item bounded, records failures without throwing, packs one archive with the system tar', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cic-diag-'));
    dirs.push(dir);
    const real = execaRunner();
    const seen: string[][] = [];
    const runner: ProcessRunner = {
      async run(argv, opts) {
        seen.push([...argv]);
        if (argv[0] === 'tar') return real.run(argv, opts);
        const ok = (stdout: string) => ({
          argv,
          exitCode: 0,
          stdout,
          stderr: '',
          timedOut: false,
          cancelled: false,
          durationMs: 1,
        });
        if (argv.includes('pods') && argv.includes('json')) return ok(JSON.stringify(pods));
        if (argv.includes('felixconfigurations.projectcalico.org'))
          return {
            ...ok(''),
            exitCode: 1,
            stderr: 'error: the server doesn\'t have a resource type "felixconfigurations"',
          };
        if (argv.includes('events')) return { ...ok(''), exitCode: null, timedOut: true };
        return ok(`output of ${argv.slice(1).join(' ')}`);
      },
    };
    const got = await collectDiagnostics(
      runner,
      {
        dir: join(dir, 'diagnostics'),
        archive: join(dir, 'diagnostics.tar.gz'),
        kubectl: 'kubectl',
        istioNamespace: 'istio-system',
        kind: { path: 'kind', cluster: 'c1' },
        istioctl: () => Promise.reject(new Error('istioctl 1.28.1: checksum mismatch')),
        env: { KUBECONFIG: '/k' },
        namespace: 'boutique',
        timeoutMs: 1000,
        clusterWide: true,
      },
      new AbortController().signal,
    );
    expect(got.archive).toBe(join(dir, 'diagnostics.tar.gz'));
    const byFile = Object.fromEntries(got.entries.map((e: DiagnosticEntry) => [e.file, e]));
    expect(byFile['felixconfiguration.yaml']).toMatchObject({ ok: false });
    expect(byFile['events.txt']!.detail).toBe('timed out after 1000 ms');
    expect(byFile['envoy-listeners.frontend-1.json']).toMatchObject({
      ok: false,
      detail: 'istioctl 1.28.1: checksum mismatch',
    });
    expect(byFile['describe/frontend-1.txt']).toMatchObject({ ok: true });
    expect(byFile['logs/frontend-1.dikastes.log']!.argv).toEqual([
      'kubectl',
      'logs',
      'frontend-1',
      '-c',
      'dikastes',
      '-n',
      'boutique',
    ]);
    expect(byFile['logs/frontend-1.istio-proxy.log']).toMatchObject({ ok: true });
    expect(byFile['kind-logs']!.argv).toEqual([
      'kind',
      'export',
      'logs',
      join(dir, 'diagnostics', 'kind-logs'),
      '--name',
      'c1',
    ]);
    expect(seen.at(-1)!.slice(0, 2)).toEqual(['tar', '-czf']);
    const listing = execFileSync('tar', ['-tzf', got.archive!], { encoding: 'utf8' });
    expect(listing).toContain('diagnostics/index.json');
    expect(listing).toContain('diagnostics/logs/frontend-1.dikastes.log');
    expect(JSON.parse(readFileSync(join(dir, 'diagnostics/index.json'), 'utf8'))).toHaveLength(
      got.entries.length,
    );
  });

  it('on a user’s cluster covers only the namespaces the harness used, and redacts secrets', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cic-diag-'));
    dirs.push(dir);
    const real = execaRunner();
    const seen: string[][] = [];
    const runner: ProcessRunner = {
      async run(argv, opts) {
        seen.push([...argv]);
        if (argv[0] === 'tar') return real.run(argv, opts);
        const stdout =
          argv.includes('pods') && argv.includes('json') ? JSON.stringify(pods) : 'token s3cr3t-token';
        return { argv, exitCode: 0, stdout, stderr: '', timedOut: false, cancelled: false, durationMs: 1 };
      },
    };
    const got = await collectDiagnostics(
      runner,
      {
        dir: join(dir, 'diagnostics'),
        archive: join(dir, 'diagnostics.tar.gz'),
        kubectl: 'kubectl',
        istioNamespace: 'istio-system',
        env: {},
        namespace: 'shop',
        namespaces: ['istio-system', 'calico-system', 'shop'],
        redact: (t) => t.replaceAll('s3cr3t-token', '***'),
      },
      new AbortController().signal,
    );
    const kubectl = seen.filter((a) => a[0] === 'kubectl');
    expect(kubectl.some((a) => a.includes('-A') || a.includes('--all-namespaces'))).toBe(false);
    expect(kubectl.some((a) => a[1] === 'describe' && a[2] === 'nodes')).toBe(false);
    const files = got.entries.map((e) => e.file);
    expect(files).toEqual(
      expect.arrayContaining(['get-all.shop.txt', 'events.istio-system.txt', 'get-all.calico-system.txt']),
    );
    for (const a of kubectl.filter((a) => a[1] === 'get' && (a[2] === 'all' || a[2] === 'events')))
      expect(['shop', 'istio-system', 'calico-system']).toContain(a[a.indexOf('-n') + 1]);
    const archive = execFileSync('tar', ['-xzOf', got.archive!], { encoding: 'utf8' });
    expect(archive).not.toContain('s3cr3t-token');
    expect(archive).toContain('token ***');
  });
});
