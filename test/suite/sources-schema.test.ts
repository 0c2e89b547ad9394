import { describe, expect, it } from 'vitest';
import { parseSuiteText, SuiteError } from '../../src/suite/load.js';
import {
  clientDeployment,
  clientName,
  clientIdentity,
  routesOf,
  sourcesOf,
} from '../../src/suite/sources.js';
import { PROBE_CLIENT } from '../../src/catalog/index.js';

const suite = (steps: string) => `apiVersion: calico-istio-conformance/v1
kind: Suite
name: s
target: { namespace: shop }
steps:
${steps}`;

function problems(text: string): string[] {
  try {
    parseSuiteText(text, 'suite.yaml');
  } catch (e) {
    if (e instanceof SuiteError) return e.problems.map((p) => `${p.line}: ${p.field}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('sources and targets in a suite file', () => {
  it.each([
    [
      'from without to',
      `  - name: a
    expect:
      - from: { namespace: shop, serviceAccount: web }
        request: { path: / }
        verdict: allow`,
      [
        '8: steps[0].expect[0].to: a request from a source needs a target Service: to: {service, port} (the ingress URL is reachable from the runner only)',
      ],
    ],
    [
      'to without from',
      `  - name: a
    to: { service: api, port: 80 }
    expect:
      - request: { path: / }
        verdict: allow`,
      [
        '9: steps[0].expect[0].from: a request to a Service needs a source inside the mesh: from: {namespace, serviceAccount} or {namespace, selector}',
      ],
    ],
    [
      'both selector and serviceAccount',
      `  - name: a
    to: { service: api, port: 80 }
    from: { namespace: shop, serviceAccount: web, selector: app=web }
    expect:
      - request: { path: / }
        verdict: allow`,
      [
        '8: steps[0].from.serviceAccount: name either selector (an existing workload) or serviceAccount (a probe client the harness deploys), not both',
      ],
    ],
    [
      'labels on a workload, a bad port',
      `  - name: a
    to: { service: api, port: 70000 }
    from: { namespace: shop, selector: app=web, labels: { a: b } }
    expect:
      - request: { path: / }
        verdict: allow`,
      [
        '7: steps[0].to.port: must be at most 65535, got number 70000',
        '8: steps[0].from.labels: is only allowed with serviceAccount (a probe client)',
      ],
    ],
  ])('%s is refused where it is written', (_n, steps, want) => {
    expect(problems(suite(steps))).toEqual(want);
  });

  it('step defaults, expectation overrides; one client per identity', () => {
    const { spec } = parseSuiteText(
      suite(`  - name: a
    from: { namespace: shop, serviceAccount: web, labels: { app: web } }
    to: { service: api, port: 8080 }
    expect:
      - request: { path: / }
        verdict: allow
      - from: { namespace: shop, serviceAccount: batch }
        to: { service: db, port: 5432, namespace: data }
        request: { path: / }
        verdict: deny
      - request: { path: /x }
        verdict: allow`),
      'suite.yaml',
    );
    const routes = routesOf(spec)[0]!;
    expect(
      routes.map((r) => `${r?.from.serviceAccount} -> ${r?.to.service}.${r?.to.namespace}:${r?.to.port}`),
    ).toEqual(['web -> api.shop:8080', 'batch -> db.data:5432', 'web -> api.shop:8080']);
    const sources = sourcesOf(spec);
    expect(sources).toHaveLength(2);
    expect(clientIdentity(sources[0]!)).toEqual({
      namespace: 'shop',
      labels: { app: 'web' },
      serviceAccount: 'web',
    });
    const name = clientName(sources[0]!);
    expect(name).toMatch(/^cic-probe-web-[0-9a-f]{8}$/);
    expect(clientName(sources[1]!)).not.toBe(name);
    const d = clientDeployment(
      { ...PROBE_CLIENT, image: 'docker.io/istio/proxyv2:1.28.1' },
      sources[0]!,
      name,
    ) as any;
    const pod = d.spec.template.spec;
    expect(pod.serviceAccountName).toBe('web');
    expect(pod.containers[0]).toMatchObject({
      name: 'client',
      image: 'docker.io/istio/proxyv2:1.28.1',
      securityContext: { runAsUser: 1000 },
    });
    // No injection-template annotation: the default sidecar template, no Dikastes.
    expect(d.spec.template.metadata.annotations).toBeUndefined();
    expect(d.spec.template.metadata.labels).toMatchObject({ app: 'web' });
  });
});
