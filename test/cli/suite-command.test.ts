import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { parseSuiteText } from '../../src/suite/load.js';
import { ROOT } from '../contract/harness.js';

const tmp = await mkdtemp(join(tmpdir(), 'cic-suite-cmd-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

let n = 0;
async function fixture(files: Record<string, string>): Promise<string> {
  const dir = join(tmp, `f${n++}`);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

const BOUTIQUE_SUITE = join(ROOT, 'e2e-manifests/suites/boutique/suite.yaml');
const ALLOW_STATIC = `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: shop-static, namespace: shop}
spec:
  selector: app == 'web'
  ingress:
    - action: Allow
      http:
        methods: [GET]
        paths: [{prefix: /static}]
`;
const WEB = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      serviceAccountName: web-sa
      containers: [{name: app, image: example/web, ports: [{containerPort: 9090}]}]
`;
const suite = (expect: string) => `apiVersion: calico-istio-conformance/v1
kind: Suite
name: shop
target: {namespace: shop, selector: app=web}
steps:
  - name: static only
    apply: [web.yaml, static.yaml]
    expect:
${expect}`;

describe('calico-istio-conformance suite check', () => {
  it('evaluates the built-in Boutique suite offline: every written verdict agrees (v3.32.1)', async () => {
    const r = await cli(['suite', 'check', BOUTIQUE_SUITE, '--calico', 'v3.32.1']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^Calico v3\.32\.1 \(normalised paths, segment-boundary prefixes\): suite boutique/,
    );
    expect(r.out).toContain('service account frontend, port 8080 (from Online Boutique v0.10.6');
    expect(r.out).toMatch(/step 2: deny-all\n.*\n.*GET \/\s+denied-l4\s+denied-l4\s+agree\s+felix:/);
    // Service to service: the probe client's identity, the catalog's pods behind its Service.
    expect(r.out).toMatch(
      /another identity cannot list products\s+denied-l7\s+denied-l7\s+agree\s+dikastes: end of tier default.*\n {2}↳ from boutique\/sa:default \{app=catalog-intruder\} to productcatalogservice:3550\n/,
    );
    expect(r.out).toMatch(
      /an unlabelled caller never connects\s+denied-l4\s+denied-l4\s+agree\s+felix: end of tier default/,
    );
    expect(r.out).toMatch(/12 case\(s\): 12 agree, 0 disagree, 0 unchecked/);
  });

  it('agrees on every row of the built-in suite under v3.29.7 too; rows with a source name it in JSON', async () => {
    const r = await cli(['suite', 'check', BOUTIQUE_SUITE, '--calico', 'v3.29.7', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.summary).toEqual({ cases: 12, agree: 12, disagree: 0, unchecked: 0 });
    const byLabel = j.steps.find((s: any) => s.name === 'catalog-by-label');
    expect(byLabel.cases[0]).toMatchObject({
      via: 'from boutique/sa:frontend {app=catalog-client} to productcatalogservice:3550',
      source: {
        namespace: 'boutique',
        serviceAccount: 'frontend',
        labels: { app: 'catalog-client', 'calico-istio-conformance/probe-client': expect.any(String) },
      },
      to: { service: 'productcatalogservice', port: 3550, namespace: 'boutique' },
      verdict: 'allowed',
    });
    expect(j.steps[0].cases[0].via).toBeUndefined();
  });

  it('under the deny-all defect the written allows disagree: exit 1, the defect named', async () => {
    const r = await cli(['suite', 'check', BOUTIQUE_SUITE, '--calico', 'v3.31.5']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/GET \/\s+denied-l7\s+allowed\s+DISAGREE\s+dikastes: known defect/);
  });

  it('reads the target from a workload in the suite manifests; expect: auto is unchecked', async () => {
    const dir = await fixture({
      'web.yaml': WEB,
      'static.yaml': ALLOW_STATIC,
      'suite.yaml': suite(`      - request: {path: /static/app.css}
        verdict: allow
      - request: {path: /staticfoo}
        expect: auto
      - request: {path: /staticfoo}
        name: raw prefix would allow
        verdict: allow
`),
    });
    const r = await cli(['suite', 'check', join(dir, 'suite.yaml'), '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.target).toMatchObject({
      labels: { app: 'web', tier: 'front' },
      serviceAccount: 'web-sa',
      port: 9090,
      from: 'web.yaml',
    });
    expect(j.steps[0].cases.map((c: any) => [c.verdict, c.expected, c.agrees])).toEqual([
      ['allowed', 'allowed', true],
      ['denied-l7', null, null],
      ['denied-l7', 'allowed', false],
    ]);
    expect(j.summary).toEqual({ cases: 3, agree: 1, disagree: 1, unchecked: 1 });
  });

  it('a source or target that cannot be resolved offline exits 2 naming the field', async () => {
    const dir = await fixture({
      'web.yaml': WEB,
      'static.yaml': ALLOW_STATIC,
      'suite.yaml': `${suite(`      - request: {path: /static/app.css}
        verdict: allow
`)}  - name: inside
    to: {service: api, port: 80}
    expect:
      - from: {namespace: shop, selector: app=ghost}
        request: {path: /}
        expect: auto
      - from: {namespace: shop, serviceAccount: web-sa}
        request: {path: /}
        verdict: allow
`,
    });
    const r = await cli(['suite', 'check', join(dir, 'suite.yaml')]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(
      'steps[1].expect[0].from.selector (GET /): no workload in namespace shop matches app=ghost',
    );
    expect(r.err).toContain('steps[1].to.service (GET /): no Service api in namespace shop');
  });

  it('bad input exits 2 naming the file and field; an unknown version names the known ones', async () => {
    const dir = await fixture({ 'suite.yaml': 'apiVersion: calico-istio-conformance/v1\nkind: Suite\n' });
    const r = await cli(['suite', 'check', join(dir, 'suite.yaml')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/suite\.yaml:\d+: name: is required/);
    const v = await cli(['suite', 'check', BOUTIQUE_SUITE, '--calico', 'v9.9.9']);
    expect(v.code).toBe(2);
    expect(v.err).toMatch(/--calico: "v9.9.9" .*known: .*v3\.32\.1/);
  });

  it('a rule the oracle cannot judge offline (nets without an IP) is bad input', async () => {
    const dir = await fixture({
      'web.yaml': WEB,
      'static.yaml': ALLOW_STATIC.replace(
        '    - action: Allow\n',
        '    - action: Allow\n      destination: {nets: [10.0.0.0/8]}\n',
      ),
      'suite.yaml': suite('      - request: {path: /static}\n        expect: auto\n'),
    });
    const r = await cli(['suite', 'check', join(dir, 'suite.yaml')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/steps\[0\]\.expect\[0\] .*cannot judge it: the target's ip is required/);
  });
});

describe('calico-istio-conformance suite generate', () => {
  it('writes boundary requests for every HTTP rule, with expect: auto; the suite loads and checks', async () => {
    const dir = await fixture({ 'policies/static.yaml': ALLOW_STATIC, 'policies/web.yaml': WEB });
    const out = join(dir, 'suite.yaml');
    const r = await cli([
      'suite',
      'generate',
      '--policies',
      join(dir, 'policies'),
      '--target',
      'shop/app=web',
      '--out',
      out,
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const text = await readFile(out, 'utf8');
    const { spec } = parseSuiteText(text, out);
    expect(spec.target).toEqual({ namespace: 'shop', selector: 'app=web' });
    expect(spec.steps[0]!.apply).toEqual(['policies/static.yaml', 'policies/web.yaml']);
    const reqs = spec.steps.flatMap((s) => s.expect.map((e) => `${e.request.method} ${e.request.path}`));
    for (const want of [
      'GET /static',
      'GET /static/x',
      'GET /staticfoo',
      'HEAD /static',
      'GET /Static/x',
      'GET /static//x',
      'GET /static/../x',
      'GET /static%2Fx',
      'GET /static/x?q=1',
    ])
      expect(reqs).toContain(want);
    expect(spec.steps.every((s) => s.expect.every((e) => e.expect === 'auto'))).toBe(true);
    const check = await cli(['suite', 'check', out, '--json']);
    expect(check.code).toBe(0);
    const cases = JSON.parse(check.out).steps.flatMap((s: any) => s.cases);
    const verdict = (name: RegExp) => cases.find((c: any) => name.test(c.name))?.verdict;
    expect(verdict(/GET \/staticfoo/)).toBe('denied-l7');
    expect(verdict(/GET \/static\/x \(inside/)).toBe('allowed');
  });

  it('refuses policies outside the suite folder and a bad target, exit 2', async () => {
    const dir = await fixture({ 'policies/static.yaml': ALLOW_STATIC, 'out/x': '' });
    const r = await cli([
      'suite',
      'generate',
      '--policies',
      join(dir, 'policies'),
      '--target',
      'shop/app=web',
      '--out',
      join(dir, 'out', 'suite.yaml'),
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/outside the suite's folder/);
    const t = await cli(['suite', 'generate', '--policies', join(dir, 'policies'), '--target', 'app=web']);
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/--target: "app=web" must be NAMESPACE\/SELECTOR/);
  });
});
