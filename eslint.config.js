import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** `import … from '../x/…'` (any depth) reaching into the folder `x` of src/. */
const folder = (name) => `^(\\.\\./)+${name}/`;
const restrict = (bars) => ({
  'no-restricted-imports': [
    'error',
    { patterns: bars.map(([f, why]) => ({ regex: folder(f), message: `${why} (see eslint.config.js)` })) },
  ],
});

/**
 * Data flows one way: inputs → config → resolve → plan → run → report. These rules keep it so;
 * test/lint/import-rules.test.ts proves a violation fails lint. Each file gets one rule set (flat
 * config replaces rule options, it does not merge them), so every set also bars cli/ and action/.
 */
const ENTRY = ['cli', 'action'];
const ENTRY_WHY = 'only the entry points import the CLI and the action';
const ruleSets = [
  {
    dirs: ['catalog'],
    bar: ['config', 'resolve', 'report', 'run', 'plan', 'render', 'version-matrix'],
    why: 'the catalog is data: it imports nothing from the stages that read it',
  },
  {
    dirs: ['report'],
    bar: ['config', 'catalog', 'resolve', 'render', 'run', 'plan'],
    why: 'reports read results and the planned matrix only, never the catalog or a run',
  },
  {
    dirs: ['run', 'verify', 'diagnostics', 'suite'],
    bar: ['render', 'catalog'],
    why: 'later stages read the plan, never the renderers or the catalog',
  },
  {
    dirs: ['oracle'],
    bar: ['catalog', 'config', 'resolve', 'render', 'run', 'report', 'plan'],
    why: 'the oracle is pure policy semantics: version facts reach it as arguments from src/resolve',
  },
];
const importRules = [
  ...ruleSets.map(({ dirs, bar, why }) => ({
    files: dirs.map((d) => `src/${d}/**/*.ts`),
    rules: restrict([...bar.map((f) => [f, why]), ...ENTRY.map((f) => [f, ENTRY_WHY])]),
  })),
  {
    files: ['src/**/*.ts'],
    ignores: [...ENTRY, ...ruleSets.flatMap((r) => r.dirs)].map((d) => `src/${d}/**`),
    rules: restrict(ENTRY.map((f) => [f, ENTRY_WHY])),
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...importRules,
  {
    // Tests poke at parsed YAML and JSON; typing every manifest shape there buys nothing.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
