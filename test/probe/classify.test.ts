import { describe, expect, it } from 'vitest';
import { classifyError, classifyResponse, type RawResponse } from '../../src/probe/classify.js';

const envoy = { server: 'istio-envoy' };
const upstream = { ...envoy, 'x-envoy-upstream-service-time': '4' };
const r = (status: number, body = '', headers: Record<string, string> = envoy): RawResponse => ({
  status,
  headers,
  body,
  bodyBytes: Buffer.byteLength(body),
});
const reset = (reason: string) => `upstream connect error or disconnect/reset before headers. ${reason}`;

describe('classifyResponse', () => {
  it.each([
    ['ext_authz 403, empty body, istio-envoy', r(403), 'denied-l7'],
    ['ext_authz 403 from plain Envoy', r(403, '', { server: 'envoy' }), 'denied-l7'],
    [
      'bare connection failure, no duration known',
      r(503, reset('reset reason: connection failure')),
      'unavailable',
    ],
    ['connection termination', r(503, reset('reset reason: connection termination')), 'unavailable'],
    ['L4: connection timeout', r(503, reset('reset reason: connection timeout')), 'denied-l4'],
    [
      'refused after retry (Felix drops, never refuses)',
      r(
        503,
        reset(
          'retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: 111',
        ),
      ),
      'unavailable',
    ],
    ['app 200', r(200, '<html>', upstream), 'allowed'],
    ['app 200 without any proxy headers', r(200, 'ok', {}), 'allowed'],
    ['app 404 with a body', r(404, 'page not found', envoy), 'allowed'],
    ['app 404, empty body, but upstream timing header', r(404, '', upstream), 'allowed'],
    ['app 500', r(500, 'boom', upstream), 'allowed'],
    ['app 503 through Envoy', r(503, 'busy', upstream), 'allowed'],
    ['app 403 with a body', r(403, 'forbidden by the app', upstream), 'allowed'],
    ['403 empty body without an Envoy server header', r(403, '', {}), 'denied-l7'],
    ['no healthy upstream', r(503, 'no healthy upstream'), 'unavailable'],
    ['no route: Envoy 404, empty, no upstream timing', r(404), 'unavailable'],
    ['bad gateway', r(502), 'unavailable'],
    ['Envoy upstream request timeout', r(504, 'upstream request timeout'), 'unavailable'],
    ['circuit breaker overflow', r(503, reset('reset reason: overflow')), 'unavailable'],
    ['unrecognised reset reason', r(503, reset('reset reason: something new')), 'unavailable'],
    ['Istio AuthorizationPolicy', r(403, 'RBAC: access denied'), 'denied-mesh'],
    ['Istio RequestAuthentication', r(401, 'Jwt is missing', upstream), 'denied-mesh'],
    ['local rate limit', r(429, 'local_rate_limited', upstream), 'denied-mesh'],
  ] as const)('%s → %s', (_name, raw, verdict) => {
    expect(classifyResponse(raw).verdict).toBe(verdict);
  });

  it('keeps the reset reason of an L4 denial and explains every unavailable', () => {
    expect(classifyResponse(r(503, reset('reset reason: connection timeout'))).reason).toBe(
      'reset reason: connection timeout',
    );
    expect(classifyResponse(r(403, 'RBAC: access denied')).reason).toMatch(/AuthorizationPolicy.*not Calico/);
    expect(classifyResponse(r(404)).reason).toMatch(/no route/);
    expect(classifyResponse(r(503, 'no healthy upstream')).reason).toMatch(/no healthy upstream/);
  });
});

describe('classifyError', () => {
  const err = (code: string) => Object.assign(new Error(`boom ${code}`), { code });
  it.each([
    ['ECONNREFUSED', /connection refused/],
    ['ECONNRESET', /connection reset/],
    ['UND_ERR_SOCKET', /connection reset/],
    ['ENOTFOUND', /not resolved/],
    ['EWEIRD', /request failed: EWEIRD/],
  ])('%s is unavailable', (code, reason) => {
    const c = classifyError(err(code), 1000, false);
    expect(c.verdict).toBe('unavailable');
    expect(c.reason).toMatch(reason);
  });

  it('names our own timeout, whatever the error', () => {
    expect(classifyError(err('UND_ERR_ABORTED'), 250, true)).toEqual({
      verdict: 'unavailable',
      reason: 'no response within 250 ms (probe timeout)',
    });
  });

  it('finds the code on a cause', () => {
    const e = new Error('fetch failed', { cause: err('ECONNREFUSED') });
    expect(classifyError(e, 1000, false).reason).toMatch(/refused/);
  });
});
