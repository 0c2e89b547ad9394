import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { dump, load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { BOUTIQUE } from '../../src/catalog/index.js';
import { resolveCell } from '../../src/resolve/cell.js';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { actionNaming, type RawInputs } from '../../src/config/inputs.js';
import { buildPlan } from '../../src/plan/build.js';
import { isFetch } from '../../src/plan/types.js';
import { parseYamlStream } from '../../src/render/yaml.js';
import { upstream, upstreamAvailable } from '../support/upstream.js';

const have = upstreamAvailable();
const kubectl = (args: string[]) =>
  execFileSync('kubectl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Writes a plan's files under a temp dir, as `plan` would. */
function planDir(raw: RawInputs) {
  const cell = resolveCell(parseCellConfig(raw, actionNaming));
  const { plan, files } = buildPlan(cell);
  const dir = mkdtempSync(join(tmpdir(), 'cic-upstream-'));
  dirs.push(dir);
  for (const [rel, content] of files) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return { cell, plan, dir };
}

/** Stands in for the `fetch` step: the pinned upstream file, from ../shared/upstream. */
function fetchStep(plan: ReturnType<typeof planDir>['plan'], id: string) {
  const cmd = plan.steps.find((s) => s.id === id)?.commands.find(isFetch);
  if (!cmd) throw new Error(`no fetch in step ${id}`);
  return cmd.fetch;
}

describe.runIf(have)('Online Boutique transformation on the real v0.10.6 release file', () => {
  function kustomized(raw: RawInputs) {
    const { plan, dir } = planDir(raw);
    const f = fetchStep(plan, 'boutique');
    expect(f.url).toBe(BOUTIQUE.manifestUrl);
    copyFileSync(
      upstream('microservices-demo', BOUTIQUE.version, 'kubernetes-manifests.yaml'),
      join(dir, f.dest),
    );
    // the same tool the run uses: kubectl's kustomize over the plan's kustomization
    return parseYamlStream(kubectl(['kustomize', join(dir, 'manifests/boutique')])) as any[];
  }

  it('annotates every Deployment, drops loadgenerator and frontend-external, keeps everything valid', () => {
    const docs = kustomized({});
    const deployments = docs.filter((d) => d.kind === 'Deployment');
    expect(deployments.length).toBe(11);
    for (const d of deployments) {
      expect(d.spec.template.metadata.annotations['inject.istio.io/templates'], d.metadata.name).toBe(
        'sidecar,dikastes',
      );
      new Deployment(d).validate();
    }
    const names = docs.map((d) => `${d.kind}/${d.metadata.name}`);
    expect(names).not.toContain('Deployment/loadgenerator');
    expect(names).not.toContain('Service/frontend-external');
    expect(names).not.toContain('ServiceAccount/loadgenerator');
    expect(names).toContain('Service/frontend');
    for (const d of docs) expect(d.metadata.namespace, `${d.kind}/${d.metadata.name}`).toBe('boutique');
    for (const s of docs.filter((d) => d.kind === 'Service')) new Service(s).validate();
    for (const s of docs.filter((d) => d.kind === 'ServiceAccount')) new ServiceAccount(s).validate();
    // the upstream probe-rewrite annotation survives the merge
    const frontend = deployments.find((d) => d.metadata.name === 'frontend');
    expect(frontend.spec.template.metadata.annotations['sidecar.istio.io/rewriteAppHTTPProbers']).toBe(
      'true',
    );
  });

  it('every Boutique service image is the pinned release', () => {
    const images = kustomized({})
      .filter((d) => d.kind === 'Deployment')
      .flatMap((d) => d.spec.template.spec.containers.map((c: any) => c.image as string));
    for (const svc of BOUTIQUE.services) {
      expect(images).toContain(`${BOUTIQUE.imageRepository}/${svc}:${BOUTIQUE.version}`);
    }
  });

  it('pins redis:alpine by digest, lowers every CPU request, keeps gRPC probes where Istio rewrites them', () => {
    const deployments = kustomized({}).filter((d) => d.kind === 'Deployment');
    const containers = deployments.flatMap((d) => d.spec.template.spec.containers as any[]);
    const redis = containers.find((c) => c.name === 'redis');
    expect(redis.image).toBe('redis@sha256:8096655e437712b07503796fb64d81359256cfcff0ab29d95a7da72863786efb');
    for (const c of containers) expect(c.image, c.name).not.toMatch(/:(alpine|latest)$/);
    let cpu = 0;
    for (const c of containers) {
      const m = /^(\d+)m$/.exec(c.resources.requests.cpu);
      expect(m, `${c.name} ${c.resources.requests.cpu}`).not.toBeNull();
      cpu += Number(m![1]);
      // memory is left as upstream set it
      expect(c.resources.requests.memory).toMatch(/Mi$/);
    }
    expect(cpu).toBeLessThanOrEqual(300);
    const ad = deployments.find((d) => d.metadata.name === 'adservice').spec.template.spec.containers[0];
    expect(ad.readinessProbe.grpc).toEqual({ port: 9555 });
    for (const d of deployments) new Deployment(d).validate();
  });

  it('Istio 1.10: every gRPC probe becomes a tcpSocket probe on the same port, nothing else changes', () => {
    const before = new Map(
      (
        parseYamlStream(
          readFileSync(upstream('microservices-demo', BOUTIQUE.version, 'kubernetes-manifests.yaml'), 'utf8'),
        ) as any[]
      )
        .filter((d) => d.kind === 'Deployment')
        .map((d) => [d.metadata.name, d.spec.template.spec.containers[0]]),
    );
    const deployments = kustomized({ 'istio-version': '1.10', 'kubernetes-version': '1.29' }).filter(
      (d) => d.kind === 'Deployment',
    );
    let rewritten = 0;
    for (const d of deployments) {
      const c = d.spec.template.spec.containers[0];
      const was = before.get(d.metadata.name);
      for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
        expect(c[probe].grpc, `${d.metadata.name} ${probe}`).toBeUndefined();
        if (was[probe].grpc) {
          rewritten++;
          expect(c[probe].tcpSocket).toEqual({ port: was[probe].grpc.port });
          expect(c[probe].periodSeconds).toBe(was[probe].periodSeconds);
        } else expect(c[probe]).toEqual(was[probe]);
      }
      new Deployment(d).validate();
    }
    // 9 Deployments with a gRPC readiness and liveness probe each (UPSTREAM.md §6 "Probes")
    expect(rewritten).toBe(18);
  });

  it('legacy flavour: pods carry no templates annotation', () => {
    const deployments = kustomized({ 'istio-version': '1.15' }).filter((d) => d.kind === 'Deployment');
    expect(deployments.length).toBe(11);
    for (const d of deployments) {
      expect(d.spec.template.metadata.annotations?.['inject.istio.io/templates']).toBeUndefined();
    }
  });
});

describe.runIf(have)('legacy ConfigMap patch on the real upstream files', () => {
  /** A live-shaped istio-sidecar-injector ConfigMap whose sidecar template is Istio's own (real file). */
  function injectorConfigMap(istio: string, dir: string) {
    const sidecar = readFileSync(upstream('istio', istio, 'injection-template.yaml'), 'utf8');
    const gateway = readFileSync(upstream('istio', istio, 'gateway-injection-template.yaml'), 'utf8');
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio-sidecar-injector', namespace: 'istio-system' },
      data: {
        values: '{"global":{"proxy":{"image":"proxyv2"}}}',
        config: dump({ defaultTemplates: ['sidecar'], policy: 'enabled', templates: { sidecar, gateway } }),
      },
    };
    const path = join(dir, 'live-configmap.yaml');
    writeFileSync(path, dump(cm));
    return path;
  }

  it.each([
    ['1.15', '1.15.7', 'v3.32.1', 'istio-inject-configmap-1.15.yaml'],
    ['1.15', '1.15.7', 'v3.29.7', 'istio-inject-configmap-1.15.yaml'],
    ['1.10', '1.10.6', 'v3.31.7', 'istio-inject-configmap-1.10.yaml'],
  ])(
    'Istio %s with Calico %s: Dikastes lands in the sidecar template, pinned',
    (istioMinor, istio, calico, file) => {
      const { plan, cell, dir } = planDir({ 'istio-version': istioMinor, 'calico-version': calico });
      const step = plan.steps.find((s) => s.id === 'istio-legacy-injector')!;
      const f = fetchStep(plan, 'istio-legacy-injector');
      expect(f.url).toBe(
        `https://raw.githubusercontent.com/projectcalico/calico/${calico}/manifests/alp/${file}`,
      );
      expect(f.sha256).toMatch(/^[a-f0-9]{64}$/);
      mkdirSync(dirname(join(dir, f.dest)), { recursive: true });
      copyFileSync(upstream('calico', calico, 'alp', file), join(dir, f.dest));

      const live = injectorConfigMap(istio, dir);
      const before = load(readFileSync(live, 'utf8')) as any;
      expect(before.data.config).not.toContain('name: dikastes');

      // the plan's own argv, run locally against the live-shaped object
      const patchArgv = step.commands
        .flatMap((c) => (isFetch(c) ? [] : [c.exec]))
        .find((c) => c[0] === 'kubectl' && c[1] === 'patch')!;
      expect(patchArgv).toEqual([
        'kubectl',
        'patch',
        'configmap',
        '-n',
        'istio-system',
        'istio-sidecar-injector',
        '--patch-file',
        f.dest,
      ]);
      const after = load(
        kubectl(['patch', '--local', '-f', live, '--patch-file', join(dir, f.dest), '-o', 'yaml']),
      ) as any;

      expect(after.data.values).toBe(before.data.values);
      const config = load(after.data.config) as any;
      expect(config.defaultTemplates).toEqual(['sidecar']);
      expect(Object.keys(config.templates)).toContain('sidecar');
      expect(config.templates.dikastes).toBeUndefined();
      const sidecar: string = config.templates.sidecar;
      expect(sidecar).toMatch(/- name: dikastes\n\s+image: (\S+)/);
      expect(/- name: dikastes\n\s+image: (\S+)/.exec(sidecar)![1]).toBe(cell.calico.dikastesImage);
      expect(sidecar).toContain('/var/run/felix/nodeagent/socket');
      expect(sidecar).toContain('csi.tigera.io');
    },
  );
});

describe.runIf(have)('Istio injection templates need native sidecars for Calico’s overlay', () => {
  it.each(['1.22.8', '1.28.1'])(
    'Istio %s emits istio-proxy as a restartPolicy: Always init container',
    (istio) => {
      const t = readFileSync(upstream('istio', istio, 'injection-template.yaml'), 'utf8');
      expect(t).toContain('nativeSidecar');
      expect(t).toMatch(/if \$nativeSidecar \}\}restartPolicy: Always/);
    },
  );
});
