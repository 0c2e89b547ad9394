import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlError, kubectlPolicyApplier } from '../../src/suite/index.js';

const FAKE_KUBECTL = resolve(import.meta.dirname, 'fixtures/fake-kubectl.mjs');
const POLICY =
  'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: p }\nspec: {}\n';

describe('kubectlPolicyApplier (a real child process: the fake kubectl)', () => {
  let dir: string;
  let file: string;
  let state: string;
  const signal = () => new AbortController().signal;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cic-kubectl-'));
    file = join(dir, 'policy with space.yaml');
    state = join(dir, 'state.json');
    await writeFile(file, POLICY);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const ops = () =>
    (JSON.parse(readFileSync(state, 'utf8')) as { ops: { verb: string; file: string }[] }).ops.map(
      (o) => `${o.verb} ${o.file}`,
    );

  it('applies and deletes with argv only (a path with a space stays one argument)', async () => {
    const k = kubectlPolicyApplier(FAKE_KUBECTL, { FAKE_KUBECTL_STATE: state });
    await k.apply(file, signal());
    await k.delete(file, signal());
    // Deleting again succeeds only because of --ignore-not-found.
    await k.delete(file, signal());
    expect(ops()).toEqual([`apply ${file}`, `delete ${file}`, `delete ${file}`]);
  });

  it('fails with kubectl’s stderr', async () => {
    const k = kubectlPolicyApplier(FAKE_KUBECTL, { FAKE_KUBECTL_STATE: state, FAKE_KUBECTL_FAIL: 'policy' });
    const err = await k.apply(file, signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubectlError);
    expect((err as Error).message).toBe(
      `kubectl apply -f ${file} failed (exit 1): error: unable to recognize "${file}": no matches for kind "GlobalNetworkPolicy" in version "projectcalico.org/v3"`,
    );
  });

  it('is bounded by its timeout', async () => {
    const k = kubectlPolicyApplier(
      FAKE_KUBECTL,
      { FAKE_KUBECTL_STATE: state, FAKE_KUBECTL_SLEEP_MS: '10000' },
      300,
    );
    const t0 = performance.now();
    await expect(k.apply(file, signal())).rejects.toThrow(
      `kubectl apply -f ${file} did not finish within 0.3 s`,
    );
    expect(performance.now() - t0).toBeLessThan(4000);
  });

  it('stops when cancelled', async () => {
    const k = kubectlPolicyApplier(FAKE_KUBECTL, {
      FAKE_KUBECTL_STATE: state,
      FAKE_KUBECTL_SLEEP_MS: '10000',
    });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(new Error('cancelled run')), 100);
    await expect(k.delete(file, ctl.signal)).rejects.toThrow('cancelled run');
  });

  it('names a kubectl that cannot be started', async () => {
    const k = kubectlPolicyApplier(join(dir, 'no-such-kubectl'));
    await expect(k.apply(file, signal())).rejects.toThrow(
      `kubectl apply -f ${file} failed: cannot run ${join(dir, 'no-such-kubectl')} (spawn ${join(dir, 'no-such-kubectl')} ENOENT)`,
    );
  });
});
