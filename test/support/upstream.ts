import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The workplace's verbatim upstream files (never copied into this project). */
export const UPSTREAM_DIR = resolve(import.meta.dirname, '../../../shared/upstream');

/**
 * Whether tests that read ../shared/upstream can run. Under CI the folder must be there (a missing one
 * fails the run); elsewhere, a clone outside the workplace, they skip with the reason printed once.
 * GitHub's CI is such a clone: its workflow says so explicitly with UPSTREAM_REFERENCE=optional.
 */
export function upstreamAvailable(): boolean {
  if (existsSync(UPSTREAM_DIR)) return true;
  if (process.env.CI === 'true' && process.env.UPSTREAM_REFERENCE !== 'optional') {
    throw new Error(
      `CI=true but ${UPSTREAM_DIR} is missing: the upstream reference files must sit beside the clone`,
    );
  }
  console.warn(`skipping upstream-file tests: ${UPSTREAM_DIR} not found (a clone outside the workplace)`);
  return false;
}

export const upstream = (...parts: string[]) => resolve(UPSTREAM_DIR, ...parts);
