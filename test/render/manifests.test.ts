import { Gateway } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { PeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication';
import { IstioOperator } from '@kubernetes-models/istio/install.istio.io/v1alpha1/IstioOperator';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { resolveCell } from '../../src/resolve/cell.js';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { actionNaming, type RawInputs } from '../../src/config/inputs.js';
import { buildPlan } from '../../src/plan/build.js';
import { parseYamlStream } from '../../src/render/yaml.js';
import { dikastesTemplate } from '../../src/render/dikastes-templates.js';
import { CALICO_CRD_VERSIONS, calicoSpecValidator } from '../support/calico-crds.js';
import { upstreamAvailable } from '../support/upstream.js';

const rendered = (raw: RawInputs = {}) => buildPlan(resolveCell(parseCellConfig(raw, actionNaming)));
const docsOf = (raw: RawInputs, path: string) => {
  const text = rendered(raw).files.get(path);
  if (text === undefined) throw new Error(`${path} not rendered`);
  return parseYamlStream(text) as Record<string, any>[];
};
const one = (raw: RawInputs, path: string) => docsOf(raw, path)[0]!;

describe('Kubernetes objects validate with kubernetes-models', () => {
  it('workload namespace is labelled for injection', () => {
    const ns = one({}, 'manifests/namespace.yaml');
    new Namespace(ns as never).validate();
    expect(ns.metadata.labels).toEqual({ 'istio-injection': 'enabled' });
  });

  it('the gateway canary carries the guide’s gateway annotation and validates', () => {
    const d = one({}, 'manifests/gateway-canary.yaml');
    new Deployment(d as never).validate();
    expect(d.spec.template.metadata.annotations).toEqual({
      'inject.istio.io/templates': 'sidecar,dikastes-gateway',
    });
    expect(d.spec.template.spec.containers[0].image).toBe('docker.io/istio/proxyv2:1.28.1');
  });

  it('a pod built from each Dikastes template overlay validates', () => {
    for (const name of ['dikastes', 'dikastes-gateway'] as const) {
      const t = dikastesTemplate(name, 'quay.io/calico/dikastes:v3.32.1');
      new Pod({ metadata: { name: 'x' }, spec: t.spec } as never).validate();
    }
  });

  it('kubernetes-models rejects a broken object (the validator can fail)', () => {
    const ns = one({}, 'manifests/namespace.yaml');
    ns.metadata.labels['istio-injection'] = true;
    expect(() => new Namespace(ns as never).validate()).toThrow(/labels/);
  });
});

describe('Istio objects validate with @kubernetes-models/istio', () => {
  it('PeerAuthentication is mesh-wide STRICT, and absent when strict-mtls is false', () => {
    const pa = one({}, 'manifests/peer-authentication.yaml');
    new PeerAuthentication(pa as never).validate();
    expect(pa).toMatchObject({ metadata: { namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } });
    expect(rendered({ 'strict-mtls': 'false' }).files.has('manifests/peer-authentication.yaml')).toBe(false);
  });

  it('Gateway + VirtualService route the ingress gateway to the frontend', () => {
    const [gw, vs] = docsOf({}, 'manifests/frontend-gateway.yaml');
    new Gateway(gw as never).validate();
    new VirtualService(vs as never).validate();
    expect(gw!.spec.selector).toEqual({ istio: 'ingressgateway' });
    expect(vs!.spec.gateways).toEqual([gw!.metadata.name]);
    expect(vs!.spec.http[0].route[0].destination.host).toBe('frontend');
  });

  it('DestinationRule lowers the frontend connect timeout', () => {
    const dr = one({}, 'manifests/frontend-destination-rule.yaml');
    new DestinationRule(dr as never).validate();
    expect(dr.spec.trafficPolicy.connectionPool.tcp.connectTimeout).toBe('2s');
  });

  it('IstioOperator: NodePort gateway, native sidecars, lowered requests, both templates', () => {
    const io = one({}, 'manifests/istio-operator.yaml');
    new IstioOperator(io as never).validate();
    const gw = io.spec.components.ingressGateways[0];
    expect(gw.k8s.service.type).toBe('NodePort');
    expect(gw.k8s.service.ports.find((p: any) => p.name === 'http2')).toEqual({
      name: 'http2',
      port: 80,
      targetPort: 8080,
      nodePort: 30080,
    });
    expect(io.spec.values.pilot.env.ENABLE_NATIVE_SIDECARS).toBe('true');
    expect(io.spec.values.global.proxy.resources.requests).toEqual({ cpu: '20m', memory: '64Mi' });
    expect(io.spec.components.pilot.k8s.resources.requests).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(Object.keys(io.spec.values.sidecarInjectorWebhook.templates)).toEqual([
      'dikastes',
      'dikastes-gateway',
    ]);
  });

  it('legacy flavours: plain IstioOperator (no templates, no native-sidecar flag); 1.10 gets the PDB/HPA workaround', () => {
    const io15 = one({ 'istio-version': '1.15' }, 'manifests/istio-operator.yaml');
    new IstioOperator(io15 as never).validate();
    expect(io15.spec.values.sidecarInjectorWebhook).toBeUndefined();
    expect(io15.spec.values.pilot).toBeUndefined();
    const io10 = one({ 'istio-version': '1.10' }, 'manifests/istio-operator.yaml');
    expect(io10.spec.values.global.defaultPodDisruptionBudget).toEqual({ enabled: false });
    expect(io10.spec.values.pilot).toEqual({ autoscaleEnabled: false });
    expect(io10.spec.values.gateways['istio-ingressgateway']).toEqual({ autoscaleEnabled: false });
  });
});

describe('Dikastes templates, field by field against the Calico guide', () => {
  // The guide's template ("3. Configure Istio with Dikastes injection templates"), with the image pinned.
  const guide = (uid: number, nonRoot: boolean, image: string) => ({
    spec: {
      containers: [
        {
          name: 'dikastes',
          image,
          args: ['server', '-l', '/var/run/dikastes/dikastes.sock', '-d', '/var/run/felix/nodeagent/socket'],
          securityContext: {
            allowPrivilegeEscalation: false,
            runAsGroup: uid,
            runAsNonRoot: nonRoot,
            runAsUser: uid,
          },
          livenessProbe: {
            exec: { command: ['/healthz', 'liveness'] },
            initialDelaySeconds: 3,
            periodSeconds: 3,
          },
          readinessProbe: {
            exec: { command: ['/healthz', 'readiness'] },
            initialDelaySeconds: 3,
            periodSeconds: 3,
          },
          volumeMounts: [
            { mountPath: '/var/run/dikastes', name: 'dikastes-sock' },
            { mountPath: '/var/run/felix', name: 'felix-sync' },
          ],
        },
      ],
      initContainers: [
        { name: 'istio-proxy', volumeMounts: [{ mountPath: '/var/run/dikastes', name: 'dikastes-sock' }] },
      ],
      volumes: [
        { name: 'dikastes-sock', emptyDir: { medium: 'Memory' } },
        { name: 'felix-sync', csi: { driver: 'csi.tigera.io' } },
      ],
    },
  });

  it.each([
    ['v3.32.1', 'quay.io/calico/dikastes:v3.32.1'],
    ['v3.31.7', 'quay.io/calico/dikastes:v3.31.7'],
    ['v3.29.7', 'calico/dikastes:v3.29.7'],
    ['3.27', 'calico/dikastes:v3.27.5'],
  ])('Calico %s: both templates, image %s', (calico, image) => {
    const io = one({ 'calico-version': calico }, 'manifests/istio-operator.yaml');
    const t = io.spec.values.sidecarInjectorWebhook.templates;
    expect(typeof t.dikastes).toBe('string');
    const workload = load(t.dikastes) as any;
    const gateway = load(t['dikastes-gateway']) as any;
    expect(workload).toEqual(guide(999, true, image));
    expect(gateway).toEqual(guide(0, false, image));
    // field by field, so a difference names the field
    const want = guide(999, true, image).spec.containers[0]!;
    for (const [k, v] of Object.entries(want)) expect(workload.spec.containers[0][k], k).toEqual(v);
    expect(image).not.toMatch(/:v\d+\.\d+$/);
  });
});

describe('Calico objects validate against the upstream policy CRD schemas', () => {
  const have = upstreamAvailable();
  it.runIf(have).each(CALICO_CRD_VERSIONS)('FelixConfiguration spec against %s', (version) => {
    const validate = calicoSpecValidator(version, 'FelixConfiguration');
    const felix = one({}, 'manifests/felix-configuration.yaml');
    expect(felix).toMatchObject({
      apiVersion: 'projectcalico.org/v3',
      kind: 'FelixConfiguration',
      metadata: { name: 'default' },
    });
    expect(validate(felix.spec), JSON.stringify(validate.errors)).toBe(true);
    expect(felix.spec).toEqual({
      policySyncPathPrefix: '/var/run/nodeagent',
      bpfConnectTimeLoadBalancing: 'Disabled',
    });
    expect(validate({ ...felix.spec, bpfConnectTimeLoadBalancing: 'Off' })).toBe(false);
  });
});

describe('kind cluster config', () => {
  it('has no default CNI, Calico’s pool as pod subnet, and the gateway NodePort on loopback', () => {
    const k = one({}, 'manifests/kind-config.yaml');
    expect(k).toEqual({
      kind: 'Cluster',
      apiVersion: 'kind.x-k8s.io/v1alpha4',
      networking: { disableDefaultCNI: true, podSubnet: '192.168.0.0/16' },
      kubeadmConfigPatches: [
        'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nserializeImagePulls: false\nmaxParallelImagePulls: 4\n',
      ],
      nodes: [
        {
          role: 'control-plane',
          labels: { 'conformance.calico-istio/cell': 'k8s-1.34.8_calico-v3.32.1_istio-1.28.1' },
          extraPortMappings: [
            { containerPort: 30080, hostPort: 30080, listenAddress: '127.0.0.1', protocol: 'TCP' },
          ],
        },
      ],
    });
    const io = one({}, 'manifests/istio-operator.yaml');
    const nodePort = io.spec.components.ingressGateways[0].k8s.service.ports.find(
      (p: any) => p.name === 'http2',
    ).nodePort;
    expect(k.nodes[0].extraPortMappings[0].containerPort).toBe(nodePort);
  });

  it('a run’s host port and run id: the mapping, the ingress URL and the cluster name follow them', () => {
    const cell = resolveCell(parseCellConfig({}, actionNaming));
    const { plan, files } = buildPlan(cell, { runId: 'a1b2c3', hostPort: 41234 });
    const k = load(files.get('manifests/kind-config.yaml')!) as any;
    expect(k.nodes[0].extraPortMappings[0].hostPort).toBe(41234);
    expect(plan.facts.ingressUrl).toBe('http://127.0.0.1:41234');
    expect(plan.facts.clusterName).toBe('cic-1-34-8-v3-32-1-1-28-1-a1b2c3');
    const create = plan.steps[0]!;
    expect(create.retry?.beforeRetry?.[0]).toEqual({
      exec: ['kind', 'delete', 'cluster', '--name', 'cic-1-34-8-v3-32-1-1-28-1-a1b2c3'],
    });
    expect(plan.cleanup[0]!.commands[0]).toEqual({
      exec: ['kind', 'delete', 'cluster', '--name', 'cic-1-34-8-v3-32-1-1-28-1-a1b2c3'],
    });
  });
});
