import { describe, expect, it } from 'vitest';
import { InputError, parseCellConfig } from '../../src/config/cell-config.js';
import { actionNaming, cliNaming, type RawInputs } from '../../src/config/inputs.js';

const DIGEST = 'sha256:' + 'a'.repeat(64);

describe('parseCellConfig: defaults and normalisation', () => {
  it('gives the default cell when nothing is set', () => {
    const c = parseCellConfig({}, actionNaming);
    expect(c).toMatchObject({
      kubernetes: '1.34',
      calico: 'v3.32.1',
      istio: '1.28.1',
      strictMtls: true,
      cluster: 'kind',
      keepCluster: 'never',
      install: ['calico', 'istio', 'alp', 'workload'],
      resultsDir: 'conformance-results',
      onUnsupported: 'run',
      toolsFromPath: false,
      mirrors: [],
      allowInsecureMirrors: false,
      diagnosticsClusterWide: false,
      timeoutMinutes: 45,
    });
    expect(parseCellConfig({ 'timeout-minutes': '90' }, actionNaming).timeoutMinutes).toBe(90);
  });

  it.each([
    [{ 'calico-version': '3.32' }, 'calico', 'v3.32.1'],
    [{ 'calico-version': 'v3.32' }, 'calico', 'v3.32.1'],
    [{ 'calico-version': 'v3.31' }, 'calico', 'v3.31.7'],
    [{ 'calico-version': '3.30.2' }, 'calico', 'v3.30.2'],
    [{ 'istio-version': '1.28' }, 'istio', '1.28.10'],
    [{ 'istio-version': '1.15' }, 'istio', '1.15.7'],
    [{ 'istio-version': ' 1.22.3 ' }, 'istio', '1.22.3'],
  ] as [RawInputs, 'calico' | 'istio', string][])('%o → %s %s', (raw, key, want) => {
    expect(parseCellConfig(raw, actionNaming)[key]).toBe(want);
  });

  it('treats empty strings as defaults, as the action delivers unset inputs', () => {
    expect(parseCellConfig({ 'calico-version': '', 'strict-mtls': '  ' }, actionNaming)).toMatchObject({
      calico: 'v3.32.1',
      strictMtls: true,
    });
  });

  it('reads booleans, install lists in install order, and mirror rules', () => {
    const c = parseCellConfig(
      {
        'strict-mtls': 'false',
        install: 'workload, calico',
        mirrors:
          'https://dl.k8s.io=https://m.example/k8s\n\nhttps://kind.sigs.k8s.io=http://127.0.0.1:8080/kind',
        'allow-insecure-mirrors': 'true',
      },
      actionNaming,
    );
    expect(c.strictMtls).toBe(false);
    expect(c.install).toEqual(['calico', 'workload']);
    expect(c.mirrors).toEqual([
      { from: 'https://dl.k8s.io', to: 'https://m.example/k8s' },
      { from: 'https://kind.sigs.k8s.io', to: 'http://127.0.0.1:8080/kind' },
    ]);
  });

  it('installs nothing by default on an existing cluster', () => {
    expect(parseCellConfig({ cluster: 'existing' }, actionNaming).install).toEqual([]);
  });

  it('accepts a newer patch of a known minor with no inherit, and a newer minor or a label only with one', () => {
    expect(parseCellConfig({ 'calico-version': 'v3.32.2' }, actionNaming)).toMatchObject({
      calico: 'v3.32.2',
    });
    expect(parseCellConfig({ 'calico-version': 'v3.32.2' }, actionNaming).calicoInherit).toBeUndefined();
    expect(parseCellConfig({ 'istio-version': '1.28.11' }, actionNaming).istio).toBe('1.28.11');
    expect(
      parseCellConfig({ 'calico-version': '3.33.0', 'calico-inherit': 'v3.32' }, actionNaming),
    ).toMatchObject({ calico: 'v3.33.0', calicoInherit: '3.32' });
    expect(
      parseCellConfig({ 'calico-version': 'v3.33.0-0.dev', 'calico-inherit': '3.32' }, actionNaming),
    ).toMatchObject({ calico: 'v3.33.0-0.dev', calicoInherit: '3.32' });
    expect(
      parseCellConfig({ 'istio-version': '1.30.0', 'istio-inherit': '1.28' }, actionNaming),
    ).toMatchObject({ istio: '1.30.0', istioInherit: '1.28' });
  });

  it('reads the user builds: manifests source, images, istioctl, hub and tag', () => {
    const sum = 'b'.repeat(64);
    const c = parseCellConfig(
      {
        'calico-manifests': 'git:release-v3.33',
        'calico-registry': 'registry.example:5000/ci',
        'calico-image-path': 'calico-dev',
        'calico-image-prefix': 'pr-',
        'calico-operator-image': 'registry.example:5000/tigera/operator:pr-123',
        'dikastes-image': `registry.example:5000/calico/dikastes@sha256:${'c'.repeat(64)}`,
        istioctl: 'https://example.com/istioctl-1.30.0-linux-amd64.tar.gz',
        'istioctl-sha256': sum.toUpperCase(),
        'istio-hub': 'gcr.io/istio-testing',
        'istio-tag': '1.30-dev',
      },
      actionNaming,
    );
    expect(c.builds).toEqual({
      calicoManifests: { kind: 'git', ref: 'release-v3.33' },
      calicoRegistry: 'registry.example:5000/ci/',
      calicoImagePath: 'calico-dev',
      calicoImagePrefix: 'pr-',
      calicoOperatorImage: 'registry.example:5000/tigera/operator:pr-123',
      dikastesImage: `registry.example:5000/calico/dikastes@sha256:${'c'.repeat(64)}`,
      istioctl: { kind: 'url', url: 'https://example.com/istioctl-1.30.0-linux-amd64.tar.gz', sha256: sum },
      istioHub: 'gcr.io/istio-testing',
      istioTag: '1.30-dev',
    });
    expect(parseCellConfig({ 'calico-manifests': '/tmp/calico/manifests/' }, actionNaming).builds).toEqual({
      calicoManifests: { kind: 'directory', path: '/tmp/calico/manifests/' },
    });
    expect(
      parseCellConfig(
        { 'calico-manifests': 'http://127.0.0.1:8080/m/', 'allow-insecure-mirrors': 'true' },
        actionNaming,
      ).builds.calicoManifests,
    ).toEqual({ kind: 'url', base: 'http://127.0.0.1:8080/m' });
  });

  it('accepts a digest-pinned node image of the same minor', () => {
    const c = parseCellConfig({ 'node-image': `kindest/node:v1.34.8@${DIGEST}` }, actionNaming);
    expect(c.nodeImage).toBe(`kindest/node:v1.34.8@${DIGEST}`);
  });
});

