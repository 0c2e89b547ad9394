import { describe, expect, it } from 'vitest';
import type { ManifestDoc } from '../../src/oracle/suite-oracle.js';
import {
  offlineServiceTarget,
  offlineSource,
  RouteError,
  selectorMatcher,
  type KnownService,
  type KnownWorkload,
} from '../../src/suite/offline-routes.js';
import { clientName, PROBE_CLIENT_LABEL } from '../../src/suite/sources.js';

const docs = (...list: [string, unknown][]): Map<string, ManifestDoc[]> =>
  new Map(list.map(([source, doc]) => [source, [{ doc, source }]]));

const KNOWN: KnownWorkload[] = [
  { labels: { app: 'frontend' }, serviceAccount: 'frontend', port: 8080, source: 'pinned' },
  { labels: { app: 'emailservice' }, serviceAccount: 'emailservice', port: 8080, source: 'pinned' },
];
const SERVICES: KnownService[] = [
  {
    name: 'emailservice',
    selector: { app: 'emailservice' },
    ports: [{ port: 5000, targetPort: 8080 }],
    source: 'pinned',
  },
];
const API = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'api', namespace: 'shop' },
  spec: {
    template: {
      metadata: { labels: { app: 'api', tier: 'back' } },
      spec: {
        serviceAccountName: 'api-sa',
        containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 9000 }] }],
      },
    },
  },
};
const API_SVC = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'api', namespace: 'shop' },
  spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 'http' }] },
};

const fieldOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof RouteError) return [e.field, e.message];
    throw e;
  }
  throw new Error('no RouteError');
};

describe('offline route resolution', () => {
  it('a probe client is its spec plus the label the harness puts on its pods', () => {
    const s = { namespace: 'shop', serviceAccount: 'web', labels: { app: 'caller' } };
    expect(offlineSource(s, new Map(), KNOWN)).toEqual({
      namespace: 'shop',
      serviceAccount: 'web',
      labels: { app: 'caller', [PROBE_CLIENT_LABEL]: clientName(s) },
      from: 'the probe client the harness deploys',
    });
  });

  it('a workload source is found by its selector in the manifests first, then among the pinned pods', () => {
    const d = docs(['api.yaml', API]);
    expect(offlineSource({ namespace: 'shop', selector: 'app=api,tier!=front' }, d, KNOWN)).toMatchObject({
      labels: { app: 'api', tier: 'back' },
      serviceAccount: 'api-sa',
      from: 'api.yaml',
    });
    // The manifests' Deployment lives in shop, not in boutique; the pinned frontend matches by labels.
    expect(() => offlineSource({ namespace: 'boutique', selector: 'app=api' }, d, KNOWN)).toThrow(RouteError);
    expect(offlineSource({ namespace: 'boutique', selector: 'app=frontend' }, d, KNOWN)).toMatchObject({
      serviceAccount: 'frontend',
      from: 'pinned',
    });
  });

  it('a Service target is the pods its selector picks, at the targetPort (named or numbered)', () => {
    const d = docs(['api.yaml', API], ['svc.yaml', API_SVC]);
    expect(
      offlineServiceTarget({ service: 'api', port: 80, namespace: 'shop' }, d, KNOWN, SERVICES),
    ).toMatchObject({
      namespace: 'shop',
      labels: { app: 'api', tier: 'back' },
      serviceAccount: 'api-sa',
      port: 9000,
    });
    // Pinned: emailservice's Service forwards 5000 to 8080.
    expect(
      offlineServiceTarget(
        { service: 'emailservice', port: 5000, namespace: 'boutique' },
        d,
        KNOWN,
        SERVICES,
      ),
    ).toMatchObject({ serviceAccount: 'emailservice', port: 8080 });
  });

  it('what cannot be found offline names the field instead of guessing', () => {
    const d = docs(['api.yaml', API], ['svc.yaml', API_SVC]);
    const to = (service: string, port: number) => ({ service, port, namespace: 'shop' });
    expect(fieldOf(() => offlineServiceTarget(to('nope', 80), d, KNOWN, SERVICES))).toEqual([
      'to.service',
      expect.stringContaining('no Service nope in namespace shop'),
    ]);
    expect(fieldOf(() => offlineServiceTarget(to('api', 8080), d, KNOWN, SERVICES))).toEqual([
      'to.port',
      'Service api (svc.yaml) has no port 8080; it has 80',
    ]);
    const noPods = docs(['svc.yaml', API_SVC]);
    expect(fieldOf(() => offlineServiceTarget(to('api', 80), noPods, KNOWN, SERVICES))).toEqual([
      'to.service',
      expect.stringContaining("no pods match Service api's selector app=api"),
    ]);
    expect(fieldOf(() => offlineSource({ namespace: 'shop', selector: 'app=ghost' }, d, KNOWN))).toEqual([
      'from.selector',
      expect.stringContaining('no workload in namespace shop matches app=ghost'),
    ]);
    expect(fieldOf(() => selectorMatcher('app in (a,b)', 'from.selector'))).toEqual([
      'from.selector',
      expect.stringContaining('cannot be matched offline'),
    ]);
  });
});
