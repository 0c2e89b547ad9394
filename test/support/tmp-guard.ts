import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest globalSetup: the whole run gets a fresh TMPDIR of its own (workers and the processes they spawn
 * inherit it, so os.tmpdir() points there), and whatever is still in it at the end was left behind by a
 * test. A private directory keeps the check exact with parallel workers and other runs on the machine.
 */
export default function setup(): () => void {
  const saved = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'cic-test-run-'));
  process.env.TMPDIR = root;
  return () => {
    // Node's own module compile cache (npm turns it on in os.tmpdir()) is the runtime's, not a test's.
    const left = readdirSync(root)
      .filter((e) => e !== 'node-compile-cache')
      .sort();
    rmSync(root, { recursive: true, force: true });
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    if (left.length > 0) {
      throw new Error(`tests left ${left.length} temporary entries behind: ${left.join(', ')}`);
    }
  };
}
