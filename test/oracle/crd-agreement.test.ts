import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseObject } from '../../src/oracle/objects.js';
import { CALICO_CRD_VERSIONS, calicoSpecValidator } from '../support/calico-crds.js';

/** Every field the oracle accepts, in specs Calico's own CRD schemas (../shared/upstream) must accept too. */
const ACCEPTED: [string, string][] = [
  [
    'GlobalNetworkPolicy',
    '{order: 10, selector: "app == \'frontend\'", types: [Ingress], ingress: [{action: Allow, http: {methods: [GET], paths: [{exact: /}, {prefix: /static}]}}]}',
  ],
  [
    'GlobalNetworkPolicy',
    '{selector: all(), namespaceSelector: "team == \'shop\'", serviceAccountSelector: "role == \'web\'", types: [Ingress, Egress], ingress: [{action: Log}, {action: Pass}], egress: [{action: Deny, protocol: UDP, destination: {ports: [53]}}]}',
  ],
  [
    'GlobalNetworkPolicy',
    "{tier: default, selector: has(app), ingress: [{action: Allow, protocol: TCP, notProtocol: UDP, ipVersion: 4, source: {selector: \"a in {'x'}\", notSelector: \"b != 'y'\", namespaceSelector: all(), nets: [10.0.0.0/8], notNets: [10.1.0.0/16], serviceAccounts: {names: [default], selector: \"r == 'x'\"}}, destination: {ports: [80, '8000:8100', http], notPorts: [22]}}]}",
  ],
  [
    'NetworkPolicy',
    '{order: 5, selector: "app starts with \'front\'", ingress: [{action: Deny, source: {selector: "app ends with \'gw\'"}}]}',
  ],
  [
    'NetworkPolicy',
    '{selector: "app contains \'end\'", types: [Egress], egress: [{action: Allow, destination: {namespaceSelector: global()}}]}',
  ],
];

const REFUSED_BY_SCHEMA: [string, string, RegExp][] = [
  ['GlobalNetworkPolicy', '{ingress: [{action: Reject}]}', /action.*must be one of Allow, Deny, Pass, Log/],
  ['GlobalNetworkPolicy', '{types: [Both]}', /types\[0\]|must be Ingress or Egress/],
  ['GlobalNetworkPolicy', '{ingress: [{action: Allow, ipVersion: 5}]}', /ipVersion.*must be 4 or 6/],
];

describe('the oracle accepts what Calico accepts (policy CRDs of v3.29.7 and v3.32.1)', () => {
  it.each(ACCEPTED)('%s %s', (kind, spec) => {
    const doc = {
      apiVersion: 'projectcalico.org/v3',
      kind,
      metadata: { name: 'p', namespace: 'ns' },
      spec: load(spec),
    };
    expect(parseObject(doc, 't').problems).toEqual([]);
    for (const v of CALICO_CRD_VERSIONS) {
      const validate = calicoSpecValidator(v, kind);
      expect(validate(doc.spec), `${v}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it.each(REFUSED_BY_SCHEMA)('the oracle and the v3.32.1 schema refuse %s %s', (kind, spec, why) => {
    const doc = { apiVersion: 'projectcalico.org/v3', kind, metadata: { name: 'p' }, spec: load(spec) };
    const { problems } = parseObject(doc, 't');
    expect(problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('\n')).toMatch(why);
    // v3.29.7's CRD carries no enums (its API server validates): only v3.32.1's schema refuses these.
    expect(calicoSpecValidator('v3.32.1', kind)(doc.spec)).toBe(false);
  });
});

// validator.go (v3.32.1): what Calico's API validation refuses beyond the structural schema; the
// CRDs carry these as CEL rules (x-kubernetes-validations), which ajv does not run.
describe('the oracle refuses what Calico validation refuses (libcalico-go/lib/validator/v3/validator.go)', () => {
  const rule = (r: string, where = 'ingress') => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: 'p' },
    spec: load(`{selector: all(), ${where}: [${r}]}`),
  });
  it.each([
    [
      '{action: Deny, http: {methods: [GET]}}',
      'ingress',
      'spec.ingress.0.http: is only valid on Allow rules, not Deny',
    ],
    [
      '{action: Pass, http: {methods: [GET]}}',
      'ingress',
      'spec.ingress.0.http: is only valid on Allow rules, not Pass',
    ],
    [
      '{action: Allow, http: {methods: [GET]}}',
      'egress',
      'spec.egress.0.http: is not allowed in egress rules',
    ],
    [
      '{action: Allow, protocol: UDP, http: {methods: [GET]}}',
      'ingress',
      'spec.ingress.0.protocol: rules with http must have protocol TCP or none',
    ],
    [
      '{action: Allow, http: {paths: [{exact: static}]}}',
      'ingress',
      'spec.ingress.0.http.paths.0.exact: "static" must start with "/"',
    ],
    [
      "{action: Allow, http: {paths: [{prefix: '/a?b'}]}}",
      'ingress',
      'spec.ingress.0.http.paths.0.prefix: "/a?b" must start with "/" and hold no "?", "#" or space',
    ],
    ["{action: Allow, http: {paths: [{prefix: '/a#b'}]}}", 'ingress', 'spec.ingress.0.http.paths.0.prefix'],
    ["{action: Allow, http: {paths: [{prefix: '/a b'}]}}", 'ingress', 'spec.ingress.0.http.paths.0.prefix'],
    [
      '{action: Allow, http: {paths: [{exact: /a, prefix: /b}]}}',
      'ingress',
      "spec.ingress.0.http.paths.0: sets both 'exact' and 'prefix'",
    ],
    [
      '{action: Allow, http: {methods: [GET, GET]}}',
      'ingress',
      'spec.ingress.0.http.methods: has duplicates',
    ],
    [
      '{action: Allow, source: {selector: "app = \'x\'"}}',
      'ingress',
      'spec.ingress.0.source.selector: invalid selector',
    ],
  ])('%s in %s', (r, where, why) => {
    const { problems } = parseObject(rule(r, where), 't');
    expect(problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('\n')).toContain(why);
  });
});
