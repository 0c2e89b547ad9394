import { Ajv, type ValidateFunction } from 'ajv';
import { loadAll } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { upstream } from './upstream.js';

interface Crd {
  spec: {
    names: { kind: string };
    versions: { name: string; schema: { openAPIV3Schema: { properties: { spec: object } } } }[];
  };
}

/** CRD patterns are Go RE2: turn its `(?i)` into JavaScript's `i` flag. */
const goRegExp = Object.assign(
  (pattern: string, flags: string): RegExp =>
    pattern.includes('(?i)')
      ? new RegExp(pattern.replaceAll('(?i)', ''), `${flags}i`)
      : new RegExp(pattern, flags),
  { code: 'goRegExp' },
);

/** Calico versions whose policy CRDs are in ../shared/upstream. */
export const CALICO_CRD_VERSIONS = ['v3.29.7', 'v3.32.1'] as const;

/** An ajv validator for `spec` of a Calico kind (FelixConfiguration, GlobalNetworkPolicy …), from the real CRD. */
export function calicoSpecValidator(version: string, kind: string): ValidateFunction {
  const docs = loadAll(readFileSync(upstream('calico', version, 'policy-crds.yaml'), 'utf8')) as Crd[];
  const crd = docs.find((d) => d?.spec?.names?.kind === kind);
  if (!crd) throw new Error(`no CRD for ${kind} in calico ${version}`);
  const schema = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec;
  // Kubernetes structural-schema keywords (x-kubernetes-*) are not JSON Schema: tolerate them, check the rest.
  const ajv = new Ajv({ strict: false, allErrors: true, code: { regExp: goRegExp } });
  return ajv.compile(schema);
}