/** [inputs, fragments the message must contain] — each names the input, the value, why, and what is accepted. */
const BAD: [RawInputs, string[]][] = [
  [
    { 'kubernetes-version': '1.28' },
    ['input "kubernetes-version"', '"1.28"', 'older than 1.29', 'Accepted: 1.29 or newer'],
  ],
  [{ 'kubernetes-version': '1.27.3' }, ['"1.27.3"', 'older than 1.29']],
  [{ 'kubernetes-version': '1.10' }, ['"1.10"', 'older than 1.29']],
  [{ 'kubernetes-version': 'latest' }, ['"latest"', 'is not a version', 'known: 1.36.1']],
  [{ 'kubernetes-version': 'v1.34' }, ['"v1.34"', 'is not a version']],
  [{ 'kubernetes-version': '1.34.x' }, ['"1.34.x"', 'is not a version']],
  [{ 'kubernetes-version': '1.34.99' }, ['"1.34.99"', 'has no pinned kindest/node image', '1.34.8']],
  [{ 'kubernetes-version': '1.40' }, ['"1.40"', 'has no pinned kindest/node image', 'known:']],
  [
    { 'kubernetes-version': '1.29', 'kind-version': 'v0.32.0' },
    ['"1.29" has no pinned kindest/node image in kind v0.32.0', '1.34.8'],
  ],
  [
    { 'kind-version': 'v0.20.0' },
    ['input "kind-version"', '"v0.20.0"', 'not a kind release in the catalog', 'v0.27.0, v0.31.0, v0.32.0'],
  ],
  [{ 'kind-version': '0.32.0' }, ['"0.32.0"', 'not a kind release']],
  [
    { 'node-image': 'kindest/node:v1.34.8' },
    ['input "node-image"', 'not pinned by digest', '@sha256:<64 hex>'],
  ],
  [{ 'node-image': 'kindest/node:v1.34.8@sha256:abc' }, ['malformed digest']],
  [
    { 'node-image': `kindest/node:v1.33.12@${DIGEST}` },
    ['is Kubernetes 1.33.12, not 1.34', 'a node image of Kubernetes 1.34'],
  ],
  [{ 'node-image': 'kindest/node:latest' }, ['not pinned by digest']],
  [
    { 'calico-version': 'v3.26.4' },
    ['input "calico-version"', 'names Calico 3.26, which is not in the catalog', 'v3.27.5, v3.28.5'],
  ],
  [
    { 'calico-version': 'v3.33.0' },
    [
      'names Calico 3.33, which is not in the catalog',
      'no calico-inherit says whose facts apply',
      '3.27, 3.28',
    ],
  ],
  [
    { 'calico-version': 'master' },
    ['"master"', 'is a build label, not a release', 'with calico-inherit naming the known minor'],
  ],
  [{ 'calico-version': 'v3 .1' }, ['"v3 .1"', 'is neither a version nor a build label']],
  [{ 'calico-version': 'v4.0.0' }, ['names Calico 4.0, which is not in the catalog']],
  [
    { 'calico-version': 'release/v3.33', 'calico-inherit': '3.32' },
    ['neither a version nor a build label', 'letters, digits, . _ -', 'calico-inherit'],
  ],
  [{ 'calico-version': 'v3.33' }, ['names Calico 3.33', 'without a patch', 'v3.33.0']],
  [
    { 'calico-version': 'v3.33.0', 'calico-inherit': '3.40' },
    [
      'input "calico-inherit"',
      '"3.40"',
      'names 3.40, which is not a minor in the catalog',
      '3.27, 3.28, 3.29, 3.30, 3.31, 3.32',
    ],
  ],
  [
    { 'calico-version': 'v3.32.2', 'calico-inherit': '3.31' },
    ['input "calico-inherit"', 'is not needed: v3.32.2 is a release of the known minor 3.32', 'empty'],
  ],
  [{ 'calico-version': 'v3.26.4', 'calico-inherit': '3.27' }, ['older than its oldest minor, 3.27']],
  [{ 'calico-inherit': 'v3.32.1' }, ['input "calico-inherit"', 'is not a minor such as', '3.32']],
  [
    { 'istio-version': '1.30.0', 'istio-inherit': '1.9' },
    ['input "istio-inherit"', 'not a minor in the catalog', '1.10, 1.15, 1.22'],
  ],
  [
    { 'istio-version': 'master', 'istio-inherit': '1.28' },
    ['input "istio-version"', 'no Istio release to download istioctl from', 'with istioctl'],
  ],
  [
    { 'calico-manifests': 'ftp://example.com/manifests' },
    ['input "calico-manifests"', 'not an https URL', 'git:<ref> of projectcalico/calico'],
  ],
  [{ 'calico-manifests': 'http://example.com/m' }, ['input "calico-manifests"', 'not an https URL']],
  [{ 'calico-manifests': 'https://user:pw@example.com/m' }, ['not an https URL without credentials']],
  [{ 'calico-manifests': 'git:../etc' }, ['input "calico-manifests"', 'malformed git ref']],
  [
    { 'calico-registry': 'https://registry.example/' },
    ['input "calico-registry"', 'is not a registry host (no scheme', 'registry.example:5000/mirror/'],
  ],
  [{ 'calico-registry': 'my registry/' }, ['input "calico-registry"', 'no spaces']],
  [{ 'calico-image-path': 'a//b' }, ['input "calico-image-path"', 'not a valid image path part']],
  [{ 'calico-image-prefix': 'Dev-' }, ['input "calico-image-prefix"', 'e.g. dev-']],
  [
    { 'dikastes-image': 'quay.io/calico/dikastes' },
    ['input "dikastes-image"', 'has neither a tag nor a digest', 'quay.io/calico/dikastes:v3.32.1'],
  ],
  [{ 'dikastes-image': 'https://quay.io/calico/dikastes:v1' }, ['input "dikastes-image"', 'no scheme']],
  [
    { 'calico-operator-image': 'quay.io/tigera/operator' },
    ['input "calico-operator-image"', 'neither a tag nor a digest'],
  ],
  [
    { istioctl: 'https://example.com/istioctl' },
    ['input "istioctl"', 'is a URL without istioctl-sha256', 'together with istioctl-sha256'],
  ],
  [{ istioctl: './istioctl', 'istioctl-sha256': 'abc' }, ['input "istioctl-sha256"', 'not 64 hex digits']],
  [{ 'istioctl-sha256': 'a'.repeat(64) }, ['input "istioctl-sha256"', 'given without istioctl']],
  [{ 'istio-hub': 'docker.io/istio/' }, ['input "istio-hub"', 'no trailing /', 'docker.io/istio']],
  [{ 'istio-tag': '1.30 dev' }, ['input "istio-tag"', 'is not an image tag']],
  [
    { 'istio-version': '1.21.0' },
    ['input "istio-version"', 'names Istio 1.21, which is not in the catalog', '1.10.6, 1.15.7, 1.22.8'],
  ],
  [{ 'istio-version': 'v1.28.1' }, ['"v1.28.1"', 'Istio tags have no "v"']],
  [{ 'istio-version': '1.30.0' }, ['names Istio 1.30, which is not in the catalog', 'no istio-inherit']],
  [{ 'istio-version': '1.30' }, ['names Istio 1.30, which is not in the catalog']],
  [{ 'strict-mtls': 'maybe' }, ['input "strict-mtls"', '"maybe"', 'not a boolean', 'true or false']],
  [{ 'tools-from-path': 'sure' }, ['input "tools-from-path"', 'not a boolean']],
  [{ cluster: 'minikube' }, ['input "cluster"', '"minikube"', 'kind, existing']],
  [{ 'keep-cluster': 'sometimes' }, ['input "keep-cluster"', 'never, on-failure, always']],
  [{ 'keep-cluster': 'Always' }, ['"Always"', 'never, on-failure, always']],
  [
    { install: 'calico,cilium' },
    ['input "install"', 'unknown components (cilium)', 'calico, istio, alp, workload'],
  ],
  [{ install: 'everything' }, ['unknown components (everything)']],
  [{ 'on-unsupported': 'fail' }, ['input "on-unsupported"', 'run, skip']],
  [{ mirrors: 'https://dl.k8s.io' }, ['input "mirrors"', 'not a FROM=TO pair']],
  [{ mirrors: 'ftp://a=https://b' }, ['"ftp://a=https://b"', 'not a FROM=TO pair']],
  [
    { mirrors: 'https://dl.k8s.io=https://user:secret@m.example' },
    ['carries credentials', '//***@m.example'],
  ],
  [{ 'ingress-url': 'localhost:30080' }, ['input "ingress-url"', 'not an http(s) URL']],
  [{ 'results-dir': 'a\u0000b' }, ['input "results-dir"', 'control character']],
  [{ suite: 'suite.yaml\nrm -rf /' }, ['input "suite"', 'control character']],
  [
    { 'timeout-minutes': 'soon' },
    ['input "timeout-minutes"', '"soon"', 'not a whole number of minutes', 'from 5 to 360'],
  ],
  [{ 'timeout-minutes': '2' }, ['input "timeout-minutes"', '"2"', 'out of range', 'from 5 to 360']],
  [{ 'timeout-minutes': '45.5' }, ['not a whole number of minutes']],
];

describe('parseCellConfig: refused inputs', () => {
  it('has at least 30 cases', () => expect(BAD.length).toBeGreaterThanOrEqual(30));

  it.each(BAD)('%o', (raw, fragments) => {
    let err: unknown;
    try {
      parseCellConfig(raw, actionNaming);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const message = (err as InputError).message;
    for (const f of fragments) expect(message).toContain(f);
  });

  it('lists every problem at once', () => {
    const err = (() => {
      try {
        parseCellConfig({ cluster: 'x', 'strict-mtls': 'y', 'istio-version': '9.9' }, actionNaming);
      } catch (e) {
        return e as InputError;
      }
      throw new Error('accepted');
    })();
    expect(err.problems.map((p) => p.input).sort()).toEqual(['cluster', 'istio-version', 'strict-mtls']);
  });

  it('names CLI flags when called from the CLI', () => {
    expect(() => parseCellConfig({ 'kubernetes-version': '1.28' }, cliNaming)).toThrow(
      /Invalid --kubernetes: "1.28"/,
    );
    expect(() => parseCellConfig({ mirrors: 'x' }, cliNaming)).toThrow(/Invalid --mirror:/);
  });
});
