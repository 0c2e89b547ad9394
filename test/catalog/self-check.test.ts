import { describe, expect, it } from 'vitest';
import {
  BOUTIQUE,
  CALICO_RELEASES,
  ISTIO_RELEASES,
  KIND_RELEASES,
  knownCalicoVersions,
  knownIstioVersions,
  knownKubernetesVersions,
} from '../../src/catalog/index.js';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { actionNaming } from '../../src/config/inputs.js';
import { buildPlan } from '../../src/plan/build.js';
import { isFetch } from '../../src/plan/types.js';
import { checkSteps } from '../../src/plan/validate.js';
import { resolveCell } from '../../src/resolve/cell.js';
import { compareVersions, parseVersion } from '../../src/util/version.js';

const HEX64 = /^[a-f0-9]{64}$/;

/** The catalog checks itself: every entry well-formed, every planned cell buildable and pinned. */
describe('catalog self-check', () => {
  it('every kindest/node digest is sha256 with 64 hex digits and passes the node-image input check', () => {
    for (const r of KIND_RELEASES) {
      expect(r.version, 'kind release').toMatch(/^v\d+\.\d+\.\d+$/);
      for (const [k8s, digest] of Object.entries(r.images)) {
        expect(digest, `kind ${r.version} ${k8s}`).toMatch(/^sha256:[a-f0-9]{64}$/);
        const image = `kindest/node:v${k8s}@${digest}`;
        // the same validation a user's --node-image goes through
        const raw = { 'node-image': image, 'kubernetes-version': k8s.split('.').slice(0, 2).join('.') };
        expect(() => parseCellConfig(raw, actionNaming), image).not.toThrow();
      }
    }
  });

  it('every release names its newest patch inside its minor, with a window min ≤ max', () => {
    for (const r of [...CALICO_RELEASES, ...ISTIO_RELEASES]) {
      const v = parseVersion(r.latest)!;
      expect(`${v.major}.${v.minor}`, r.latest).toBe(r.minor);
      expect(parseVersion(r.kubernetes.min), `${r.latest} window min`).toBeDefined();
      if (r.kubernetes.max)
        expect(compareVersions(r.kubernetes.min, r.kubernetes.max)).toBeLessThanOrEqual(0);
    }
  });

  it('every Calico file the catalog applies for a release is pinned, and every pin is 64 hex digits', () => {
    for (const r of CALICO_RELEASES) {
      const files = [
        ...r.operatorManifests,
        'custom-resources.yaml',
        'alp/istio-app-layer-policy-envoy-v3.yaml',
        'alp/istio-inject-configmap-1.10.yaml',
        'alp/istio-inject-configmap-1.15.yaml',
      ];
      for (const f of files) expect(r.digests[`${r.latest}/${f}`], `${r.latest}/${f}`).toMatch(HEX64);
      for (const [k, d] of Object.entries(r.digests)) {
        expect(k.startsWith(`${r.latest}/`), k).toBe(true);
        expect(d, k).toMatch(HEX64);
      }
    }
  });

  it('Online Boutique: the release file and every moving image tag are pinned', () => {
    expect(BOUTIQUE.sha256).toMatch(HEX64);
    for (const [from, to] of Object.entries(BOUTIQUE.pinnedImages)) {
      expect(to.startsWith(`${from}@sha256:`), from).toBe(true);
      expect(to.split('@sha256:')[1]).toMatch(HEX64);
    }
    for (const w of BOUTIQUE.workloads) expect(w.cpuMillis).toBeGreaterThan(0);
  });

  it('every cell of the catalog resolves, plans, passes the plan invariants and fetches only pinned files', () => {
    let cells = 0;
    for (const kubernetes of knownKubernetesVersions())
      for (const calico of knownCalicoVersions())
        for (const istio of knownIstioVersions()) {
          const raw = { 'kubernetes-version': kubernetes, 'calico-version': calico, 'istio-version': istio };
          const cell = resolveCell(parseCellConfig(raw, actionNaming));
          const { plan } = buildPlan(cell);
          const steps = [...plan.steps, ...plan.cleanup];
          expect(() => checkSteps(steps), cell.id).not.toThrow();
          for (const s of steps)
            for (const c of s.commands)
              if (isFetch(c)) expect(c.fetch.sha256, `${cell.id} ${s.id} ${c.fetch.url}`).toMatch(HEX64);
          expect(plan.cell.nodeImage, cell.id).toMatch(/@sha256:[a-f0-9]{64}$/);
          cells++;
        }
    expect(cells).toBe(
      knownKubernetesVersions().length * knownCalicoVersions().length * knownIstioVersions().length,
    );
  });
});
