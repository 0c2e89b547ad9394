import { dump, loadAll } from 'js-yaml';

/** Objects → one YAML stream; keys in build order, no anchors, no line folding. */
export function toYaml(...docs: readonly unknown[]): string {
  return docs.map((d) => dump(d, { noRefs: true, lineWidth: -1 })).join('---\n');
}

export function parseYamlStream(text: string): unknown[] {
  return loadAll(text).filter((d) => d !== null && d !== undefined);
}
