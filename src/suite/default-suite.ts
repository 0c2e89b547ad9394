import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built-in Online Boutique deny-then-allow suite, relative to the package root. */
export const DEFAULT_SUITE_PATH = 'e2e-manifests/suites/boutique/suite.yaml';

/**
 * Absolute path of the built-in suite: found by walking up from this module, so it works from src/
 * (tests), dist/ (the bundle) and an installed package alike.
 */
export function defaultSuiteFile(from: string = import.meta.url): string {
  let dir = dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, DEFAULT_SUITE_PATH);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`built-in suite ${DEFAULT_SUITE_PATH} not found above ${from}`);
}
