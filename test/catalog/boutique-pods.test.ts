import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { BOUTIQUE, BOUTIQUE_PODS } from '../../src/catalog/index.js';
import { podTemplateOf } from '../../src/oracle/suite-oracle.js';
import { upstream, upstreamAvailable } from '../support/upstream.js';

describe('the Boutique pods the oracle assumes offline (suite check)', () => {
  it.runIf(upstreamAvailable())(
    'are the pod templates of the pinned release/kubernetes-manifests.yaml (labels, service account, port)',
    () => {
      const file = upstream('microservices-demo', BOUTIQUE.version, 'kubernetes-manifests.yaml');
      const fromFile = loadAll(readFileSync(file, 'utf8'))
        .map((doc) => podTemplateOf({ doc, source: file }))
        .filter((t) => t !== undefined && t.labels.app !== 'loadgenerator')
        .map((t) => ({ labels: t!.labels, serviceAccount: t!.serviceAccount, port: t!.port }));
      expect(fromFile).toEqual(BOUTIQUE_PODS.map((p) => ({ ...p, labels: { ...p.labels } })));
    },
  );
});
