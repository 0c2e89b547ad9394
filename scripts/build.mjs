// Builds the committed bundles: dist/action.js (main and post), dist/cli.js and the chunks they
// load (dist/NAME-HASH.js).
import { chmod, rm } from 'node:fs/promises';
import { bundleAll, ENTRY_POINTS } from './bundle.mjs';

await rm('dist', { recursive: true, force: true });
await bundleAll(ENTRY_POINTS, 'dist');
await chmod('dist/cli.js', 0o755);
