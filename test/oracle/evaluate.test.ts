import { describe, expect, it } from 'vitest';
import { CaseInputError } from '../../src/oracle/evaluate.js';
import { brief, docs, gnp, knp, np, run, V3321, world } from './helpers.js';

const FE = `selector: "app == 'frontend'"`;

describe('ordering: tiers, order, first matching rule (felix/calc/policy_sorter.go; app-policy/checker/check.go, v3.32.1)', () => {
  it.each([
    [
      'lower order first',
      docs(
        gnp('a-deny', `${FE}\norder: 20\ningress: [{action: Deny}]`),
        gnp('b-allow', `${FE}\norder: 10\ningress: [{action: Allow}]`),
      ),
      'allowed dikastes b-allow#0',
    ],
    [
      'unset order runs last',
      docs(
        gnp('a-deny', `${FE}\ningress: [{action: Deny}]`),
        gnp('z-allow', `${FE}\norder: 9999\ningress: [{action: Allow}]`),
      ),
      'allowed dikastes z-allow#0',
    ],
    [
      'equal order: by name',
      docs(
        gnp('b', `${FE}\norder: 5\ningress: [{action: Deny}]`),
        gnp('a', `${FE}\norder: 5\ningress: [{action: Allow}]`),
      ),
      'allowed dikastes a#0',
    ],
    [
      'first matching rule in a policy',
      gnp(
        'p',
        `${FE}\ningress: [{action: Deny, source: {selector: "app == 'other'"}}, {action: Allow}, {action: Deny}]`,
      ),
      'allowed dikastes p#1',
    ],
    [
      'Log continues to the next rule',
      gnp('p', `${FE}\ningress: [{action: Log}, {action: Deny}]`),
      'denied-l4 felix p#1',
    ],
    [
      'no matching rule: tier default Deny',
      gnp('p', `${FE}\ningress: [{action: Allow, source: {selector: "app == 'other'"}}]`),
      'denied-l4 felix tier default default',
    ],
    [
      'a policy with no rules denies',
      gnp('p', `${FE}\ntypes: [Ingress]`),
      'denied-l4 felix tier default default',
    ],
    [
      'no policy selects the pod: profile',
      gnp('p', `selector: "app == 'cart'"\ningress: [{action: Deny}]`),
      'allowed dikastes profile kns.boutique',
    ],
    [
      'Pass out of the last tier: profile',
      gnp('p', `${FE}\ningress: [{action: Pass}]`),
      'allowed dikastes profile kns.boutique',
    ],
  ])('%s', (_n, yaml, want) => {
    expect(brief(run(world(yaml)))).toBe(want);
  });

  const tier = (name: string, order: string, defaultAction = 'Deny') =>
    `apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: ${name}}\nspec: {${order ? `order: ${order}, ` : ''}defaultAction: ${defaultAction}}`;
  it.each([
    [
      'a tier of lower order decides first',
      docs(
        tier('security', '100'),
        gnp('sec', `${FE}\ntier: security\ningress: [{action: Deny}]`),
        gnp('app', `${FE}\norder: 1\ningress: [{action: Allow}]`),
      ),
      'denied-l4 felix sec#0',
    ],
    [
      'Pass hands over to the next tier',
      docs(
        tier('security', '100'),
        gnp('sec', `${FE}\ntier: security\ningress: [{action: Pass}]`),
        gnp('app', `${FE}\ningress: [{action: Deny}]`),
      ),
      'denied-l4 felix app#0',
    ],
    [
      'a tier with no matching rule ends in its default Deny',
      docs(
        tier('security', '100'),
        gnp('sec', `${FE}\ntier: security\ningress: [{action: Allow, source: {selector: "app == 'x'"}}]`),
        gnp('app', `${FE}\ningress: [{action: Allow}]`),
      ),
      'denied-l4 felix tier security default',
    ],
    [
      'Tier defaultAction Pass continues',
      docs(
        tier('security', '100', 'Pass'),
        gnp('sec', `${FE}\ntier: security\ningress: [{action: Allow, source: {selector: "app == 'x'"}}]`),
        gnp('app', `${FE}\ningress: [{action: Deny}]`),
      ),
      'denied-l4 felix app#0',
    ],
    [
      'a tier without order runs after the default tier',
      docs(
        tier('late', ''),
        gnp('late-deny', `${FE}\ntier: late\ningress: [{action: Deny}]`),
        gnp('app', `${FE}\ningress: [{action: Pass}]`),
      ),
      'denied-l4 felix late-deny#0',
    ],
    [
      'a tier that selects nothing is skipped',
      docs(
        tier('security', '100'),
        gnp('sec', `selector: "app == 'x'"\ntier: security\ningress: [{action: Deny}]`),
      ),
      'allowed dikastes profile kns.boutique',
    ],
  ])('%s', (_n, yaml, want) => {
    expect(brief(run(world(yaml)))).toBe(want);
  });

  it('a policy in an undefined tier is refused at evaluation', () => {
    expect(() => run(world(gnp('sec', `${FE}\ntier: nowhere\ningress: [{action: Deny}]`)))).toThrow(
      'tier nowhere',
    );
  });
});

