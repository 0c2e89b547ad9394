import { describe, expect, it } from 'vitest';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { cliNaming } from '../../src/config/inputs.js';
import { buildPlan } from '../../src/plan/build.js';
import { resolveCell } from '../../src/resolve/cell.js';

const cell = (raw: Record<string, string> = {}) => resolveCell(parseCellConfig(raw, cliNaming));

describe('one resolution: decisions, not names', () => {
  it('a templates cell: how Istio is installed, its templates, the pod annotation and the canary', () => {
    const c = cell();
    expect(c.istio.profile).toMatchObject({
      flavour: 'templates',
      install: 'templates',
      injectionTemplates: ['dikastes', 'dikastes-gateway'],
      podAnnotation: { key: 'inject.istio.io/templates', value: 'sidecar,dikastes' },
      namespaceLabel: { key: 'istio-injection', value: 'enabled' },
      gatewayCanaryAnnotation: { key: 'inject.istio.io/templates', value: 'sidecar,dikastes-gateway' },
      injectorCheck: { kind: 'template-keys', keys: ['dikastes', 'dikastes-gateway'] },
    });
    expect(c.istio.legacyInjectorPatch).toBeUndefined();
  });

  it('a legacy cell: Calico’s patch at the Calico tag, no annotation, no canary, a sidecar-container check', () => {
    const c = cell({ 'istio-version': '1.15', 'calico-version': 'v3.29.7', 'kubernetes-version': '1.32' });
    expect(c.istio.profile).toMatchObject({
      flavour: 'legacy-1.15',
      install: 'configmap-patch',
      injectionTemplates: [],
      injectorCheck: { kind: 'sidecar-container', container: 'dikastes' },
    });
    expect(c.istio.profile.podAnnotation).toBeUndefined();
    expect(c.istio.profile.gatewayCanaryAnnotation).toBeUndefined();
    expect(c.istio.legacyInjectorPatch).toEqual({
      file: 'alp/istio-inject-configmap-1.15.yaml',
      url: 'https://raw.githubusercontent.com/projectcalico/calico/v3.29.7/manifests/alp/istio-inject-configmap-1.15.yaml',
      sha256: 'f16dc29bb3640b76259415c8b52f0314dd675ad27b2e4c93d5265200c92e471d',
    });
  });

  it('Calico: the manifest sequence with its digests, the Dikastes image and log lines, the defect record', () => {
    const c = cell({ 'calico-version': 'v3.31.7' });
    expect(c.calico.operatorManifests.map((m) => m.file)).toEqual([
      'operator-crds.yaml',
      'tigera-operator.yaml',
    ]);
    expect(c.calico.customResources.sha256).toBe(
      '4fb598a7fce1ad1f8bbfb9004f5efcdb835082e92e06323cb7b8ce60260ed891',
    );
    expect(c.calico.dikastesImage).toBe('quay.io/calico/dikastes:v3.31.7');
    expect(c.calico.dikastesLog.syncStarted).toBe('Starting synchronization with Policy Sync server');
    expect(c.calico.defect).toMatchObject({
      id: 'calico-11857',
      symptom: 'deny-all',
      from: 'v3.30.0',
      to: 'v3.31.7',
    });
    expect(c.calico.httpPaths).toBe('normalised');
    expect(cell({ 'calico-version': 'v3.29.7', 'kubernetes-version': '1.32' }).calico.httpPaths).toBe(
      'raw-prefix',
    );
  });

  it('every catalog note the user should see is carried, into the plan facts too', () => {
    const c = cell({ 'istio-version': '1.10', 'calico-version': 'v3.29.7', 'kubernetes-version': '1.32' });
    expect(c.notes.some((n) => n.startsWith('Istio 1.10: PDB/HPA workaround applied (UNCONFIRMED'))).toBe(
      true,
    );
    expect(c.amd64Only).toEqual(['Online Boutique v0.10.6', 'Istio 1.10.6']);
    const facts = buildPlan(c).plan.facts;
    expect(facts.notes).toEqual(c.notes);
    expect(facts.amd64Only).toEqual(c.amd64Only);
  });

  it('the plan facts say what the checks expect, so no later stage re-decides the flavour', () => {
    const templates = buildPlan(cell()).plan.facts;
    expect(templates.checks.canary).toMatchObject({ deployed: true, name: 'dikastes-gateway-canary' });
    expect(templates.route).toEqual({
      owned: true,
      connectTimeoutMs: 2000,
      retries: 2,
      newConnectionPerRequest: true,
      l4DenialMs: 6000,
      probeTimeoutMs: 11_000,
    });
    const existing = buildPlan(
      cell({ cluster: 'existing', install: 'none', 'ingress-url': 'http://127.0.0.1:8080' }),
    ).plan.facts;
    expect(existing.checks.canary).toEqual({
      deployed: false,
      why: 'this run did not deploy the workload (install has no workload)',
    });
    expect(existing.route).toMatchObject({ owned: false, l4DenialMs: 30_000, probeTimeoutMs: 35_000 });
    expect(existing.ingressUrl).toBe('http://127.0.0.1:8080');
  });

  it("harness-workload: an existing cluster with the harness's workload gets its route and canary, to be verified", () => {
    const kindFacts = buildPlan(cell()).plan.facts;
    const facts = buildPlan(
      cell({
        cluster: 'existing',
        install: 'none',
        'ingress-url': 'http://127.0.0.1:8080',
        'harness-workload': 'true',
      }),
    ).plan.facts;
    expect(facts.checks.canary).toEqual(kindFacts.checks.canary);
    const { onCluster, ...route } = facts.route;
    expect(route).toEqual(kindFacts.route);
    expect(kindFacts.route.onCluster).toBeUndefined();
    // What the rendered manifests set, which the detect phase compares with the cluster.
    expect(onCluster).toEqual({
      namespace: 'boutique',
      destinationRule: {
        name: 'frontend-connect-timeout',
        connectTimeout: '2s',
        maxRequestsPerConnection: 1,
      },
      virtualService: {
        name: 'frontend-ingress',
        retries: {
          attempts: 2,
          retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
        },
      },
    });
    // Legacy flavour: no dikastes-gateway template, so no canary, whoever deployed the workload.
    const legacy = buildPlan(
      cell({
        cluster: 'existing',
        install: 'none',
        'ingress-url': 'http://127.0.0.1:8080',
        'harness-workload': 'true',
        'istio-version': '1.10',
        'calico-version': 'v3.29.7',
        'kubernetes-version': '1.32',
      }),
    ).plan.facts;
    expect(legacy.checks.canary.deployed).toBe(false);
    expect(legacy.route.owned).toBe(true);
  });
});
