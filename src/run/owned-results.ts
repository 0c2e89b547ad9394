import { rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

/** What a run owns in results-dir: cleared first, so nothing of an earlier run is read as this one's. */
export const OWNED_RESULTS = ['results.json', 'junit.xml', 'diagnostics', 'diagnostics.tar.gz', 'plan'];

export async function clearOwnedResults(resultsDir: string): Promise<void> {
  for (const name of OWNED_RESULTS) await rm(join(resultsDir, name), { recursive: true, force: true });
}

/**
 * A run refused before its config exists still must not leave an earlier run's results to be read as
 * its own: clear them in the results-dir the user gave (or the default), when that is a usable path.
 */
export async function clearAfterRefusal(rawResultsDir: string | undefined, fallback: string, cwd: string) {
  const dir = (rawResultsDir ?? '').trim() || fallback;
  if (/[\0\n]/.test(dir)) return;
  await clearOwnedResults(isAbsolute(dir) ? dir : resolve(cwd, dir)).catch(() => undefined);
}