describe('selection and types', () => {
  it.each([
    [
      'types default to Ingress without egress rules',
      gnp('p', `${FE}`),
      'denied-l4 felix tier default default',
    ],
    [
      'egress-only rules make an Egress policy: ingress untouched',
      gnp('p', `${FE}\negress: [{action: Deny}]`),
      'allowed dikastes profile kns.boutique',
    ],
    [
      'types: [Egress] does not police ingress',
      gnp('p', `${FE}\ntypes: [Egress]`),
      'allowed dikastes profile kns.boutique',
    ],
    [
      'a NetworkPolicy applies in its own namespace only',
      np('p', 'other', `${FE}\ningress: [{action: Deny}]`),
      'allowed dikastes profile kns.boutique',
    ],
    [
      'a NetworkPolicy in the target namespace applies',
      np('p', 'boutique', `${FE}\ningress: [{action: Deny}]`),
      'denied-l4 felix p#0',
    ],
    [
      'GNP namespaceSelector selects by namespace labels',
      gnp('p', `${FE}\nnamespaceSelector: "team == 'shop'"\ningress: [{action: Deny}]`),
      'denied-l4 felix p#0',
    ],
    [
      'GNP namespaceSelector that does not match',
      gnp('p', `${FE}\nnamespaceSelector: "team == 'ops'"\ningress: [{action: Deny}]`),
      'allowed dikastes profile kns.boutique',
    ],
    [
      '!= selects pods lacking the label',
      gnp('p', `selector: "tier != 'db'"\ningress: [{action: Deny}]`),
      'denied-l4 felix p#0',
    ],
    [
      'not in selects pods lacking the label',
      gnp('p', `selector: "tier not in {'db'}"\ningress: [{action: Deny}]`),
      'denied-l4 felix p#0',
    ],
    [
      'Calico adds projectcalico.org/namespace',
      gnp('p', `selector: "projectcalico.org/namespace == 'boutique'"\ningress: [{action: Deny}]`),
      'denied-l4 felix p#0',
    ],
    [
      'Calico adds projectcalico.org/orchestrator',
      gnp('p', `selector: "projectcalico.org/orchestrator == 'k8s'"\ningress: [{action: Deny}]`),
      'denied-l4 felix p#0',
    ],
    [
      'Calico adds projectcalico.org/serviceaccount',
      gnp('p', `selector: "projectcalico.org/serviceaccount == 'default'"\ningress: [{action: Deny}]`),
      'denied-l4 felix p#0',
    ],
    [
      'serviceAccountSelector over ServiceAccount labels',
      docs(
        `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: boutique, labels: {role: web}}`,
        gnp('p', `serviceAccountSelector: "role == 'web'"\ningress: [{action: Deny}]`),
      ),
      'denied-l4 felix p#0',
    ],
    [
      'staged policies are ignored',
      `apiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: {name: s}\nspec: {selector: all(), ingress: [{action: Deny}]}`,
      'allowed dikastes profile kns.boutique',
    ],
  ])('%s', (_n, yaml, want) => {
    expect(brief(run(world(yaml, { namespaces: { boutique: { team: 'shop' } } })))).toBe(want);
  });
});

