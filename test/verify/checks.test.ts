import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { renderIstioOperator } from '../../src/render/istio-operator.js';
import { resolveCell } from '../../src/resolve/cell.js';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { cliNaming } from '../../src/config/inputs.js';
import {
  checkCalicoNode,
  checkCsiDriver,
  checkDikastesContainers,
  checkDikastesLogs,
  checkFelixPolicySync,
  checkGatewayDikastes,
  checkIngress,
  checkInjectorTemplates,
  checkNamespaceLabel,
  checkPodAnnotations,
  dikastesReadiness,
} from '../../src/verify/checks.js';
import {
  fetchedError,
  fetchedOk,
  parseEqualitySelector,
  readiness,
  type Pod,
} from '../../src/kube/objects.js';
import { upstream, upstreamAvailable } from '../support/upstream.js';

function pod(
  name: string,
  o: { dikastes?: boolean; ready?: boolean; proxyReady?: boolean; uid?: number; templates?: string } = {},
): Pod {
  const { dikastes = true, ready = true, proxyReady = true, uid = 999, templates = 'sidecar,dikastes' } = o;
  return {
    metadata: {
      name,
      labels: { app: name },
      annotations: templates ? { 'inject.istio.io/templates': templates } : {},
    },
    spec: {
      initContainers: [{ name: 'istio-init' }, { name: 'istio-proxy', restartPolicy: 'Always' }],
      containers: [
        { name: 'server' },
        ...(dikastes ? [{ name: 'dikastes', securityContext: { runAsUser: uid } }] : []),
      ],
    },
    status: {
      phase: 'Running',
      initContainerStatuses: [
        { name: 'istio-init', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        {
          name: 'istio-proxy',
          ready: proxyReady,
          state: proxyReady ? { running: {} } : { waiting: { reason: 'CrashLoopBackOff' } },
        },
      ],
      containerStatuses: [
        { name: 'server', ready: true, state: { running: {} } },
        ...(dikastes
          ? [
              {
                name: 'dikastes',
                ready,
                state: ready ? { running: {} } : { waiting: { reason: 'CrashLoopBackOff' } },
              },
            ]
          : []),
      ],
    },
  };
}
const pods = (...p: Pod[]) => fetchedOk({ kind: 'PodList', items: p });

/** What the checks expect, as the plan decides it for a templates and a legacy cell. */
const checkFacts = (istio: string) =>
  buildPlan(resolveCell(parseCellConfig({ 'istio-version': istio }, cliNaming))).plan.facts.checks;
const TEMPLATES = checkFacts('1.28.1');
const LEGACY = checkFacts('1.15.7');
const LOG = TEMPLATES.dikastes.log;
const KEY = TEMPLATES.templatesAnnotation;

describe('verification checks (pure evaluators)', () => {
  it.each([
    [
      { metadata: { name: 'boutique', labels: { 'istio-injection': 'enabled' } } },
      'pass',
      'istio-injection=enabled',
    ],
    [
      { metadata: { name: 'boutique', labels: { 'istio-injection': 'disabled' } } },
      'fail',
      'istio-injection=disabled',
    ],
    [{ metadata: { name: 'boutique' } }, 'fail', 'has no istio-injection label'],
  ])('namespace label %#', (ns, status, evidence) => {
    const r = checkNamespaceLabel('boutique', fetchedOk(ns), TEMPLATES.namespaceLabel);
    expect(r.status).toBe(status);
    expect(r.evidence).toContain(evidence);
  });

  it('a failed kubectl read fails the check with its first error line', () => {
    const r = checkNamespaceLabel(
      'boutique',
      fetchedError('get namespace boutique: Error from server (NotFound)\nmore'),
      TEMPLATES.namespaceLabel,
    );
    expect(r).toMatchObject({
      status: 'fail',
      evidence: 'could not read namespace boutique: get namespace boutique: Error from server (NotFound)',
    });
  });

  it('pod annotations: templates flavour needs sidecar,dikastes on every pod; legacy needs none naming dikastes', () => {
    expect(checkPodAnnotations('b', pods(pod('a'), pod('b')), TEMPLATES.podAnnotation, KEY).status).toBe(
      'pass',
    );
    const bad = checkPodAnnotations(
      'b',
      pods(pod('a'), pod('b', { templates: 'sidecar' })),
      TEMPLATES.podAnnotation,
      KEY,
    );
    expect(bad).toMatchObject({ status: 'fail' });
    expect(bad.evidence).toContain('b=sidecar');
    expect(checkPodAnnotations('b', pods(pod('a', { templates: '' })), undefined, KEY).status).toBe('pass');
    expect(checkPodAnnotations('b', pods(pod('a')), undefined, KEY).status).toBe('fail');
    expect(checkPodAnnotations('b', pods(), TEMPLATES.podAnnotation, KEY).evidence).toBe('no pods in b');
  });

  it('containers: native sidecar istio-proxy is read from initContainerStatuses; istio-init is not required', () => {
    expect(readiness(pod('a')).map((r) => r.name)).toEqual([
      'server',
      'dikastes',
      'istio-proxy (native sidecar)',
    ]);
    expect(checkDikastesContainers('b', pods(pod('a'), pod('b'))).status).toBe('pass');
    const proxy = checkDikastesContainers('b', pods(pod('a', { proxyReady: false })));
    expect(proxy.status).toBe('fail');
    expect(proxy.evidence).toContain('istio-proxy (native sidecar) waiting (CrashLoopBackOff)');
    const none = checkDikastesContainers('b', pods(pod('a', { dikastes: false })));
    expect(none.evidence).toContain('a: no dikastes container');
  });

  it('dikastes logs: the stream line is needed and any failure line fails', () => {
    const ok =
      'x Successfully connected to Policy Sync server\ny Starting synchronization with Policy Sync server\n';
    expect(checkDikastesLogs('b', [{ pod: 'a', log: fetchedOk(ok) }], LOG).status).toBe('pass');
    const dial = checkDikastesLogs(
      'b',
      [
        { pod: 'a', log: fetchedOk(ok) },
        { pod: 'c', log: fetchedOk(`${ok}z fail to dial Policy Sync server: no such file`) },
      ],
      LOG,
    );
    expect(dial.status).toBe('fail');
    expect(dial.evidence).toContain('c: "fail to dial Policy Sync server"');
    // "Successfully connected" alone proves little (the dial is lazy).
    const lazy = checkDikastesLogs(
      'b',
      [{ pod: 'a', log: fetchedOk('Successfully connected to Policy Sync server') }],
      LOG,
    );
    expect(lazy.status).toBe('fail');
    expect(checkDikastesLogs('b', [], LOG).status).toBe('fail');
  });

  it('CSI driver pods must exist and be Running', () => {
    const p = (phase: string) => ({ metadata: { name: `csi-${phase}` }, status: { phase } });
    expect(checkCsiDriver(fetchedOk({ items: [p('Running')] })).status).toBe('pass');
    expect(checkCsiDriver(fetchedOk({ items: [p('Running'), p('Pending')] })).evidence).toContain(
      'csi-Pending Pending',
    );
    expect(checkCsiDriver(fetchedOk({ items: [] })).status).toBe('fail');
  });

  describe('every node', () => {
    const nodes = fetchedOk({
      items: ['c-control-plane', 'c-worker'].map((name) => ({ metadata: { name } })),
    });
    const csi = (node: string, phase = 'Running') => ({
      metadata: { name: `csi-${node}` },
      spec: { nodeName: node },
      status: { phase },
    });
    const calico = (node: string, ready = true) => ({
      metadata: { name: `calico-node-${node}` },
      spec: { nodeName: node },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    });

    it('passes when each node has its pod, and says how many nodes', () => {
      const c = checkCsiDriver(fetchedOk({ items: [csi('c-control-plane'), csi('c-worker')] }), nodes);
      expect(c).toMatchObject({
        status: 'pass',
        evidence: '2/2 nodes: csi-node-driver Running (c-control-plane, c-worker)',
      });
      const n = checkCalicoNode(nodes, fetchedOk({ items: [calico('c-control-plane'), calico('c-worker')] }));
      expect(n.status).toBe('pass');
    });

    it('a pod missing or broken on the worker only fails, naming the worker', () => {
      const c = checkCsiDriver(fetchedOk({ items: [csi('c-control-plane')] }), nodes);
      expect(c.status).toBe('fail');
      expect(c.evidence).toBe(
        '1/2 nodes not right: node c-worker: no csi-node-driver pod: Dikastes there cannot reach the Policy Sync socket',
      );
      const n = checkCalicoNode(
        nodes,
        fetchedOk({ items: [calico('c-control-plane'), calico('c-worker', false)] }),
      );
      expect(n.status).toBe('fail');
      expect(n.evidence).toContain('node c-worker: calico-node-c-worker not ready (Running)');
      expect(n.evidence).not.toContain('c-control-plane:');
      // Two healthy pods on one node do not cover the other.
      const doubled = checkCalicoNode(
        nodes,
        fetchedOk({ items: [calico('c-control-plane'), calico('c-control-plane')] }),
      );
      expect(doubled.evidence).toContain('node c-worker: no calico-node pod');
    });

    it('unreadable nodes: the pods are judged alone, and the evidence says so', () => {
      const c = checkCalicoNode(fetchedError('forbidden'), fetchedOk({ items: [calico('x')] }));
      expect(c.status).toBe('pass');
      expect(c.evidence).toContain('could not read the nodes: forbidden');
    });
  });

  it('FelixConfiguration policySyncPathPrefix', () => {
    expect(
      checkFelixPolicySync(
        fetchedOk({ spec: { policySyncPathPrefix: '/var/run/nodeagent' } }),
        TEMPLATES.policySyncPrefix,
      ).status,
    ).toBe('pass');
    expect(
      checkFelixPolicySync(
        fetchedOk({ spec: { policySyncPathPrefix: '/var/run/felix' } }),
        TEMPLATES.policySyncPrefix,
      ).status,
    ).toBe('fail');
    expect(checkFelixPolicySync(fetchedOk({ spec: {} }), TEMPLATES.policySyncPrefix).evidence).toContain(
      'not set',
    );
  });

  it('gateway workload: dikastes must run as root and the pod be ready', () => {
    expect(checkGatewayDikastes('gw', pods(pod('gw', { uid: 0 }))).status).toBe('pass');
    expect(checkGatewayDikastes('gw', pods(pod('gw', { uid: 999 }))).evidence).toContain('uid 999, not root');
    expect(checkGatewayDikastes('gw', pods(pod('gw', { uid: 0, ready: false }))).status).toBe('fail');
  });

  it('ingress: any HTTP answer passes; no answer fails with the cause', () => {
    expect(checkIngress('http://x', { status: 403, server: 'istio-envoy' }, 1)).toMatchObject({
      status: 'pass',
    });
    expect(checkIngress('http://x', { error: 'ECONNREFUSED' }, 4).evidence).toBe(
      'no HTTP answer after 4 attempt(s): ECONNREFUSED',
    );
  });

  it('trust gate: ready only when every target pod has a ready, synced Dikastes', () => {
    const log = fetchedOk('Starting synchronization with Policy Sync server');
    expect(dikastesReadiness('b/app=a', pods(pod('a')), [{ pod: 'a', log }], LOG)).toMatchObject({
      ready: true,
    });
    const notReady = dikastesReadiness('b/app=a', pods(pod('a', { ready: false })), [{ pod: 'a', log }], LOG);
    expect(notReady).toMatchObject({ ready: false });
    expect(notReady.evidence).toContain('a: dikastes not ready');
    expect(dikastesReadiness('b', pods(pod('a')), [], LOG).evidence).toContain('dikastes log not read');
  });

  it('selectors: equality selectors are matched locally, others go to kubectl', () => {
    expect(parseEqualitySelector('app=frontend,tier==web')).toEqual({ app: 'frontend', tier: 'web' });
    expect(parseEqualitySelector('app!=frontend')).toBeUndefined();
  });
});

describe('injector templates check against real data', () => {
  const config = (cell: { istio: string; calico: string }) =>
    resolveCell(parseCellConfig({ 'istio-version': cell.istio, 'calico-version': cell.calico }, cliNaming));

  it('templates flavour: the templates the IstioOperator renders are found in data.config', () => {
    const op = renderIstioOperator(config({ istio: '1.28.1', calico: 'v3.32.1' }));
    const templates = (op.spec.values as { sidecarInjectorWebhook: { templates: Record<string, string> } })
      .sidecarInjectorWebhook.templates;
    const data = {
      config: `defaultTemplates: [sidecar]\ntemplates:\n${Object.entries({
        sidecar: 'spec: {}\n',
        ...templates,
      })
        .map(
          ([k, v]) =>
            `  ${k}: |\n${v
              .trimEnd()
              .split('\n')
              .map((l) => `    ${l}`)
              .join('\n')}`,
        )
        .join('\n')}\n`,
    };
    expect(checkInjectorTemplates(fetchedOk({ data }), TEMPLATES.injector.expect)).toMatchObject({
      status: 'pass',
    });
    const missing = { config: 'templates:\n  sidecar: |\n    spec: {}\n  dikastes: |\n    spec: {}\n' };
    expect(
      checkInjectorTemplates(fetchedOk({ data: missing }), TEMPLATES.injector.expect).evidence,
    ).toContain('lack dikastes-gateway');
  });

  it.runIf(upstreamAvailable())(
    'legacy flavour: Calico’s patched sidecar template (a Go template) has the dikastes container',
    () => {
      const text = readFileSync(upstream('calico/v3.29.7/alp/istio-inject-configmap-1.15.yaml'), 'utf8');
      const patch = load(text) as { data: unknown };
      expect(checkInjectorTemplates(fetchedOk(patch), LEGACY.injector.expect)).toMatchObject({
        status: 'pass',
      });
      const without = load(text.replace(/- name: dikastes\b/g, '- name: other')) as { data: unknown };
      expect(checkInjectorTemplates(fetchedOk(without), LEGACY.injector.expect)).toMatchObject({
        status: 'fail',
      });
    },
  );
});
