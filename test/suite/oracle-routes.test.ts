import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../src/oracle/suite-oracle.js';
import { oracleSemanticsFor } from '../../src/resolve/oracle-semantics.js';
import type { SuiteOracleBinding } from '../../src/suite/contract.js';
import { loadSuite } from '../../src/suite/load.js';
import { judgeStep } from '../../src/suite/oracle-step.js';
import { clientName, PROBE_CLIENT_LABEL, routesOf } from '../../src/suite/sources.js';
import { ROOT } from '../contract/harness.js';

const tmp = await mkdtemp(join(tmpdir(), 'cic-oracle-routes-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const sem = (() => {
  const s = oracleSemanticsFor('v3.32.1');
  if (!s.ok) throw new Error(s.why);
  return s.sem;
})();

const LIST = '{ method: POST, path: /hipstershop.ProductCatalogService/ListProducts }';
const SUITE = `apiVersion: calico-istio-conformance/v1
kind: Suite
name: routes
target: { namespace: boutique, selector: app=frontend }
steps:
  - name: by-identity
    apply: [productcatalog-frontend-identity.yaml]
    to: { service: productcatalogservice, port: 3550 }
    expect:
      - from: { namespace: boutique, serviceAccount: frontend, labels: { app: caller } }
        request: ${LIST}
        expect: auto
      - from: { namespace: boutique, selector: app=orders }
        request: ${LIST}
        expect: auto
      - from: { namespace: boutique, serviceAccount: frontend, labels: { app: caller } }
        request: ${LIST}
        verdict: allow
`;

async function setup() {
  const dir = await mkdtemp(join(tmp, 's-'));
  await copyFile(
    join(ROOT, 'e2e-manifests/suites/boutique/productcatalog-frontend-identity.yaml'),
    join(dir, 'productcatalog-frontend-identity.yaml'),
  );
  await writeFile(join(dir, 'suite.yaml'), SUITE);
  return loadSuite(join(dir, 'suite.yaml'));
}

const CATALOG = {
  namespace: 'boutique',
  labels: { app: 'productcatalogservice' },
  serviceAccount: 'productcatalogservice',
  port: 3550,
  ports: [],
};

describe('expect: auto on a route, on a cluster', () => {
  it("judges from the client's spec and the picked workload pod to the Service's pods; reads each once", async () => {
    const suite = await setup();
    const calls: string[] = [];
    const binding: SuiteOracleBinding = {
      semantics: sem,
      readTarget: async () => {
        throw new Error('the suite target is not read when every auto expectation has a route');
      },
      readService: async (to) => {
        calls.push(`service ${to.namespace}/${to.service}:${to.port}`);
        return CATALOG;
      },
      readPods: async (namespace, selector): Promise<Identity> => {
        calls.push(`pods ${namespace} ${selector}`);
        // What a first live pod shows; for the workload the session's pick wins.
        return {
          namespace,
          labels: { app: 'orders', replica: 'other' },
          serviceAccount: 'orders',
          namespaceLabels: { team: 'shop' },
        };
      },
    };
    const step = suite.spec.steps[0]!;
    const cache = { docs: new Map() };
    const out = await judgeStep(
      step,
      step.apply,
      suite,
      binding,
      cache,
      new AbortController().signal,
      routesOf(suite.spec)[0]!,
      () => ({ namespace: 'boutique', labels: { app: 'orders' }, serviceAccount: 'frontend' }),
    );
    if (typeof out === 'string') throw new Error(out);
    // The client runs as frontend: rule 0; the workload's picked pod runs as frontend too.
    expect(out.map((o) => o?.verdict)).toEqual(['allowed', 'allowed', undefined]);
    expect(out[0]!.explanation).toContain('spiffe://cluster.local/ns/boutique/sa/frontend');
    expect(out[0]!.explanation).toContain(`${PROBE_CLIENT_LABEL}=${clientName(step.expect[0]!.from!)}`);
    expect(out[1]!.explanation).not.toContain('replica=other');
    expect(calls).toEqual([
      'service boutique/productcatalogservice:3550',
      `pods boutique ${PROBE_CLIENT_LABEL}=${clientName(step.expect[0]!.from!)}`,
      'pods boutique app=orders',
    ]);
  });

  it('a Service the cluster cannot show: the step cannot be judged, the route named', async () => {
    const suite = await setup();
    const step = suite.spec.steps[0]!;
    const out = await judgeStep(
      step,
      step.apply,
      suite,
      {
        semantics: sem,
        readTarget: async () => CATALOG,
        readService: async () => {
          throw new Error('cannot read Service productcatalogservice in boutique: NotFound');
        },
      },
      { docs: new Map() },
      new AbortController().signal,
      routesOf(suite.spec)[0]!,
    );
    expect(out).toBe(
      'the oracle cannot read the target of from boutique/sa:frontend {app=caller} to productcatalogservice.boutique:3550: cannot read Service productcatalogservice in boutique: NotFound',
    );
  });
});
