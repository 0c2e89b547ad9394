import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BOUTIQUE,
  CALICO_RELEASES,
  ISTIO_RELEASES,
  defectFor,
  knownCalicoVersions,
  knownIstioVersions,
  knownKubernetesVersions,
  lookupNodeImage,
} from '../../src/catalog/index.js';
import { resolveCell } from '../../src/resolve/cell.js';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { actionNaming } from '../../src/config/inputs.js';
import { buildPlan } from '../../src/plan/build.js';
import { UPSTREAM_DIR, upstream, upstreamAvailable } from '../support/upstream.js';

/** UPSTREAM.md §1 and §2, as the expected facts: [minor, latest, min, max]. */
const CALICO_FACTS = [
  ['3.27', 'v3.27.5', '1.27', '1.29'],
  ['3.28', 'v3.28.5', '1.27', '1.30'],
  ['3.29', 'v3.29.7', '1.29', '1.32'],
  ['3.30', 'v3.30.7', '1.31', '1.35'],
  ['3.31', 'v3.31.7', '1.32', '1.35'],
  ['3.32', 'v3.32.1', '1.34', '1.36'],
] as const;
const ISTIO_FACTS = [
  ['1.10', '1.10.6', '1.18', '1.21', 'legacy-1.10'],
  ['1.15', '1.15.7', '1.22', '1.25', 'legacy-1.15'],
  ['1.22', '1.22.8', '1.27', '1.30', 'templates'],
  ['1.23', '1.23.6', '1.27', '1.30', 'templates'],
  ['1.24', '1.24.6', '1.28', '1.31', 'templates'],
  ['1.25', '1.25.5', '1.29', '1.32', 'templates'],
  ['1.26', '1.26.8', '1.29', '1.33', 'templates'],
  ['1.27', '1.27.9', '1.29', '1.33', 'templates'],
  ['1.28', '1.28.10', '1.29', '1.34', 'templates'],
  ['1.29', '1.29.6', '1.29', undefined, 'templates'],
] as const;

const minorNum = (v: string) => Number(v.split('.')[1]);
const within = (k8s: string, min: string, max: string | undefined) =>
  minorNum(k8s) >= minorNum(min) && (max === undefined || minorNum(k8s) <= minorNum(max));
const deniesEverything = (v: string) => /^v3\.(30\.\d+|31\.[0-7])$/.test(v);

describe('catalog data matches UPSTREAM.md', () => {
  it('Calico minors, patches and windows', () => {
    expect(CALICO_RELEASES.map((r) => [r.minor, r.latest, r.kubernetes.min, r.kubernetes.max])).toEqual(
      CALICO_FACTS,
    );
  });
  it('Istio minors, patches, windows and flavours', () => {
    expect(
      ISTIO_RELEASES.map((r) => [r.minor, r.latest, r.kubernetes.min, r.kubernetes.max, r.profile.flavour]),
    ).toEqual(ISTIO_FACTS);
  });
  it('Dikastes moves to quay.io from 3.31', () => {
    for (const r of CALICO_RELEASES) {
      expect(r.dikastesImage).toBe(minorNum(r.minor) >= 31 ? 'quay.io/calico/dikastes' : 'calico/dikastes');
    }
  });
  it('v0.27.0 is the last kind release with a 1.29 image', () => {
    expect(lookupNodeImage('1.29')).toMatchObject({
      ok: true,
      value: { kind: 'v0.27.0', kubernetes: '1.29.14' },
    });
    expect(lookupNodeImage('1.34')).toMatchObject({
      ok: true,
      value: { kind: 'v0.32.0', kubernetes: '1.34.8' },
    });
    expect(lookupNodeImage('1.34.3')).toMatchObject({ ok: true, value: { kind: 'v0.31.0' } });
  });
  it('the known defect covers exactly v3.30.0–v3.31.7', () => {
    for (const v of ['v3.29.7', 'v3.30.0', 'v3.30.7', 'v3.31.0', 'v3.31.7', 'v3.32.0', 'v3.32.1']) {
      expect(Boolean(defectFor(v)), v).toBe(deniesEverything(v));
    }
  });
});

