import { describe, expect, it } from 'vitest';
import {
  createExecProber,
  curlArgv,
  EXEC_MARGIN_MS,
  observe,
  parseCurlOutput,
  type ExecOutcome,
} from '../../src/probe/exec-prober.js';

const CLIENT = { binary: 'curl', timeoutExit: 28 };
const trailer = (code: string, t = '0.012') => `\n__cic_probe__:${code}:${t}\n`;
const http = (status: string, headers: string[], body: string) =>
  `HTTP/1.1 ${status}\r\n${headers.join('\r\n')}\r\n\r\n${body}`;
const ok = (stdout: string, exitCode = 0): ExecOutcome => ({ exitCode, stdout, stderr: '', timedOut: false });

describe('curl from a source, read like a gateway answer', () => {
  it('builds argv with fixed flags and the request as separate arguments', () => {
    const argv = curlArgv(
      'curl',
      'http://svc.ns.svc.cluster.local:80/a?b=1',
      {
        method: 'POST',
        path: '/a?b=1',
        headers: { 'x-y': 'a b; $(rm -rf /)' },
      },
      6500,
    );
    expect(argv).toEqual([
      'curl',
      '--silent',
      '--show-error',
      '--include',
      '--max-time',
      '6.500',
      '--request',
      'POST',
      '--header',
      'x-y: a b; $(rm -rf /)',
      '--write-out',
      '\\n__cic_probe__:%{http_code}:%{time_total}\\n',
      '--url',
      'http://svc.ns.svc.cluster.local:80/a?b=1',
    ]);
  });

  it('parses status, headers and body; skips an interim 100', () => {
    const out = `HTTP/1.1 100 Continue\r\n\r\n${http('200 OK', ['Server: envoy', 'X-Envoy-Upstream-Service-Time: 3'], 'hello')}${trailer('200')}`;
    expect(parseCurlOutput(out)).toEqual({
      status: 200,
      timeS: 0.012,
      headers: { server: 'envoy', 'x-envoy-upstream-service-time': '3' },
      body: 'hello',
    });
    expect(parseCurlOutput('no trailer')).toBeUndefined();
  });

  it.each([
    [
      'ext_authz 403 passed through the client sidecar',
      ok(
        http('403 Forbidden', ['content-length: 0', 'x-envoy-upstream-service-time: 2'], '') + trailer('403'),
      ),
      'denied-l7',
      undefined,
    ],
    [
      "the client sidecar's own connect timeout",
      ok(
        http(
          '503 Service Unavailable',
          ['content-length: 91'],
          'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection timeout',
        ) + trailer('503', '6.010'),
      ),
      'denied-l4',
      'retried and the latest reset reason: connection timeout',
    ],
    [
      'a TLS fault is the mesh, not a policy',
      ok(
        http(
          '503 Service Unavailable',
          [],
          'upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS_error',
        ) + trailer('503'),
      ),
      'unavailable',
      'mTLS handshake failed: a TLS mismatch in the mesh, not a policy (503: reset reason: connection failure, transport failure reason: TLS_error)',
    ],
    [
      'grpc-go 415 to a plain POST is the app answering',
      ok(
        http(
          '415 Unsupported Media Type',
          ['content-type: application/grpc', 'x-envoy-upstream-service-time: 1'],
          '',
        ) + trailer('415'),
      ),
      'allowed',
      undefined,
    ],
    [
      'no HTTP 503 from the client sidecar itself (no upstream header) is named as its own',
      ok(http('503 Service Unavailable', [], 'no healthy upstream') + trailer('503')),
      'unavailable',
      'no healthy upstream: the target has no ready endpoint',
    ],
    [
      'curl timed out',
      {
        exitCode: 28,
        stdout: trailer('000', '6.0'),
        stderr: 'curl: (28) Operation timed out',
        timedOut: false,
      },
      'unavailable',
      'no response within 6000 ms (probe timeout)',
    ],
    [
      'name not resolved',
      { exitCode: 6, stdout: trailer('000'), stderr: 'curl: (6) Could not resolve host: x', timedOut: false },
      'unavailable',
      "the source could not resolve the target's name (curl: (6) Could not resolve host: x)",
    ],
    [
      'kubectl exec failed',
      {
        exitCode: 1,
        stdout: '',
        stderr: 'Error from server (NotFound): pods "p" not found',
        timedOut: false,
      },
      'unavailable',
      'kubectl exec into the source failed: Error from server (NotFound): pods "p" not found',
    ],
    [
      'kubectl exec hung',
      { exitCode: null, stdout: '', stderr: '', timedOut: true },
      'unavailable',
      'kubectl exec gave no answer in time (probe timeout 6000 ms)',
    ],
  ])('%s', (_name, out, verdict, reason) => {
    const o = observe(out, 6000, { client: CLIENT }, 10);
    expect(o.verdict).toBe(verdict);
    expect(o.reason).toBe(reason);
  });

  it('the prober bounds kubectl exec by the probe timeout plus a margin, and stops on cancel', async () => {
    const calls: { argv: readonly string[]; timeoutMs: number }[] = [];
    const prober = createExecProber({
      baseUrl: 'http://productcatalogservice.boutique.svc.cluster.local:3550',
      timeoutMs: 7000,
      client: CLIENT,
      exec: async (argv, timeoutMs) => {
        calls.push({ argv, timeoutMs });
        return ok(http('415 x', ['x-envoy-upstream-service-time: 1'], '') + trailer('415'));
      },
    });
    const o = await prober.probe({ method: 'POST', path: '/p' });
    expect(o.verdict).toBe('allowed');
    expect(calls[0]!.timeoutMs).toBe(7000 + EXEC_MARGIN_MS);
    expect(calls[0]!.argv.at(-1)).toBe('http://productcatalogservice.boutique.svc.cluster.local:3550/p');
    const ctl = new AbortController();
    ctl.abort(new Error('stop'));
    await expect(prober.probe({ method: 'GET', path: '/' }, ctl.signal)).rejects.toThrow('stop');
  });
});
