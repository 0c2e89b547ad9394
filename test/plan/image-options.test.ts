import { describe, expect, it } from 'vitest';
import { load } from 'js-yaml';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { actionNaming, type RawInputs } from '../../src/config/inputs.js';
import { buildPlan } from '../../src/plan/build.js';
import { renderRunbook } from '../../src/plan/runbook.js';
import { resolveCell } from '../../src/resolve/cell.js';

const plan = (raw: RawInputs) => buildPlan(resolveCell(parseCellConfig(raw, actionNaming)), { runId: 'r1' });
const IMAGE = 'localhost:5000/calico/dikastes:pr-123';

describe('a plan with local images', () => {
  const { plan: p } = plan({ images: `${IMAGE}\nquay.io/calico/node:v3.32.1` });
  const ids = p.steps.map((s) => s.id);
  const load = p.steps.find((s) => s.id === 'load-images')!;

  it('loads them on the main line right after the cluster, before Calico and before any preload', () => {
    expect(ids.indexOf('load-images')).toBe(ids.indexOf('cluster-create') + 1);
    expect(load.dependsOn).toEqual(['cluster-create']);
    expect(p.steps.find((s) => s.id === 'calico-operator')!.dependsOn).toContain('load-images');
    for (const s of p.steps.filter((x) => x.id.startsWith('preload-'))) {
      // a lane head waits for the loads; later ones follow their lane
      expect(s.dependsOn.every((d) => d === 'load-images' || d.startsWith('preload-'))).toBe(true);
    }
    expect(load.optional).toBeFalsy();
  });

  it('kind load, falling back to docker save piped into ctr import in the node', () => {
    const node = `${p.cell.clusterName}-control-plane`;
    expect(load.commands[0]).toEqual({
      exec: ['kind', 'load', 'docker-image', IMAGE, '--name', p.cell.clusterName],
      orElse: [
        {
          pipe: [
            ['docker', 'save', IMAGE],
            ['docker', 'exec', '-i', node, 'ctr', '-n', 'k8s.io', 'images', 'import', '-'],
          ],
        },
      ],
    });
  });

  it('does not pull what it loads; the facts name the images for the preflight', () => {
    const pulls = p.steps.filter((s) => s.id.startsWith('preload-')).map((s) => s.title);
    expect(pulls.some((t) => t.includes('quay.io/calico/node:v3.32.1'))).toBe(false);
    expect(pulls.some((t) => t.includes('quay.io/calico/cni:v3.32.1'))).toBe(true);
    expect(p.facts.localImages).toEqual([IMAGE, 'quay.io/calico/node:v3.32.1']);
  });

  it('the runbook checks the images are in Docker before the cluster, and spells the fallback as a pipe after ||', () => {
    const runbook = renderRunbook(p);
    const check = runbook.indexOf(`for image in ${IMAGE} quay.io/calico/node:v3.32.1; do`);
    expect(check).toBeGreaterThan(0);
    expect(check).toBeLessThan(runbook.indexOf('kind create cluster'));
    expect(runbook).toContain('docker image inspect --format "{{.Id}}" "$image" >/dev/null ||');
    expect(runbook).toContain(
      `kind load docker-image ${IMAGE} --name ${p.cell.clusterName} || { docker save ${IMAGE} | docker exec -i ${p.cell.clusterName}-control-plane ctr -n k8s.io images import -; }`,
    );
  });
});

describe('a plan with an image mirror', () => {
  const rendered = plan({
    'image-mirror': 'docker.io=https://mirror.example\nquay.io=https://quay.example/cache',
  });
  const { plan: p, files } = rendered;
  const kindConfig = load(files.get('manifests/kind-config.yaml')!) as Record<string, any>;

  it('patches containerd to read /etc/containerd/certs.d, keeping the rest of the kind config', () => {
    expect(kindConfig.containerdConfigPatches).toEqual([
      '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"',
    ]);
    expect(kindConfig.networking.disableDefaultCNI).toBe(true);
    expect(kindConfig.kubeadmConfigPatches).toHaveLength(1);
  });

  it('writes one hosts.toml per registry: the mirror first, the registry as the fallback server', () => {
    expect(files.get('manifests/containerd/certs.d/docker.io/hosts.toml')).toBe(
      'server = "https://registry-1.docker.io"\n\n[host."https://mirror.example"]\n  capabilities = ["pull", "resolve"]\n',
    );
    expect(files.get('manifests/containerd/certs.d/quay.io/hosts.toml')).toContain(
      'server = "https://quay.io"',
    );
    expect(files.get('manifests/containerd/certs.d/quay.io/hosts.toml')).toContain(
      '[host."https://quay.example/cache"]',
    );
  });

  it('copies them into the node after it is created and before the preload', () => {
    const ids = p.steps.map((s) => s.id);
    const step = p.steps.find((s) => s.id === 'image-mirror')!;
    expect(ids.indexOf('image-mirror')).toBe(ids.indexOf('cluster-create') + 1);
    expect(step.commands).toEqual([
      {
        exec: [
          'docker',
          'cp',
          'manifests/containerd/certs.d/.',
          `${p.cell.clusterName}-control-plane:/etc/containerd/certs.d`,
        ],
      },
    ]);
    expect(step.manifests).toEqual([
      'manifests/containerd/certs.d/docker.io/hosts.toml',
      'manifests/containerd/certs.d/quay.io/hosts.toml',
    ]);
    const heads = p.steps.filter(
      (s) => s.id.startsWith('preload-') && !s.dependsOn.some((d) => d.startsWith('preload-')),
    );
    expect(heads.length).toBeGreaterThan(0);
    for (const h of heads) expect(h.dependsOn).toEqual(['image-mirror']);
    expect(p.facts.imageMirrors).toEqual([
      { registry: 'docker.io', mirror: 'https://mirror.example' },
      { registry: 'quay.io', mirror: 'https://quay.example/cache' },
    ]);
  });

  it('the host pulls the digest-pinned node image through the docker.io mirror', () => {
    const create = p.steps.find((s) => s.id === 'cluster-create')!.commands[0] as { exec: string[] };
    const image = create.exec[create.exec.indexOf('--image') + 1]!;
    expect(image).toMatch(/^mirror\.example\/kindest\/node:v1\.34\.\d+@sha256:[a-f0-9]{64}$/);
    expect(image.split('/').slice(1).join('/')).toBe(p.cell.nodeImage);
  });

  it('without rules the kind config and the node image are as before', () => {
    const { plan: q, files: f } = plan({});
    expect((load(f.get('manifests/kind-config.yaml')!) as any).containerdConfigPatches).toBeUndefined();
    expect(q.steps.some((s) => s.id === 'image-mirror' || s.id === 'load-images')).toBe(false);
    const create = q.steps.find((s) => s.id === 'cluster-create')!.commands[0] as { exec: string[] };
    expect(create.exec[create.exec.indexOf('--image') + 1]).toBe(q.cell.nodeImage);
  });
});

describe('kind node names', () => {
  it('follow kind’s namer: role, then role2, role3 per role', async () => {
    const { kindNodeNames } = await import('../../src/render/kind-config.js');
    expect(
      kindNodeNames('c', [
        { role: 'control-plane' },
        { role: 'worker' },
        { role: 'worker' },
        { role: 'control-plane' },
      ]),
    ).toEqual(['c-control-plane', 'c-worker', 'c-worker2', 'c-control-plane2']);
  });
});
