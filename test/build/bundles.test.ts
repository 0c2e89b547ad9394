import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/** The dist build's shape, read from esbuild's metafile: sizes, duplicates, what each entry parses. */
interface Metafile {
  outputs: Record<
    string,
    {
      bytes: number;
      entryPoint?: string;
      inputs: Record<string, { bytesInOutput: number }>;
      imports: { path: string; kind: string }[];
    }
  >;
}

const tmp = await mkdtemp(join(tmpdir(), 'cic-bundles-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));
const { bundleAll, ENTRY_POINTS } = (await import(
  pathToFileURL(join(process.cwd(), 'scripts/bundle.mjs')).href
)) as {
  bundleAll: (entries: Record<string, string>, outdir: string) => Promise<{ metafile: Metafile }>;
  ENTRY_POINTS: Record<string, string>;
};
const { metafile } = await bundleAll(ENTRY_POINTS, tmp);
const outputs = metafile.outputs;
const name = (out: string) => relative(tmp, join(process.cwd(), out));
const entry = (src: string) => Object.keys(outputs).find((o) => outputs[o]!.entryPoint === src)!;

/** Outputs an output loads before running (static imports), itself included. */
function staticClosure(out: string, seen = new Set<string>()): Set<string> {
  if (seen.has(out)) return seen;
  seen.add(out);
  for (const i of outputs[out]!.imports)
    if (i.kind === 'import-statement' && i.path in outputs) staticClosure(i.path, seen);
  return seen;
}
/** The chunk an output loads with import() whose name starts with `prefix`. */
function dynamicChunk(out: string, prefix: string): string {
  const found = outputs[out]!.imports.find(
    (i) => i.kind === 'dynamic-import' && name(i.path).startsWith(prefix),
  );
  expect(found, `${name(out)} loads ${prefix}* lazily`).toBeDefined();
  return found!.path;
}
const inputsOf = (outs: Iterable<string>) => [...outs].flatMap((o) => Object.keys(outputs[o]!.inputs));

describe('dist bundles', () => {
  it('keep every file under 2 MB', () => {
    const big = Object.entries(outputs).filter(([, o]) => o.bytes > 2 * 1024 * 1024);
    expect(big.map(([o, x]) => `${name(o)} ${x.bytes}`)).toEqual([]);
  });

  it('hold one copy of each dependency', () => {
    const copies = new Map<string, Set<string>>();
    for (const input of inputsOf(Object.keys(outputs))) {
      const m = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (!m) continue;
      copies.set(m[2]!, (copies.get(m[2]!) ?? new Set()).add(m[1]!));
    }
    const twice = [...copies]
      .filter(([, at]) => at.size > 1)
      .map(([pkg, at]) => `${pkg}: ${[...at].join(', ')}`);
    expect(copies.has('undici')).toBe(true);
    expect(twice).toEqual([]);
  });

  it('answer `cli --version` from the entry alone', () => {
    const loaded = inputsOf(staticClosure(entry(ENTRY_POINTS.cli!)));
    // The Node check runs first, so an old Node is refused before anything else loads.
    expect(loaded.sort()).toEqual(['src/cli/main.ts', 'src/cli/node-check.ts', 'src/version.ts']);
  });

  it('give the post step only what cleanup needs', () => {
    const action = entry(ENTRY_POINTS.action!);
    const post = inputsOf(staticClosure(dynamicChunk(action, 'post-'), staticClosure(action)));
    expect(post).toContain('src/action/post.ts');
    expect(post).toContain('src/run/cleanup.ts');
    // It runs the saved plan's cleanup steps with the plan executor (one definition of cleanup), so
    // the executor and the plan's command types are in; nothing else of the plan is.
    expect(post).toContain('src/exec/executor.ts');
    const heavy = post.filter(
      (i) =>
        /node_modules\/(undici|zod|js-yaml|badge-maker|anafanafo)\/|src\/(report|run\/engine|run\/phases|suite|plan)\//.test(
          i,
        ) && !/src\/plan\/(types|validate)\.ts$/.test(i),
    );
    expect(heavy).toEqual([]);
    // The main step does load them: the check can fail.
    const main = inputsOf(staticClosure(dynamicChunk(action, 'main-'), staticClosure(action)));
    expect(main.some((i) => i.includes('node_modules/undici/'))).toBe(true);
  });

  it('load badge fonts only with the report', () => {
    const cli = entry(ENTRY_POINTS.cli!);
    const program = inputsOf(staticClosure(dynamicChunk(cli, 'cli-'), staticClosure(cli)));
    expect(program.some((i) => i.includes('anafanafo'))).toBe(false);
  });

  it('load the policy oracle only when evaluate runs', () => {
    const cli = entry(ENTRY_POINTS.cli!);
    const programChunk = dynamicChunk(cli, 'cli-');
    const program = staticClosure(programChunk, staticClosure(cli));
    expect(inputsOf(program).filter((i) => i.startsWith('src/oracle/'))).toEqual([]);
    // …and a chunk the program loads with import() holds it: the check can fail.
    const lazy = outputs[programChunk]!.imports.filter(
      (i) => i.kind === 'dynamic-import' && i.path in outputs,
    );
    expect(lazy.some((i) => inputsOf(staticClosure(i.path)).includes('src/oracle/evaluate.ts'))).toBe(true);
  });
});
