import type { z } from 'zod';
import type { ToolResultSchema } from './schema.js';

/**
 * How a tool was obtained and what was proven about it, in words a reader can trust: a binary taken
 * from PATH (tools-from-path) was only asked its version, never checksum-verified.
 */
export function toolProvenance(
  t: Pick<z.infer<typeof ToolResultSchema>, 'source' | 'checksumSource'>,
): string {
  switch (t.source) {
    case 'path':
      return 'from PATH, version-checked';
    case 'cache':
      return 'from the tool cache, sha256-verified when downloaded';
    case 'download':
      return 'downloaded, sha256-verified';
    case 'given':
      // The user's own build: verified only against the sha256 the user gave, if any.
      return t.checksumSource === 'given'
        ? "the user's build, verified against the given sha256"
        : "the user's build, not verified (sha256 recorded)";
  }
}