describe('every Calico × Istio × Kubernetes combination in the catalog', () => {
  const combos = knownCalicoVersions().flatMap((calico) =>
    knownIstioVersions().flatMap((istio) =>
      knownKubernetesVersions().map((kubernetes) => ({ calico, istio, kubernetes })),
    ),
  );

  it('plans, with the support status the windows and defects imply', () => {
    expect(combos.length).toBe(6 * 10 * 13);
    for (const c of combos) {
      const cell = resolveCell(
        parseCellConfig(
          { 'calico-version': c.calico, 'istio-version': c.istio, 'kubernetes-version': c.kubernetes },
          actionNaming,
        ),
      );
      const { plan, files } = buildPlan(cell);
      expect(plan.steps.length).toBeGreaterThan(8);
      for (const s of plan.steps)
        for (const m of s.manifests) expect(files.has(m), `${c.calico}/${m}`).toBe(true);

      const [calicoSupport, istioSupport] = cell.support;
      const calicoFact = CALICO_FACTS.find((f) => f[1] === c.calico)!;
      const istioFact = ISTIO_FACTS.find((f) => f[1] === c.istio)!;
      const calicoWant = deniesEverything(c.calico)
        ? 'known-defect'
        : within(c.kubernetes, calicoFact[2], calicoFact[3])
          ? 'supported'
          : 'outside-window';
      const istioWant = within(c.kubernetes, istioFact[2], istioFact[3]) ? 'supported' : 'outside-window';
      expect(calicoSupport?.status, JSON.stringify(c)).toBe(calicoWant);
      expect(istioSupport?.status, JSON.stringify(c)).toBe(istioWant);
    }
  });

  it('Istio 1.15 on Kubernetes 1.34 is outside window 1.22–1.25', () => {
    const cell = resolveCell(parseCellConfig({ 'istio-version': '1.15' }, actionNaming));
    expect(cell.support[1]).toMatchObject({
      component: 'istio',
      version: '1.15.7',
      status: 'outside-window',
      window: '1.22–1.25',
      detail: 'Kubernetes 1.34 is outside window 1.22–1.25',
    });
  });

  it('Calico v3.31.7 carries the known defect, with its upstream issue', () => {
    const cell = resolveCell(parseCellConfig({ 'calico-version': 'v3.31.7' }, actionNaming));
    expect(cell.support[0]).toMatchObject({ status: 'known-defect', defectId: 'calico-11857' });
    expect(cell.calico.defect?.issue).toBe('https://github.com/projectcalico/calico/issues/11857');
    expect(cell.support[0]?.detail).toContain('Kubernetes 1.34 is within 1.32–1.35');
  });

  it('the default cell is fully supported', () => {
    const cell = resolveCell(parseCellConfig({}, actionNaming));
    expect(cell.id).toBe('k8s-1.34.8_calico-v3.32.1_istio-1.28.1');
    expect(cell.support.map((s) => s.status)).toEqual(['supported', 'supported']);
    expect(cell.kind).toEqual({
      version: 'v0.32.0',
      nodeImage:
        'kindest/node:v1.34.8@sha256:02722c2dedddcfc00febf5d27fbeb9b7b2c14294c82109ff4a85d89ac9ba3256',
      customImage: false,
    });
  });
});

describe('pinned digests of upstream files', () => {
  const have = upstreamAvailable();
  const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

  it.runIf(have)(
    'every Calico digest is the sha256 of the upstream file, or of UPSTREAM.md §6 where the file is not kept',
    () => {
      // The facts file's table: `v3.27.5/tigera-operator.yaml   <hex>`.
      const facts = new Map(
        [
          ...readFileSync(join(UPSTREAM_DIR, '..', 'UPSTREAM.md'), 'utf8').matchAll(
            /^(v3\.\d+\.\d+\/\S+)\s+([a-f0-9]{64})/gm,
          ),
        ].map((m) => [m[1]!, m[2]!]),
      );
      let fromFiles = 0;
      let fromFacts = 0;
      for (const r of CALICO_RELEASES) {
        for (const [key, digest] of Object.entries(r.digests)) {
          const [tag, ...rest] = key.split('/');
          const file = upstream('calico', tag!, ...rest);
          if (existsSync(file)) {
            expect(sha(file), key).toBe(digest);
            fromFiles++;
          } else {
            expect(facts.get(key), key).toBe(digest);
            fromFacts++;
          }
        }
      }
      expect(fromFiles).toBe(12);
      expect(fromFacts).toBe(21);
    },
  );

  it.runIf(have)('the Online Boutique digest is the sha256 of the pinned release file', () => {
    expect(sha(upstream('microservices-demo', BOUTIQUE.version, 'kubernetes-manifests.yaml'))).toBe(
      BOUTIQUE.sha256,
    );
  });
});
