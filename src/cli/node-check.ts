/**
 * The oldest Node the CLI runs on: commander 15 needs 22.12, undici 7 runs on 20.18+, execa 10 on 22.
 * package.json `engines` and the README say the same (a test checks they agree).
 */
export const MIN_NODE = '22.12.0';

function parts(v: string): number[] {
  return v
    .replace(/^v/, '')
    .split('.')
    .map((p) => Number.parseInt(p, 10) || 0);
}

/** One line refusing an older Node, or undefined when this one will do. No imports: it runs first. */
export function nodeRefusal(version: string, execPath: string): string | undefined {
  const have = parts(version);
  const want = parts(MIN_NODE);
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) > want[i]!) return undefined;
    if ((have[i] ?? 0) < want[i]!) {
      return `calico-istio-conformance needs Node.js ${MIN_NODE} or newer (22 LTS or 24); this is Node ${version.replace(/^v/, '')} (${execPath}).`;
    }
  }
  return undefined;
}
