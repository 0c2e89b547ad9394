import { describe, expect, it } from 'vitest';
import type { ProcessRunner, RunOptions } from '../../src/exec/process.js';
import { Kubectl } from '../../src/kube/kubectl.js';

function recording(stdout = '') {
  const calls: { argv: readonly string[]; opts: RunOptions }[] = [];
  const runner: ProcessRunner = {
    async run(argv, opts) {
      calls.push({ argv, opts });
      return { argv, exitCode: 0, stdout, stderr: '', timedOut: false, cancelled: false, durationMs: 1 };
    },
  };
  return { runner, calls };
}

describe('kubectl facade', () => {
  const signal = new AbortController().signal;

  it('puts its own flags before `--`, so the command run in the pod is exactly the one asked for', async () => {
    const { runner, calls } = recording('http.inbound_0.0.0.0_8080;.ext_authz.denied: 3');
    const k = new Kubectl({ runner, path: 'kubectl', timeoutMs: 5000, requestTimeout: true });
    const got = await k.exec(
      'frontend-1',
      'istio-proxy',
      'boutique',
      ['pilot-agent', 'request', 'GET', 'stats'],
      signal,
    );
    expect(got).toEqual({ ok: true, value: 'http.inbound_0.0.0.0_8080;.ext_authz.denied: 3' });
    expect(calls[0]!.argv).toEqual([
      'kubectl',
      'exec',
      'frontend-1',
      '-c',
      'istio-proxy',
      '-n',
      'boutique',
      '--request-timeout=5s',
      '--',
      'pilot-agent',
      'request',
      'GET',
      'stats',
    ]);
  });

  it('reads JSON with -o json and the request timeout; one error line when it fails', async () => {
    const { runner, calls } = recording('{"items": []}');
    const k = new Kubectl({
      runner,
      path: 'kubectl',
      env: { KUBECONFIG: '/k' },
      timeoutMs: 3000,
      requestTimeout: true,
    });
    expect(await k.getJson(['get', 'pods', '-n', 'x'], signal)).toEqual({ ok: true, value: { items: [] } });
    expect(calls[0]!.argv).toEqual([
      'kubectl',
      'get',
      'pods',
      '-n',
      'x',
      '-o',
      'json',
      '--request-timeout=3s',
    ]);
    expect(calls[0]!.opts.env).toEqual({ KUBECONFIG: '/k' });
    const failing: ProcessRunner = {
      run: async (argv) => ({
        argv,
        exitCode: 1,
        stdout: '',
        stderr: 'Error from server (NotFound): namespaces "x" not found\nmore',
        timedOut: false,
        cancelled: false,
        durationMs: 1,
      }),
    };
    const k2 = new Kubectl({ runner: failing, path: 'kubectl', timeoutMs: 3000 });
    expect(await k2.getJson(['get', 'namespace', 'x'], signal)).toEqual({
      ok: false,
      error: 'get namespace x: Error from server (NotFound): namespaces "x" not found',
    });
  });
});