describe('rule clauses (updateprocessors/rules.go; checker/match.go, v3.32.1)', () => {
  const allowIf = (clause: string) => docs(gnp('p', `${FE}\ningress: [{action: Allow, ${clause}}]`));
  it.each([
    ['protocol TCP matches TCP', 'protocol: TCP', {}, 'allowed'],
    ['protocol UDP does not match TCP', 'protocol: UDP', {}, 'denied-l4'],
    ['notProtocol TCP excludes TCP', 'notProtocol: TCP', {}, 'denied-l4'],
    ['a listed port', 'destination: {ports: [8080]}', {}, 'allowed'],
    ['a port range', "destination: {ports: ['8000:8100']}", {}, 'allowed'],
    ['a port outside the range', "destination: {ports: ['9000:9100']}", {}, 'denied-l4'],
    ['notPorts', 'destination: {notPorts: [8080]}', {}, 'denied-l4'],
    ['a named port resolved from the target', 'destination: {ports: [http]}', {}, 'allowed'],
    ['a named port the target does not declare', 'destination: {ports: [grpc]}', {}, 'denied-l4'],
    [
      'source selector matches the gateway',
      `source: {selector: "app == 'istio-ingressgateway'"}`,
      {},
      'allowed',
    ],
    ['source notSelector excludes it', `source: {notSelector: "istio == 'ingressgateway'"}`, {}, 'denied-l4'],
    [
      'source namespaceSelector on namespace labels',
      `source: {namespaceSelector: "kubernetes.io/metadata.name == 'istio-system'"}`,
      {},
      'allowed',
    ],
    ['source namespaceSelector all()', 'source: {namespaceSelector: all()}', {}, 'allowed'],
    [
      'source namespaceSelector global() matches no pod',
      'source: {namespaceSelector: global()}',
      {},
      'denied-l4',
    ],
    ['source nets containing the gateway IP', "source: {nets: ['10.1.0.0/24']}", {}, 'allowed'],
    ['source nets not containing it', "source: {nets: ['10.2.0.0/16']}", {}, 'denied-l4'],
    ['source notNets containing it', "source: {notNets: ['10.1.0.9/32']}", {}, 'denied-l4'],
    ['destination selector on the target', `destination: {selector: "app == 'frontend'"}`, {}, 'allowed'],
    [
      'serviceAccounts names: the gateway account',
      'source: {serviceAccounts: {names: [istio-ingressgateway-service-account]}}',
      {},
      'allowed',
    ],
    // Felix's IP set for the clause holds only pods of that account: dropped at L4.
    [
      'serviceAccounts names: another account',
      'source: {serviceAccounts: {names: [checkout]}}',
      {},
      'denied-l4',
    ],
  ])('%s', (_n, clause, _o, want) => {
    expect(run(world(allowIf(clause))).verdict).toBe(want);
  });

  it('a NetworkPolicy rule selector is confined to the policy namespace (rules.go getEndpointSelector)', () => {
    const w = world(
      np(
        'p',
        'boutique',
        `${FE}\ningress: [{action: Allow, source: {selector: "app == 'istio-ingressgateway'"}}]`,
      ),
    );
    // The gateway lives in istio-system: same labels, other namespace.
    expect(run(w).verdict).toBe('denied-l4');
    expect(run(w, { from: { namespace: 'boutique' } }).verdict).toBe('allowed');
  });

  it('a NetworkPolicy rule without selectors admits any namespace', () => {
    expect(
      run(world(np('p', 'boutique', `${FE}\ningress: [{action: Allow, destination: {ports: [8080]}}]`)))
        .verdict,
    ).toBe('allowed');
  });

  it('a rule on nets needs the peer IP: bad input naming the field', () => {
    const w = world(allowIf("source: {nets: ['10.1.0.0/24']}"));
    try {
      run(w, { from: { ip: undefined } as never });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CaseInputError);
      expect((e as CaseInputError).field).toEqual(['from', 'ip']);
    }
  });
});

