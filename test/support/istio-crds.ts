import { Ajv } from 'ajv';
import { loadAll } from 'js-yaml';
import { existsSync, readFileSync } from 'node:fs';
import { upstream } from './upstream.js';

interface CrdVersion {
  name: string;
  served: boolean;
  schema?: { openAPIV3Schema?: { properties?: Record<string, unknown> } };
}
interface Crd {
  kind: string;
  spec: { group: string; names: { kind: string }; versions: CrdVersion[] };
}

/**
 * Where Istio keeps every CRD at a tag: manifests/charts/base/crds/ up to 1.22.8, files/ at 1.28.1
 * (git ls-tree of istio/istio at 1.10.6, 1.15.7, 1.22.8, 1.28.1).
 */
export function istioCrdSource(version: string): string {
  const minor = Number(version.split('.')[1]);
  return `istio/istio manifests/charts/base/${minor >= 28 ? 'files' : 'crds'}/crd-all.gen.yaml @ ${version}`;
}

/**
 * kubectl validates strictly by default (unknown fields are errors, not pruned): every object schema
 * without x-kubernetes-preserve-unknown-fields rejects properties it does not name.
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const s = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, strict(v)])) as Record<
    string,
    unknown
  >;
  if (s.properties && s.additionalProperties === undefined && !s['x-kubernetes-preserve-unknown-fields'])
    s.additionalProperties = false;
  return s;
}

export type IstioCrdValidator =
  | { ok: true; validate: (obj: { apiVersion?: string; kind?: string; spec?: unknown }) => string[] }
  | { ok: false; why: string };

/** Validates an Istio object against the CRD of its kind and version in ../shared/upstream/istio/<version>/. */
export function istioCrdValidator(
  version: string,
  file = upstream('istio', version, 'crd-all.gen.yaml'),
): IstioCrdValidator {
  if (!existsSync(file))
    return { ok: false, why: `${file} is missing: it must hold ${istioCrdSource(version)}, verbatim` };
  const crds = (loadAll(readFileSync(file, 'utf8')) as Crd[]).filter(
    (d) => d?.kind === 'CustomResourceDefinition',
  );
  // Formats such as int32 are not JSON Schema's: the apiserver checks them, here only the shapes.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return {
    ok: true,
    validate(obj) {
      const [group, v] = String(obj.apiVersion).split('/');
      const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === obj.kind);
      if (!crd) return [`no CRD for ${obj.kind} in ${group} at Istio ${version}`];
      const served = crd.spec.versions.find((x) => x.name === v && x.served);
      if (!served) return [`${group}/${v} ${obj.kind} is not served by Istio ${version}`];
      const spec = served.schema?.openAPIV3Schema?.properties?.spec;
      if (!spec) return [];
      const check = ajv.compile(strict(spec) as object);
      return check(obj.spec ?? {})
        ? []
        : (check.errors ?? []).map(
            (e) => `spec${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
          );
    },
  };
}
