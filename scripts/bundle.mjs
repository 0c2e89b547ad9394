// esbuild settings shared by the dist build, the contract tests and the benchmarks.
import { build } from 'esbuild';
import { basename, dirname, extname } from 'node:path';

export const ENTRY_POINTS = { action: 'src/action/index.ts', cli: 'src/cli/main.ts' };

/**
 * @actions/core imports @actions/http-client (and so undici, ~1 MB) for OIDC tokens only. Declaring
 * http-client free of import-time side effects lets esbuild drop it wherever nothing calls it (the
 * post step, `--version`); where it is used (tool-cache downloads) it is bundled as before.
 */
const httpClientIsPure = {
  name: 'http-client-is-pure',
  setup(b) {
    b.onResolve({ filter: /^@actions\/http-client(\/|$)/ }, async (args) => {
      if (args.pluginData?.pure) return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { pure: true },
      });
      return r.errors.length ? undefined : { path: r.path, sideEffects: false };
    });
  },
};

/**
 * ESM for Node 24, split into chunks: an entry point parses only what it imports up front, and
 * each command (or the action's main/post) loads the rest when it runs. Entry points bundled in
 * one call share their chunks (dist/NAME-HASH.js).
 */
export async function bundleAll(entries, outdir, extra = {}) {
  return build({
    entryPoints: Object.entries(entries).map(([out, entry]) => ({ in: entry, out })),
    outdir,
    bundle: true,
    splitting: true,
    // Beside the entries: code that finds the package from import.meta.url sees dist/ either way.
    chunkNames: '[name]-[hash]',
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minifySyntax: true,
    minifyWhitespace: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    plugins: [httpClientIsPure],
    // CommonJS dependencies call require(); give ESM chunks one.
    banner: {
      js: "import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);",
    },
    ...extra,
  });
}

/** Bundles one entry point to `outfile`; its chunks go beside it. */
export async function bundle(entry, outfile, extra = {}) {
  const ext = extname(outfile);
  return bundleAll({ [basename(outfile, ext)]: entry }, dirname(outfile), {
    ...(ext && ext !== '.js' ? { outExtension: { '.js': ext } } : {}),
    ...extra,
  });
}