describe('two enforcement points: Felix at L3/L4, Dikastes at L7', () => {
  const homepage = gnp(
    'home',
    `${FE}\norder: 10\ningress: [{action: Allow, http: {methods: [GET], paths: [{exact: /}]}}]`,
  );
  const deny = gnp('deny', `${FE}\norder: 20\ntypes: [Ingress]`);
  it.each([
    [
      'no-rules policy alone: Felix drops the connection',
      deny,
      'GET',
      '/',
      'denied-l4 felix tier default default',
    ],
    [
      'http Allow: Felix allows, Dikastes allows GET /',
      docs(homepage, deny),
      'GET',
      '/',
      'allowed dikastes home#0',
    ],
    [
      'http Allow: Dikastes denies POST / (L7)',
      docs(homepage, deny),
      'POST',
      '/',
      'denied-l7 dikastes tier default default',
    ],
    [
      'http Allow: Dikastes denies GET /cart (L7)',
      docs(homepage, deny),
      'GET',
      '/cart',
      'denied-l7 dikastes tier default default',
    ],
    [
      'methods "*" matches any method',
      gnp('p', `${FE}\ningress: [{action: Allow, http: {methods: ['*']}}]`),
      'DELETE',
      '/',
      'allowed dikastes p#0',
    ],
    [
      'methods are case-sensitive',
      gnp('p', `${FE}\ningress: [{action: Allow, http: {methods: [get]}}]`),
      'GET',
      '/',
      'denied-l7 dikastes tier default default',
    ],
    [
      'a Deny rule before the http Allow decides at L4',
      docs(gnp('d', `${FE}\norder: 1\ningress: [{action: Deny, destination: {ports: [8080]}}]`), homepage),
      'GET',
      '/',
      'denied-l4 felix d#0',
    ],
  ])('%s', (_n, yaml, method, path, want) => {
    expect(brief(run(world(yaml), { method, path }))).toBe(want);
  });

  it('an egress policy of the source denies at L4', () => {
    const w = world(
      gnp(
        'gw-out',
        `selector: "app == 'istio-ingressgateway'"\negress: [{action: Deny, destination: {selector: "app == 'frontend'"}}]`,
      ),
    );
    const r = run(w);
    expect(brief(r)).toBe('denied-l4 felix gw-out#0');
    expect(r.explanation).toContain('egress of the source');
  });

  it('UDP never reaches Dikastes', () => {
    expect(
      run(world(gnp('p', `${FE}\ningress: [{action: Allow, protocol: UDP}]`)), { protocol: 'UDP' }).verdict,
    ).toBe('allowed');
  });

  it('the explanation walks every stage', () => {
    const r = run(world(docs(homepage, deny)), { path: '/cart' });
    expect(r.explanation).toMatch(
      /Felix, egress of the source istio-system.*Felix, ingress of the target boutique.*http not enforced at L4.*Dikastes \(peer identity spiffe:\/\/cluster.local\/ns\/istio-system\/sa\/istio-ingressgateway-service-account/,
    );
    expect(r.explanation).toContain('normalised path /cart matches none of exact /');
  });
});

describe('identities with and without mTLS (checker/match.go matchServiceAccounts, requestcache.go, v3.32.1)', () => {
  const saRule = (clause: string) =>
    world(
      gnp(
        'p',
        `${FE}\ningress: [{action: Allow, http: {methods: [GET]}, source: {serviceAccounts: ${clause}}}]`,
      ),
    );
  const sa = `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: istio-ingressgateway-service-account, namespace: istio-system, labels: {role: edge}}`;
  it.each([
    [true, '{names: [istio-ingressgateway-service-account]}', 'allowed'],
    [false, '{names: [istio-ingressgateway-service-account]}', 'allowed'],
    // The same clause is in Felix's IP sets: another account never reaches Dikastes.
    [true, '{names: [checkout]}', 'denied-l4'],
    [false, '{names: [checkout]}', 'denied-l4'],
  ])('mtls %s, serviceAccounts %s → %s', (mtls, clause, want) => {
    const w = { ...saRule(clause), mtls };
    expect(run(w).verdict).toBe(want);
  });

  it('a serviceAccounts selector reads ServiceAccount labels, by identity and by IP set alike', () => {
    for (const mtls of [true, false]) {
      const w = world(
        docs(
          sa,
          gnp(
            'p',
            `${FE}\ningress: [{action: Allow, source: {serviceAccounts: {selector: "role == 'edge'"}}}]`,
          ),
        ),
        { mtls },
      );
      expect(run(w).verdict).toBe('allowed');
      const w2 = world(
        docs(
          sa,
          gnp(
            'p',
            `${FE}\ningress: [{action: Allow, source: {serviceAccounts: {selector: "role == 'db'"}}}]`,
          ),
        ),
        { mtls },
      );
      expect(run(w2).verdict).toBe('denied-l4');
    }
  });

  it('says which mechanism Dikastes used', () => {
    const w = saRule('{names: [istio-ingressgateway-service-account]}');
    expect(run(w).explanation).toContain(
      'peer identity spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account and IP sets',
    );
    expect(run({ ...w, mtls: false }).explanation).toContain('IP sets only (no mTLS: no peer identity)');
  });
});

describe('the calico-11857 deny-all range', () => {
  const defect = {
    ...V3321,
    calico: 'v3.31.7',
    httpPaths: 'normalised' as const,
    denyAllDefect: {
      id: 'calico-11857',
      issue: 'https://github.com/projectcalico/calico/issues/11857',
      diagnosis: 'every request denied',
    },
  };
  it('denies at L7 even a pod no policy selects', () => {
    const r = run(world(''), {}, defect);
    expect(r.verdict).toBe('denied-l7');
    expect(r.decidedBy).toMatchObject({ kind: 'defect', enforcement: 'dikastes', action: 'Deny' });
    expect(r.explanation).toContain('calico-11857');
  });
  it('a Felix denial still comes first (L4)', () => {
    expect(brief(run(world(gnp('p', `${FE}\ntypes: [Ingress]`)), {}, defect))).toBe(
      'denied-l4 felix tier default default',
    );
  });
});

describe('Kubernetes NetworkPolicy as Calico converts it (conversion.go K8sNetworkPolicyToCalico, v3.32.1)', () => {
  const fePod = 'podSelector: {matchLabels: {app: frontend}}';
  it.each([
    [
      'a podSelector peer admits pods of the same namespace only',
      knp(
        'k',
        'boutique',
        `${fePod}\ningress: [{from: [{podSelector: {matchLabels: {app: istio-ingressgateway}}}]}]`,
      ),
      {},
      'denied-l4',
    ],
    [
      '... and admits them from the policy namespace',
      knp(
        'k',
        'boutique',
        `${fePod}\ningress: [{from: [{podSelector: {matchLabels: {app: istio-ingressgateway}}}]}]`,
      ),
      { from: { namespace: 'boutique' } },
      'allowed',
    ],
    [
      'an empty namespaceSelector admits every namespace',
      knp('k', 'boutique', `${fePod}\ningress: [{from: [{namespaceSelector: {}}]}]`),
      {},
      'allowed',
    ],
    [
      'a namespaceSelector with labels',
      knp(
        'k',
        'boutique',
        `${fePod}\ningress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}}]}]`,
      ),
      {},
      'allowed',
    ],
    [
      'matchExpressions NotIn admits a pod lacking the key',
      knp(
        'k',
        'boutique',
        `${fePod}\ningress: [{from: [{namespaceSelector: {}, podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [db]}]}}]}]`,
      ),
      {},
      'allowed',
    ],
    [
      'matchExpressions DoesNotExist',
      knp(
        'k',
        'boutique',
        `${fePod}\ningress: [{from: [{namespaceSelector: {}, podSelector: {matchExpressions: [{key: istio, operator: DoesNotExist}]}}]}]`,
      ),
      {},
      'denied-l4',
    ],
    [
      'a port without protocol is TCP',
      knp('k', 'boutique', `${fePod}\ningress: [{ports: [{port: 8080}]}]`),
      {},
      'allowed',
    ],
    [
      'a UDP port does not admit TCP',
      knp('k', 'boutique', `${fePod}\ningress: [{ports: [{port: 8080, protocol: UDP}]}]`),
      {},
      'denied-l4',
    ],
    [
      'port with endPort',
      knp('k', 'boutique', `${fePod}\ningress: [{ports: [{port: 8000, endPort: 8100}]}]`),
      {},
      'allowed',
    ],
    ['a named port', knp('k', 'boutique', `${fePod}\ningress: [{ports: [{port: http}]}]`), {}, 'allowed'],
    [
      'ipBlock with except',
      knp(
        'k',
        'boutique',
        `${fePod}\ningress: [{from: [{ipBlock: {cidr: 10.1.0.0/16, except: [10.1.0.0/24]}}]}]`,
      ),
      {},
      'denied-l4',
    ],
    [
      'ipBlock',
      knp('k', 'boutique', `${fePod}\ningress: [{from: [{ipBlock: {cidr: 10.1.0.0/16}}]}]`),
      {},
      'allowed',
    ],
    [
      'an empty podSelector selects every pod of the namespace',
      knp('k', 'boutique', 'podSelector: {}\npolicyTypes: [Ingress]'),
      {},
      'denied-l4',
    ],
    [
      'policyTypes Egress only leaves ingress alone',
      knp('k', 'boutique', `${fePod}\npolicyTypes: [Egress]`),
      {},
      'allowed',
    ],
    [
      'another namespace is not selected',
      knp('k', 'other', 'podSelector: {}\npolicyTypes: [Ingress]'),
      {},
      'allowed',
    ],
  ])('%s', (_n, yaml, o, want) => {
    expect(run(world(yaml), o).verdict).toBe(want);
  });

  it('runs in the default tier at order 1000: an ordered Calico policy goes first, an unordered one after', () => {
    const k = knp('k', 'boutique', `${fePod}\ningress: [{ports: [{port: 8080}]}]`);
    expect(brief(run(world(docs(k, gnp('d', `${FE}\norder: 999\ningress: [{action: Deny}]`)))))).toBe(
      'denied-l4 felix d#0',
    );
    expect(brief(run(world(docs(k, gnp('d', `${FE}\ningress: [{action: Deny}]`)))))).toBe(
      'allowed dikastes k#0',
    );
  });

  it('pod selectors carry the orchestrator check', () => {
    const w = world(knp('k', 'boutique', 'podSelector: {}\npolicyTypes: [Ingress]'));
    expect(w.policies[0]!.selector).toBe("projectcalico.org/orchestrator == 'k8s'");
    expect(w.policies[0]).toMatchObject({ kind: 'KubernetesNetworkPolicy', tier: 'default', order: 1000 });
  });

  it('one rule per protocol and peer, protocols sorted', () => {
    const w = world(
      knp(
        'k',
        'boutique',
        `${fePod}\ningress: [{from: [{podSelector: {}}, {ipBlock: {cidr: 10.0.0.0/8}}], ports: [{port: 53, protocol: UDP}, {port: 53}, {port: 54}]}]`,
      ),
    );
    const rules = w.policies[0]!.ingress;
    expect(rules.map((r) => [r.protocol, r.destination.ports, r.source.nets ?? r.source.selector])).toEqual([
      [
        'TCP',
        [
          { first: 53, last: 53 },
          { first: 54, last: 54 },
        ],
        "projectcalico.org/orchestrator == 'k8s'",
      ],
      [
        'TCP',
        [
          { first: 53, last: 53 },
          { first: 54, last: 54 },
        ],
        ['10.0.0.0/8'],
      ],
      ['UDP', [{ first: 53, last: 53 }], "projectcalico.org/orchestrator == 'k8s'"],
      ['UDP', [{ first: 53, last: 53 }], ['10.0.0.0/8']],
    ]);
  });
});
