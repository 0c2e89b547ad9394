import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execaRunner } from '../../src/exec/process.js';
import { Kubectl } from '../../src/kube/kubectl.js';
import { readServiceTarget } from '../../src/kube/pod-identity.js';
import { ROOT, World } from '../contract/harness.js';

const worlds: World[] = [];
afterAll(async () => {
  for (const w of worlds) await w.remove();
});

describe('the pods behind a Service, read through kubectl (the fake answers like kubectl)', () => {
  it('follows the selector to the pods and the port to its targetPort; NotFound names the Service', async () => {
    const w = await World.create({ existingCluster: true, initialState: { boutique: true } });
    worlds.push(w);
    const k = new Kubectl({
      runner: execaRunner(),
      path: join(ROOT, 'test/fakes/kubectl'),
      timeoutMs: 30_000,
      env: w.env(),
    });
    const signal = new AbortController().signal;
    const catalog = await readServiceTarget(k, 'boutique', 'productcatalogservice', 3550, signal);
    expect(catalog).toMatchObject({
      namespace: 'boutique',
      labels: { app: 'productcatalogservice' },
      serviceAccount: 'productcatalogservice',
      port: 3550,
    });
    // emailservice forwards 5000 to 8080 (kubernetes-manifests.yaml v0.10.6).
    expect((await readServiceTarget(k, 'boutique', 'emailservice', 5000, signal)).port).toBe(8080);
    await expect(readServiceTarget(k, 'boutique', 'emailservice', 8080, signal)).rejects.toThrow(
      'Service emailservice in boutique has no port 8080; it has 5000',
    );
    await expect(readServiceTarget(k, 'boutique', 'nope', 80, signal)).rejects.toThrow(
      /^cannot read Service nope in boutique: .*Error from server \(NotFound\): services "nope" not found/,
    );
  }, 60_000);
});
