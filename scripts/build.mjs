// Builds the committed single-file bundles: dist/action.js (main and post) and dist/cli.js.
import { chmod, rm } from 'node:fs/promises';
import { bundle, ENTRY_POINTS } from './bundle.mjs';

await rm('dist', { recursive: true, force: true });
await bundle(ENTRY_POINTS.action, 'dist/action.js');
await bundle(ENTRY_POINTS.cli, 'dist/cli.js');
await chmod('dist/cli.js', 0o755);
