// esbuild settings shared by the dist build, the contract tests and the benchmarks.
import { build } from 'esbuild';

export const ENTRY_POINTS = { action: 'src/action/index.ts', cli: 'src/cli/main.ts' };

/** Bundles one entry point into a single ESM file for Node 24. */
export async function bundle(entry, outfile, extra = {}) {
  await build({
    entryPoints: [entry],
    outfile,
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
    ...extra,
  });
}
