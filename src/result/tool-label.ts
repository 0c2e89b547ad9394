import type { z } from 'zod';
import type { ToolResultSchema } from './schema.js';

/**
 * How a tool was obtained and what was proven about it, in words a reader can trust: a binary taken
 * from PATH (tools-from-path) was only asked its version, never checksum-verified.
 */
export function toolProvenance(t: Pick<z.infer<typeof ToolResultSchema>, 'source'>): string {
  switch (t.source) {
    case 'path':
      return 'from PATH, version-checked';
    case 'cache':
      return 'from the tool cache, sha256-verified when downloaded';
    case 'download':
      return 'downloaded, sha256-verified';
  }
}
