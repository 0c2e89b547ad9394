import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestHeaders } from '../../src/cli/check-upstream.js';
import { runCli } from '../../src/cli/index.js';
import { startFeedServer, type FeedRoute } from '../fakes/servers.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const hex = (c: string) => c.repeat(64);
const TOKEN = 'ghp_secretTOKENvalue123';

/** GitHub's releases API shape (the fields the check reads, plus some it must ignore). */
const release = (tag: string, extra: Record<string, unknown> = {}) => ({
  tag_name: tag,
  name: tag,
  draft: false,
  prerelease: false,
  html_url: `https://github.com/x/y/releases/tag/${tag}`,
  assets: [],
  body: '',
  ...extra,
});

// The files Calico 3.32 publishes and the catalog pins for its latest patch.
const CALICO_332_FILES = [
  'v1_crd_projectcalico_org.yaml',
  'tigera-operator.yaml',
  'custom-resources.yaml',
  'alp/istio-app-layer-policy-envoy-v3.yaml',
  'alp/istio-inject-configmap-1.10.yaml',
  'alp/istio-inject-configmap-1.15.yaml',
];
const CALICO_331_FILES = [
  'operator-crds.yaml',
  'tigera-operator.yaml',
  'alp/istio-app-layer-policy-envoy-v3.yaml',
  'alp/istio-inject-configmap-1.10.yaml',
  'alp/istio-inject-configmap-1.15.yaml',
  // custom-resources.yaml is not published for v3.31.8: reported, not guessed
];
const calicoFile = (tag: string, f: string) => `# ${f} of Calico ${tag}\n`;
const KIND_NOTES = [
  '## New Features',
  '- containerd 2.3.2',
  '',
  'Images pre-built for this release:',
  `- v1.36.3: \`kindest/node:v1.36.3@sha256:${hex('a')}\``,
  `- v1.35.7: \`kindest/node:v1.35.7@sha256:${hex('b')}\``,
].join('\n');
const BOUTIQUE_MANIFEST = 'kind: Deployment\n# Online Boutique v0.10.7\n';

const routes: Record<string, FeedRoute> = {
  '/api/repos/projectcalico/calico/releases': JSON.stringify([
    release('v3.33.0-0.dev', { prerelease: true }),
    release('v3.33.0'),
    release('v3.32.3', { draft: true }),
    release('v3.32.2'),
    release('v3.31.8'),
    release('v3.32.1'),
    release('v3.31.7'),
  ]),
  ...Object.fromEntries(
    CALICO_332_FILES.map((f) => [
      `/raw/projectcalico/calico/v3.32.2/manifests/${f}`,
      calicoFile('v3.32.2', f),
    ]),
  ),
  ...Object.fromEntries(
    CALICO_331_FILES.map((f) => [
      `/raw/projectcalico/calico/v3.31.8/manifests/${f}`,
      calicoFile('v3.31.8', f),
    ]),
  ),
  '/api/repos/istio/istio/releases': JSON.stringify([
    release('1.30.0-beta.1', { prerelease: true }),
    release('1.30.0'),
    release('1.29.7'),
    release('1.28.11'),
    release('1.28.10'),
  ]),
  '/gh/istio/istio/releases/download/1.28.11/istioctl-1.28.11-linux-amd64.tar.gz.sha256': `${hex('1')}  istioctl-1.28.11-linux-amd64.tar.gz\n`,
  '/gh/istio/istio/releases/download/1.28.11/istioctl-1.28.11-linux-arm64.tar.gz.sha256': `${hex('2')}  istioctl-1.28.11-linux-arm64.tar.gz\n`,
  // 1.29.7: the amd64 checksum is published, the arm64 one is missing
  '/gh/istio/istio/releases/download/1.29.7/istioctl-1.29.7-linux-amd64.tar.gz.sha256': `${hex('3')}  istioctl-1.29.7-linux-amd64.tar.gz\n`,
  '/api/repos/kubernetes-sigs/kind/releases': JSON.stringify([
    release('v0.33.0', { body: KIND_NOTES }),
    release('v0.32.0', { body: `- v1.36.1: \`kindest/node:v1.36.1@sha256:${hex('c')}\`` }),
  ]),
  '/kind/dl/v0.33.0/kind-linux-amd64.sha256sum': `${hex('4')}  kind-linux-amd64\n`,
  '/kind/dl/v0.33.0/kind-linux-arm64.sha256sum': `${hex('5')}  kind-linux-arm64\n`,
  '/api/repos/GoogleCloudPlatform/microservices-demo/tags': JSON.stringify([
    { name: 'v0.10.7', commit: { sha: hex('6').slice(0, 40) } },
    { name: 'v0.10.6', commit: { sha: hex('7').slice(0, 40) } },
  ]),
  '/raw/GoogleCloudPlatform/microservices-demo/v0.10.7/release/kubernetes-manifests.yaml': BOUTIQUE_MANIFEST,
};

