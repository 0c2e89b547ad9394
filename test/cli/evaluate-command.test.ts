import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { ROOT } from '../contract/harness.js';

const tmp = await mkdtemp(join(tmpdir(), 'cic-evaluate-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

let n = 0;
/** A directory with the given files; returns the path of `cases.yaml` in it. */
async function fixture(files: Record<string, string>): Promise<string> {
  const dir = join(tmp, `f${n++}`);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return join(dir, 'cases.yaml');
}
const shown = (p: string) => relative(process.cwd(), p);

const BOUTIQUE = join(ROOT, 'e2e-manifests/suites/boutique');
const FRONTEND = 'to: {namespace: boutique, labels: {app: frontend}, port: 8080}';
const CASES = `calico: v3.32.1
policies: [${BOUTIQUE}/frontend-allow-homepage.yaml, ${BOUTIQUE}/frontend-deny.yaml]
cases:
  - name: home page
    ${FRONTEND}
    request: {method: GET, path: /}
    expect: allowed
  - name: cart
    ${FRONTEND}
    request: {method: GET, path: /cart}
    expect: denied-l7
  - name: static prefix is a segment
    ${FRONTEND}
    request: {path: /staticfoo}
    expect: denied-l7
  - name: unchecked
    to: {namespace: boutique, labels: {app: cartservice}}
`;

describe('calico-istio-conformance evaluate', () => {
  it('prints a truth table and exits 0 when every case agrees', async () => {
    const r = await cli(['evaluate', await fixture({ 'cases.yaml': CASES })]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Calico v3\.32\.1 \(normalised paths, segment-boundary prefixes\), mTLS: /);
    expect(r.out).toMatch(
      /home page\s+allowed\s+allowed\s+agree\s+dikastes: default\/frontend-allow-homepage rule 0 Allow/,
    );
    expect(r.out).toMatch(
      /cart\s+denied-l7\s+denied-l7\s+agree\s+dikastes: end of tier default, Deny \(no rule matched up to frontend-deny\)/,
    );
    expect(r.out).toMatch(/unchecked\s+allowed\s+-\s+unchecked\s+dikastes: profile kns.boutique/);
    expect(r.out).toContain('4 case(s): 3 agree, 0 disagree, 1 unchecked');
  });

  it('exits 1 when a case disagrees, with both verdicts and the explanation', async () => {
    const r = await cli(['evaluate', await fixture({ 'cases.yaml': CASES }), '--calico', 'v3.29.7']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/static prefix is a segment\s+allowed\s+denied-l7\s+DISAGREE/);
    expect(r.out).toContain('✗ static prefix is a segment: expected denied-l7, the oracle says allowed');
    expect(r.out).toContain('raw path /staticfoo matches prefix /static');
  });

  it('a case from another source than the gateway names it under its row', async () => {
    const r = await cli([
      'evaluate',
      await fixture({
        'cases.yaml': `${CASES}  - name: from the checkout
    from: {namespace: boutique, labels: {app: checkoutservice}, serviceAccount: checkoutservice}
    ${FRONTEND}
    request: {method: GET, path: /cart}
`,
      }),
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /from the checkout\s+denied-l7\s+-\s+unchecked.*\n {2}↳ from boutique\/sa:checkoutservice \{app=checkoutservice\} to boutique\/app=frontend:8080\n/,
    );
    // Gateway cases add nothing.
    expect(r.out).not.toMatch(/home page.*\n {2}↳/);
  });

  it('--json prints one object in the documented shape', async () => {
    const r = await cli(['evaluate', await fixture({ 'cases.yaml': CASES }), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(['calico', 'cases', 'summary']);
    expect(j.calico).toBe('v3.32.1');
    expect(j.summary).toEqual({ cases: 4, agree: 3, disagree: 0, unchecked: 1 });
    expect(Object.keys(j.cases[0])).toEqual([
      'name',
      'verdict',
      'expected',
      'agrees',
      'decidedBy',
      'explanation',
    ]);
    expect(j.cases[0]).toMatchObject({
      name: 'home page',
      verdict: 'allowed',
      expected: 'allowed',
      agrees: true,
      decidedBy: {
        kind: 'rule',
        enforcement: 'dikastes',
        tier: 'default',
        policy: 'frontend-allow-homepage',
        namespace: null,
        rule: 0,
        action: 'Allow',
      },
    });
    expect(Object.keys(j.cases[0].decidedBy)).toEqual([
      'kind',
      'enforcement',
      'tier',
      'policy',
      'namespace',
      'rule',
      'action',
    ]);
    expect(j.cases[3].agrees).toBeNull();
    expect(j.cases[3].expected).toBeNull();
  });

  it('the defect range denies everything at L7 with the defect as the reason', async () => {
    const r = await cli(['evaluate', await fixture({ 'cases.yaml': CASES }), '--calico', '3.31', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.calico).toBe('v3.31.7');
    expect(j.cases.map((c: any) => [c.verdict, c.decidedBy.kind])).toEqual(
      Array(4).fill(['denied-l7', 'defect']),
    );
  });

  it('reads policy directories, inline objects, namespaces and mtls', async () => {
    const file = await fixture({
      'policies/a/allow-shop.yaml': `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: allow-shop}
spec:
  order: 10
  selector: "app == 'api'"
  ingress:
    - action: Allow
      source: {namespaceSelector: "team == 'shop'"}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-rest}
spec:
  order: 20
  selector: "app == 'api'"
  ingress: [{action: Deny}]
`,
      'cases.yaml': `mtls: false
policies: [policies/]
objects:
  - {apiVersion: v1, kind: Namespace, metadata: {name: web, labels: {team: shop}}}
namespaces:
  other: {labels: {team: ops}}
cases:
  - name: from the shop
    to: {namespace: api, labels: {app: api}}
    from: {namespace: web, labels: {app: web}, ip: 10.1.2.3}
    expect: allowed
  - name: from ops
    to: {namespace: api, labels: {app: api}}
    from: {namespace: other, labels: {app: web}}
    expect: denied-l4
`,
    });
    const r = await cli(['evaluate', file]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `Calico v3.32.1 (normalised paths, segment-boundary prefixes), no mTLS: ${shown(file)}`,
    );
    expect(r.out).toContain('2 case(s): 2 agree');
  });

  describe('bad input: exit 2 with file, line and field', () => {
    const policy = (spec: string) => `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: p}
spec:
  selector: all()
${spec}`;
    const withPolicy = (spec: string) => ({
      'p.yaml': policy(spec),
      'cases.yaml': `policies: [p.yaml]\ncases:\n  - name: c\n    ${FRONTEND}\n`,
    });
    it.each([
      [
        'unknown kind',
        {
          'p.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n',
          'cases.yaml': 'policies: [p.yaml]\ncases: [{name: c, to: {namespace: a}}]\n',
        },
        'p.yaml:2: kind: unknown kind "Pod"; accepted: projectcalico.org/v3 GlobalNetworkPolicy',
      ],
      [
        'invalid selector',
        withPolicy('  ingress:\n    - action: Allow\n      source: {selector: "app = web"}\n'),
        'p.yaml:8: spec.ingress[0].source.selector: invalid selector "app = web": expected ==',
      ],
      [
        'http on a Deny rule',
        withPolicy('  ingress:\n    - action: Deny\n      http: {methods: [GET]}\n'),
        'p.yaml:8: spec.ingress[0].http: is only valid on Allow rules, not Deny',
      ],
      [
        'http in an egress rule',
        withPolicy('  egress:\n    - action: Allow\n      http: {methods: [GET]}\n'),
        'p.yaml:8: spec.egress[0].http: is not allowed in egress rules',
      ],
      [
        'a path with ?',
        withPolicy('  ingress:\n    - action: Allow\n      http:\n        paths: [{prefix: "/a?b"}]\n'),
        'p.yaml:9: spec.ingress[0].http.paths[0].prefix: "/a?b" must start with "/" and hold no "?", "#" or space',
      ],
      [
        'a path not starting with /',
        withPolicy(
          '  ingress:\n    - action: Allow\n      http:\n        paths:\n          - exact: index.html\n',
        ),
        'p.yaml:10: spec.ingress[0].http.paths[0].exact: "index.html" must start with "/"',
      ],
      [
        'an unmodelled field',
        withPolicy('  ingress:\n    - action: Allow\n      destination: {services: {name: x}}\n'),
        'p.yaml:8: spec.ingress[0].destination.services: is not modelled by the oracle',
      ],
      [
        'an unknown field in the cases file',
        { 'cases.yaml': 'cases:\n  - name: c\n    to: {namespace: a}\n    expct: allowed\n' },
        'cases.yaml:4: cases[0].expct: unknown field; accepted: name, to, from, request, expect',
      ],
      [
        'a bad expect',
        { 'cases.yaml': 'cases:\n  - name: c\n    to: {namespace: a}\n    expect: deny\n' },
        'cases.yaml:4: cases[0].expect: must be one of allowed, denied-l4, denied-l7, got string "deny"',
      ],
      ['a missing to', { 'cases.yaml': 'cases:\n  - name: c\n' }, 'cases.yaml:2: cases[0].to: is required'],
      [
        'a request path with a space',
        { 'cases.yaml': 'cases:\n  - name: c\n    to: {namespace: a}\n    request: {path: "/a b"}\n' },
        'cases.yaml:4: cases[0].request.path: "/a b" must start with "/"',
      ],
      ['no cases', { 'cases.yaml': 'mtls: true\n' }, 'cases.yaml:1: cases: is required'],
      [
        'a missing policy file',
        { 'cases.yaml': 'policies: [nope/]\ncases: [{name: c, to: {namespace: a}}]\n' },
        'cases.yaml:1: policies[0]: nope/ does not exist',
      ],
      [
        'an unknown Calico version',
        { 'cases.yaml': 'calico: v3.99.1\ncases: [{name: c, to: {namespace: a}}]\n' },
        'cases.yaml:1: calico: "v3.99.1" names Calico 3.99, which is not in the catalog; known: ',
      ],
      [
        'a rule on nets without the source IP',
        {
          'p.yaml': policy('  ingress: [{action: Allow, source: {nets: [10.0.0.0/8]}}]\n'),
          'cases.yaml':
            'policies: [p.yaml]\ncases:\n  - name: c\n    to: {namespace: a}\n    from: {namespace: b}\n',
        },
        'cases.yaml:5: cases[0].from.ip: is required: a rule matches on nets 10.0.0.0/8',
      ],
      ['not YAML', { 'cases.yaml': 'cases: [\n' }, 'cases.yaml:2: not valid YAML'],
    ])('%s', async (_n, files, want) => {
      const file = await fixture(files as Record<string, string>);
      const r = await cli(['evaluate', file]);
      expect(r.out).toBe('');
      expect(r.err).toContain(join(shown(file), '..', want.split(':')[0]!) + want.slice(want.indexOf(':')));
      expect(r.code).toBe(2);
    });

    it('the second document of a policy file gets its own lines', async () => {
      const file = await fixture({
        'p.yaml': `${policy('  ingress: [{action: Allow}]')}\n---\n${policy('  ingress:\n    - action: Nope\n')}`,
        'cases.yaml': 'policies: [p.yaml]\ncases: [{name: c, to: {namespace: a}}]\n',
      });
      const r = await cli(['evaluate', file]);
      expect(r.code).toBe(2);
      expect(r.err).toContain('p.yaml:14: spec.ingress[0].action: must be one of Allow, Deny, Pass, Log');
    });

    it('--calico with an unknown version names the flag', async () => {
      const r = await cli(['evaluate', await fixture({ 'cases.yaml': CASES }), '--calico', 'banana']);
      expect(r.code).toBe(2);
      expect(r.err).toContain('--calico: "banana" is not a version; known: v3.27.5');
    });

    it('a missing cases file', async () => {
      const r = await cli(['evaluate', join(tmp, 'nope.yaml')]);
      expect(r.code).toBe(2);
      expect(r.err).toContain('nope.yaml: does not exist');
    });
  });
});

describe('README: Offline policy tests (evaluate)', () => {
  it('its example runs and prints the truth table the README shows', async () => {
    const readme = await import('node:fs/promises').then((fs) =>
      fs.readFile(join(ROOT, 'README.md'), 'utf8'),
    );
    const section = readme.slice(readme.indexOf('## Offline policy tests (evaluate)'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const table = /```text\n([\s\S]*?)```/.exec(section)![1]!;
    const dir = join(tmp, 'readme');
    await mkdir(join(dir, 'e2e-manifests'), { recursive: true });
    await writeFile(join(dir, 'policy-tests.yaml'), yaml);
    const { cp } = await import('node:fs/promises');
    await cp(join(ROOT, 'e2e-manifests/suites'), join(dir, 'e2e-manifests/suites'), { recursive: true });
    const r = await cli(['evaluate', join(dir, 'policy-tests.yaml')]);
    expect(r.code).toBe(0);
    expect(r.out.replace(shown(join(dir, 'policy-tests.yaml')), 'policy-tests.yaml')).toBe(table);
    expect((await cli(['evaluate', join(dir, 'policy-tests.yaml'), '--calico', 'v3.29.7'])).code).toBe(1);
  });
});
