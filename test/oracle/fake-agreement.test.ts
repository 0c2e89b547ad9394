import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execaRunner } from '../../src/exec/process.js';
import { Kubectl } from '../../src/kube/kubectl.js';
import { readPodIdentity } from '../../src/kube/pod-identity.js';
import { oracleSemanticsFor } from '../../src/resolve/oracle-semantics.js';
import type { ExpectationResult } from '../../src/result/schema.js';
import { generateSuite } from '../../src/suite/generate.js';
import { createSuiteRunner, kubectlPolicyApplier } from '../../src/suite/index.js';
import { startGateway } from '../fakes/gateway.js';
import { ROOT, World } from '../contract/harness.js';

/**
 * The fake cluster's policy engine (test/fakes/gateway.ts, which imports nothing of src/) against the
 * oracle, over generated boundary suites: the real suite runner probes the fake gateway through the
 * fake kubectl, with `expect: auto`, so every expectation is the oracle's verdict and the result says
 * whether the fake agreed. A difference is a bug in one of them.
 */
const FAKE_KUBECTL = join(ROOT, 'test/fakes/kubectl');
const BOUTIQUE = join(ROOT, 'e2e-manifests/suites/boutique');

const API_POLICY = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: frontend-api}
spec:
  order: 5
  selector: app == 'frontend'
  types: [Ingress]
  ingress:
    - action: Log
    - action: Allow
      http:
        methods: [GET, POST]
        paths: [{exact: /cart}, {exact: /api/v1/}, {prefix: /assets/img}]
`;

const worlds: World[] = [];
afterAll(async () => {
  for (const w of worlds) await w.remove();
});

async function runAgainstFakes(calico: string): Promise<ExpectationResult[]> {
  const found = oracleSemanticsFor(calico);
  if (!found.ok) throw new Error(found.why);
  const w = await World.create({
    calicoRunning: calico,
    existingCluster: true,
    timeScale: 0.0001,
    initialState: {
      boutique: true,
      istio: { version: '1.28.1', templates: ['sidecar', 'dikastes'] },
      // The harness's own route: one request per connection, so an L4 drop is always seen as one.
      routes: { maxRequestsPerConnection: 1, connectTimeout: '2s', retries: 0 },
    },
  });
  worlds.push(w);
  const dir = join(w.dir, 'suite');
  await mkdir(join(dir, 'policies'), { recursive: true });
  for (const f of ['frontend-allow-homepage.yaml', 'frontend-deny.yaml'])
    await copyFile(join(BOUTIQUE, f), join(dir, 'policies', f));
  await writeFile(join(dir, 'policies', 'frontend-api.yaml'), API_POLICY);
  const suiteFile = join(dir, 'suite.yaml');
  const text = await generateSuite({
    policies: [join(dir, 'policies')],
    target: 'boutique/app=frontend',
    name: `boundary ${calico}`,
    out: suiteFile,
  });
  await writeFile(suiteFile, text);

  const env = w.env();
  const gateway = await startGateway(w.scenarioFile);
  try {
    const k = new Kubectl({ runner: execaRunner(), path: FAKE_KUBECTL, timeoutMs: 30_000, env });
    const runner = createSuiteRunner({
      // Agreement is decided by what the fake answers, never by the clock: one probe, generous bounds.
      timing: { consecutive: 1, intervalMs: 10, holdMs: 10, timeoutMs: 30_000, probeTimeoutMs: 20_000 },
    });
    const result = await runner({
      suiteFile,
      ingressUrl: gateway.url,
      dikastesReady: { ready: true, evidence: 'fake' },
      policies: kubectlPolicyApplier(FAKE_KUBECTL, env),
      oracle: {
        semantics: found.sem,
        readTarget: (signal) => readPodIdentity(k, 'boutique', 'app=frontend', signal),
      },
      signal: new AbortController().signal,
      log: () => undefined,
    });
    expect(
      result.steps.every((s) => s.status !== 'error'),
      JSON.stringify(result.steps.map((s) => s.message)),
    ).toBe(true);
    return result.steps.flatMap((s) => s.expectations);
  } finally {
    await gateway.close();
  }
}

describe('the fake cluster agrees with the oracle on generated boundary suites', () => {
  it.each(['v3.29.7', 'v3.31.5', 'v3.31.6', 'v3.32.1'])(
    'Calico %s: every boundary request, as the fake answers it, is the oracle verdict',
    async (calico) => {
      const all = await runAgainstFakes(calico);
      expect(all.length).toBeGreaterThan(60);
      const disagreements = all
        .filter((e) => e.oracle?.agrees !== true)
        .map((e) => `${e.request.method} ${e.request.path}: ${e.message ?? e.status}`);
      expect(disagreements).toEqual([]);
      // The suite exercises both sides of every boundary.
      const verdicts = new Set(all.map((e) => e.oracle?.verdict));
      if (calico === 'v3.31.5' || calico === 'v3.31.6') expect([...verdicts]).toEqual(['denied-l7']);
      else expect(verdicts).toEqual(new Set(['allowed', 'denied-l7']));
    },
    240_000,
  );
});
