import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { WORKLOAD_NAMESPACE } from '../../src/render/constants.js';
import { defaultSuiteFile, loadSuite } from '../../src/suite/index.js';
import { CALICO_CRD_VERSIONS, calicoSpecValidator } from '../support/calico-crds.js';
import { upstreamAvailable } from '../support/upstream.js';

interface Policy {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

const dir = join(defaultSuiteFile(), '..');
const read = async (name: string) => loadAll(await readFile(join(dir, name), 'utf8')) as Policy[];

describe('the default suite is the blog scenario', () => {
  it('frontend-deny: order 20, frontend, Ingress, no rules', async () => {
    expect(await read('frontend-deny.yaml')).toEqual([
      {
        apiVersion: 'projectcalico.org/v3',
        kind: 'GlobalNetworkPolicy',
        metadata: { name: 'frontend-deny' },
        spec: { order: 20, selector: "app == 'frontend'", types: ['Ingress'] },
      },
    ]);
  });

  it('frontend-allow-homepage: order 10, GET on exact / and prefixes /static, /product', async () => {
    expect(await read('frontend-allow-homepage.yaml')).toEqual([
      {
        apiVersion: 'projectcalico.org/v3',
        kind: 'GlobalNetworkPolicy',
        metadata: { name: 'frontend-allow-homepage' },
        spec: {
          order: 10,
          selector: "app == 'frontend'",
          types: ['Ingress'],
          ingress: [
            {
              action: 'Allow',
              http: {
                methods: ['GET'],
                paths: [{ exact: '/' }, { prefix: '/static' }, { prefix: '/product' }],
              },
            },
          ],
        },
      },
    ]);
  });

  it('expects allow, then deny at L4 (one connection per request), then allow with L7 denials for the cart, then service to service by identity (L7) and by label (L4)', async () => {
    const { spec } = await loadSuite(defaultSuiteFile());
    expect(spec.target).toEqual({ namespace: WORKLOAD_NAMESPACE, selector: 'app=frontend' });
    const table = spec.steps.map((s) => [
      s.name,
      s.apply,
      s.expect.map(
        (e) =>
          `${(e.from ?? s.from)?.serviceAccount ?? ''}${e.from || s.from ? ' -> ' : ''}${e.request.method} ${e.request.path} ${e.verdict}${e.layer ? ` ${e.layer}` : ''}`,
      ),
    ]);
    expect(table).toEqual([
      ['baseline', [], ['GET / allow']],
      ['deny-all', ['frontend-deny.yaml'], ['GET / deny l4']],
      [
        'allow-homepage',
        ['frontend-allow-homepage.yaml'],
        [
          'GET / allow',
          'GET /static/favicon.ico allow',
          'GET /product/OLJCESPC7Z allow',
          'GET /cart deny l7',
          'POST /cart deny l7',
        ],
      ],
      [
        'catalog-by-identity',
        ['productcatalog-new-connections.yaml', 'productcatalog-frontend-identity.yaml'],
        [
          'frontend -> POST /hipstershop.ProductCatalogService/ListProducts allow',
          'default -> POST /hipstershop.ProductCatalogService/ListProducts deny l7',
          'default -> POST /grpc.health.v1.Health/Check allow',
        ],
      ],
      [
        'catalog-by-label',
        ['productcatalog-allow-by-label.yaml'],
        [
          'frontend -> POST /hipstershop.ProductCatalogService/ListProducts allow',
          'default -> POST /hipstershop.ProductCatalogService/ListProducts deny l4',
        ],
      ],
    ]);
  });
});

describe.runIf(upstreamAvailable())('policy specs validate against the Calico CRD schemas', () => {
  const files = [
    join(dir, 'frontend-deny.yaml'),
    join(dir, 'frontend-allow-homepage.yaml'),
    join(import.meta.dirname, 'fixtures/user-suite/products-only.yaml'),
    join(import.meta.dirname, 'fixtures/user-suite/homepage-only.yaml'),
  ];
  it.each(CALICO_CRD_VERSIONS.flatMap((v) => files.map((f) => [v, f] as const)))(
    '%s %s',
    async (version, file) => {
      for (const doc of loadAll(await readFile(file, 'utf8')) as Policy[]) {
        const validate = calicoSpecValidator(version, doc.kind);
        expect(validate(doc.spec), JSON.stringify(validate.errors)).toBe(true);
      }
    },
  );

  it('the validator can fail: an HTTP rule with a path that is not an object', () => {
    const validate = calicoSpecValidator('v3.32.1', 'GlobalNetworkPolicy');
    expect(validate({ ingress: [{ action: 'Allow', http: { paths: ['/'] } }] })).toBe(false);
  });
});
