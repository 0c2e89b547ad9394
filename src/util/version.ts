/** Versions as the catalog and inputs speak them: `1.34`, `1.34.8`, `v3.32.1`. */
export interface Semver {
  readonly major: number;
  readonly minor: number;
  readonly patch: number | undefined;
}

const VERSION_RE = /^v?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,4}))?$/;

export function parseVersion(text: string): Semver | undefined {
  const m = VERSION_RE.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? undefined : Number(m[3]) };
}

export function minorOf(v: Semver): string {
  return `${v.major}.${v.minor}`;
}

/** Compares `major.minor[.patch]`; a missing patch sorts before 0. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) throw new Error(`not a version: ${pa ? b : a}`);
  return pa.major - pb.major || pa.minor - pb.minor || (pa.patch ?? -1) - (pb.patch ?? -1);
}

export function minorInRange(minor: string, min: string, max: string | undefined): boolean {
  return compareVersions(minor, min) >= 0 && (max === undefined || compareVersions(minor, max) <= 0);
}

export function stripV(v: string): string {
  return v.startsWith('v') ? v.slice(1) : v;
}
