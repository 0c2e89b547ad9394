// Bundles the action (main + post) and the CLI into single ESM files under dist/.
import { build } from 'esbuild';
import { chmod, rm } from 'node:fs/promises';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS dependencies call require(); give ESM bundles one.
  banner: {
    js: "import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);",
  },
};

await rm('dist', { recursive: true, force: true });
await build({ ...common, entryPoints: ['src/action/index.ts'], outfile: 'dist/action.js' });
await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' });
await chmod('dist/cli.js', 0o755);