let server: Awaited<ReturnType<typeof startFeedServer>>;
const savedToken = process.env.GITHUB_TOKEN;

beforeAll(async () => {
  server = await startFeedServer(routes);
  process.env.GITHUB_TOKEN = TOKEN;
});
afterAll(async () => {
  await server.close();
  if (savedToken === undefined) delete process.env.GITHUB_TOKEN;
  else process.env.GITHUB_TOKEN = savedToken;
});

async function check(...extra: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const u = server.url;
  const code = await runCli(
    [
      'versions',
      '--check-upstream',
      '--allow-insecure-mirrors',
      '--mirror',
      `https://api.github.com=${u}/api`,
      '--mirror',
      `https://raw.githubusercontent.com=${u}/raw`,
      '--mirror',
      `https://github.com=${u}/gh`,
      '--mirror',
      `https://kind.sigs.k8s.io=${u}/kind`,
      ...extra,
    ],
    { out: (t) => void out.push(t), err: (t) => void err.push(t) },
  );
  return { code, out: out.join(''), err: err.join('') };
}

describe('versions --check-upstream against a local server imitating the feeds', () => {
  it('--json: new patches with the digests of the files the catalog pins; missing files reported, not guessed', async () => {
    const { code, out } = await check('--json');
    expect(code).toBe(0);
    const { report, patch, hasUpdates } = JSON.parse(out);
    expect(hasUpdates).toBe(true);
    expect(report.errors).toEqual([]);

    const c332 = report.calico.find((p: any) => p.version === 'v3.32.2');
    expect(c332.missing).toEqual([]);
    expect(c332.digests).toEqual(
      Object.fromEntries(CALICO_332_FILES.map((f) => [`v3.32.2/${f}`, sha(calicoFile('v3.32.2', f))])),
    );
    const c331 = report.calico.find((p: any) => p.version === 'v3.31.8');
    expect(c331.missing).toEqual([
      {
        file: 'v3.31.8/custom-resources.yaml',
        url: `${server.url}/raw/projectcalico/calico/v3.31.8/manifests/custom-resources.yaml`,
        why: 'HTTP 404',
      },
    ]);
    expect(c331.digests['v3.31.8/custom-resources.yaml']).toBeUndefined();
    // drafts, pre-releases and known tags are not news; a new minor is reported for a person to add
    expect(report.calico.map((p: any) => p.version).sort()).toEqual(['v3.31.8', 'v3.32.2']);
    expect(report.newMinors).toEqual([
      { project: 'calico', version: 'v3.33.0' },
      { project: 'istio', version: '1.30.0' },
    ]);

    expect(report.istio.find((p: any) => p.version === '1.28.11')).toMatchObject({
      istioctl: { amd64: hex('1'), arm64: hex('2') },
      missing: [],
    });
    const i129 = report.istio.find((p: any) => p.version === '1.29.7');
    expect(i129.istioctl).toEqual({ amd64: hex('3') });
    expect(i129.missing).toEqual([
      {
        file: 'istioctl-1.29.7-linux-arm64.tar.gz.sha256',
        url: `${server.url}/gh/istio/istio/releases/download/1.29.7/istioctl-1.29.7-linux-arm64.tar.gz.sha256`,
        why: 'HTTP 404',
      },
    ]);

    expect(report.kind).toEqual([
      {
        version: 'v0.33.0',
        images: { '1.36.3': `sha256:${hex('a')}`, '1.35.7': `sha256:${hex('b')}` },
        binary: { amd64: hex('4'), arm64: hex('5') },
        missing: [],
      },
    ]);
    expect(report.boutique).toEqual([{ version: 'v0.10.7', sha256: sha(BOUTIQUE_MANIFEST), missing: [] }]);

    // Only complete releases go into the patch.
    expect(patch.calico).toEqual([{ minor: '3.32', latest: 'v3.32.2', digests: c332.digests }]);
    expect(patch.istio).toEqual([
      { minor: '1.28', latest: '1.28.11', istioctl: { amd64: hex('1'), arm64: hex('2') } },
    ]);
    expect(patch.kind).toEqual([{ version: 'v0.33.0', images: report.kind[0].images }]);
    expect(patch.boutique).toEqual([{ version: 'v0.10.7', sha256: sha(BOUTIQUE_MANIFEST) }]);
  });

  it('the text report names what is missing and prints the patch', async () => {
    const { code, out } = await check();
    expect(code).toBe(0);
    expect(out).toContain('Calico 3.31: v3.31.8 (incomplete)');
    expect(out).toContain('MISSING v3.31.8/custom-resources.yaml: HTTP 404');
    expect(out).toContain('reported, not guessed');
    expect(out).toContain(`kindest/node:v1.36.3@sha256:${hex('a')}`);
    expect(out).toContain('New Istio minor 1.30.0: needs a catalog entry');
    expect(out).toContain('Catalog patch (complete releases only):');
  });

  it('every request went through the mirrors; the token never left for a mirror and is never printed', async () => {
    const { out, err } = await check('--json');
    expect(server.requests.length).toBeGreaterThan(10);
    for (const r of server.requests) expect(r.headers.authorization).toBeUndefined();
    expect(out + err).not.toContain(TOKEN);
    // To GitHub's API itself the token is sent; never to anyone else.
    expect(requestHeaders('https://api.github.com/repos/istio/istio/releases', TOKEN).authorization).toBe(
      `Bearer ${TOKEN}`,
    );
    expect(requestHeaders('https://api.github.com.evil.example/x', TOKEN).authorization).toBeUndefined();
    expect(requestHeaders(`${server.url}/api/repos/x`, TOKEN).authorization).toBeUndefined();
    expect(requestHeaders('https://api.github.com/x', undefined).authorization).toBeUndefined();
  });

  it('a feed that cannot be read is an error (exit 1), the others are still reported', async () => {
    const broken = await startFeedServer({ ...routes, '/api/repos/istio/istio/releases': { status: 503 } });
    try {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(
        [
          'versions',
          '--check-upstream',
          '--allow-insecure-mirrors',
          '--mirror',
          `https://api.github.com=${broken.url}/api`,
          '--mirror',
          `https://raw.githubusercontent.com=${broken.url}/raw`,
          '--json',
        ],
        { out: (t) => void out.push(t), err: (t) => void err.push(t) },
      );
      expect(code).toBe(1);
      const { report } = JSON.parse(out.join(''));
      expect(report.errors).toEqual([
        `Istio releases: GET ${broken.url}/api/repos/istio/istio/releases?per_page=100: HTTP 503`,
      ]);
      expect(report.calico.length).toBe(2);
      expect(err.join('')).toContain('could not be read');
    } finally {
      await broken.close();
    }
  });

  it('a bad --mirror is refused with exit 2 before any request', async () => {
    const before = server.requests.length;
    const err: string[] = [];
    const code = await runCli(
      ['versions', '--check-upstream', '--mirror', `https://api.github.com=${server.url}/api`],
      {
        out: () => undefined,
        err: (t) => void err.push(t),
      },
    );
    expect(code).toBe(2);
    expect(err.join('')).toContain('http:// mirror');
    expect(server.requests.length).toBe(before);
  });
});
