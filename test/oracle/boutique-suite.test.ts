import { readFile } from 'node:fs/promises';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { evaluateCase } from '../../src/oracle/evaluate.js';
import { DEFAULT_FROM } from '../../src/oracle/load.js';
import type { Endpoint, OracleSemantics, Policy, Verdict, World } from '../../src/oracle/model.js';
import { parseObject } from '../../src/oracle/objects.js';
import { oracleSemanticsFor } from '../../src/cli/evaluate-command.js';
import { loadSuite } from '../../src/suite/load.js';
import { clientIdentity, routesOf } from '../../src/suite/sources.js';
import { ROOT } from '../contract/harness.js';

const SUITE = `${ROOT}/e2e-manifests/suites/boutique/suite.yaml`;

function semantics(v: string): OracleSemantics {
  const s = oracleSemanticsFor(v);
  if (!s.ok) throw new Error(s.why);
  return s.sem;
}

async function policiesOf(file: string): Promise<Policy[]> {
  // Istio objects (the suite's DestinationRule) shape connections, not Calico verdicts.
  const calico = (d: unknown) =>
    !String((d as { apiVersion?: string })?.apiVersion).startsWith('networking.istio.io/');
  return loadAll(await readFile(file, 'utf8'))
    .filter(calico)
    .flatMap((doc) => {
      const { parsed, problems } = parseObject(doc, file);
      if (problems.length) throw new Error(JSON.stringify(problems));
      return parsed?.type === 'policy' ? [parsed.policy] : [];
    });
}

/** Every expectation of the built-in suite, with the policies live at its step, through the oracle. */
async function suiteVerdicts(version: string) {
  const suite = await loadSuite(SUITE);
  const selector = suite.spec.target.selector;
  if (!selector) throw new Error('the built-in suite names its target by selector');
  const [key, value] = selector.split('=') as [string, string];
  const routes = routesOf(suite.spec);
  const live = new Map<string, Policy[]>();
  const out: { step: string; path: string; method: string; want: Verdict | 'denied'; got: Verdict }[] = [];
  for (const [i, step] of suite.spec.steps.entries()) {
    for (const f of step.delete) live.delete(f);
    for (const f of step.apply) live.set(f, await policiesOf(suite.manifests.get(f)!));
    const world: World = {
      policies: [...live.values()].flat(),
      tiers: new Map(),
      namespaces: new Map(),
      serviceAccounts: new Map(),
      mtls: true,
    };
    for (const [j, e] of step.expect.entries()) {
      const method = e.request.method ?? 'GET';
      // A source inside the mesh: the probe client's identity; its target: the Service's pods
      // (Online Boutique labels each `app: <service>` and runs it as the service account of that name).
      const route = routes[i]?.[j];
      const id = route && clientIdentity(route.from);
      if (route && !id) throw new Error(`${step.name}: the built-in suite's sources are probe clients`);
      const from: Endpoint = id ? { ...id, ports: [] } : DEFAULT_FROM;
      const to = route
        ? {
            namespace: route.to.namespace,
            labels: { app: route.to.service },
            serviceAccount: route.to.service,
            ports: [],
            port: route.to.port,
          }
        : {
            namespace: suite.spec.target.namespace,
            labels: { [key]: value },
            serviceAccount: 'default',
            ports: [],
            port: 8080,
          };
      const r = evaluateCase(
        {
          name: step.name,
          to,
          from,
          request: { method, path: e.request.path, protocol: 'TCP' },
        },
        0,
        world,
        semantics(version),
      );
      const want = e.verdict === 'allow' ? 'allowed' : e.layer ? (`denied-${e.layer}` as Verdict) : 'denied';
      out.push({ step: step.name, path: e.name ?? e.request.path, method, want, got: r.verdict });
    }
  }
  return out;
}

const agrees = (want: Verdict | 'denied', got: Verdict) =>
  want === 'denied' ? got !== 'allowed' : want === got;

describe('the built-in Boutique suite, offline', () => {
  it.each(['v3.29.7', 'v3.32.0', 'v3.32.1'])('every expectation agrees with the oracle on %s', async (v) => {
    const rows = await suiteVerdicts(v);
    expect(rows.length).toBeGreaterThanOrEqual(7);
    for (const r of rows)
      expect(agrees(r.want, r.got), `${r.step} ${r.method} ${r.path}: want ${r.want}, oracle ${r.got}`).toBe(
        true,
      );
  });

  it.each(['v3.30.7', 'v3.31.7'])(
    'on %s (calico-11857) the baseline and every allow disagree, as the harness fails them',
    async (v) => {
      const rows = await suiteVerdicts(v);
      const wrong = rows.filter((r) => !agrees(r.want, r.got));
      expect(wrong.map((r) => `${r.step} ${r.path}`)).toEqual([
        'baseline /',
        'allow-homepage /',
        'allow-homepage /static/favicon.ico',
        'allow-homepage /product/OLJCESPC7Z',
        'catalog-by-identity frontend identity lists products',
        'catalog-by-identity another identity may ask for health',
        'catalog-by-label a labelled caller lists products',
      ]);
    },
  );
});
