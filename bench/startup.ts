// Start-up of the built bundles against a bare `node -e 0`, and what each entry point parses before
// it does anything. Runs `npm run build` output (dist/); `npm run bench -- startup` runs it alone.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const ROOT = process.env.BENCH_ROOT ?? process.cwd();
const DIST = join(ROOT, 'dist');
const RUNS = 21;
const TARGET_RATIO = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(args: string[], env: Record<string, string> = {}): number {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: 'ignore',
    });
    runs.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  }
  return median(runs);
}

// Static imports in esbuild's minified output; dynamic ones are what an entry loads later.
const STATIC = /(?:^|[;\s}])import\s*(?:[\w*{}\s,$]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g;
const DYNAMIC = /import\(["'](\.{1,2}\/[^"']+)["']\)/g;

function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(STATIC)) closure(join(dirname(file), m[1]!), seen);
  return seen;
}
const kib = (files: Iterable<string>) =>
  `${([...files].reduce((n, f) => n + statSync(f).size, 0) / 1024).toFixed(0)} KiB`;
function loadedLater(entry: string, chunk: RegExp): Set<string> {
  const first = closure(join(DIST, entry));
  const dyn = [...readFileSync(join(DIST, entry), 'utf8').matchAll(DYNAMIC)]
    .map((m) => m[1]!)
    .find((p) => chunk.test(p));
  if (!dyn) throw new Error(`${entry} loads no chunk matching ${chunk}`);
  return closure(join(DIST, dyn), new Set(first));
}

const bare = time(['-e', '0']);
const version = time([join(DIST, 'cli.js'), '--version']);
const help = time([join(DIST, 'cli.js'), '--help']);
const post = time([join(DIST, 'action.js')], { STATE_isPost: 'true' });
const ratio = (ms: number) => `${(ms / bare).toFixed(1)}x`;
console.log(`start-up, median of ${RUNS} runs:`);
console.log(`  node -e 0                    ${bare.toFixed(0)} ms`);
console.log(
  `  node dist/cli.js --version   ${version.toFixed(0)} ms  ${ratio(version)} bare node (target ≤ ${TARGET_RATIO}x)`,
);
console.log(
  `  node dist/cli.js --help      ${help.toFixed(0)} ms  ${ratio(help)} (loads the command program)`,
);
console.log(`  action post step (no cluster) ${post.toFixed(0)} ms  ${ratio(post)}`);

console.log('parsed per entry point (static closure):');
console.log(`  cli --version      ${kib(closure(join(DIST, 'cli.js')))}`);
console.log(`  cli any command    ${kib(loadedLater('cli.js', /\/cli-/))}`);
console.log(`  action post        ${kib(loadedLater('action.js', /\/post-/))}`);
console.log(`  action main        ${kib(loadedLater('action.js', /\/main-/))}`);

const files = [
  join(DIST, 'cli.js'),
  join(DIST, 'action.js'),
  ...closure(join(DIST, 'cli.js')),
  ...closure(join(DIST, 'action.js')),
];
const all = spawnSync('find', [DIST, '-type', 'f', '-name', '*.js'], { encoding: 'utf8' })
  .stdout.trim()
  .split('\n');
const largest = all.map((f) => ({ f, size: statSync(f).size })).sort((a, b) => b.size - a.size);
console.log(
  `bundles: ${all.length} files, ${kib(all)} in all; largest ${relative(ROOT, largest[0]!.f)} ${(largest[0]!.size / 1024).toFixed(0)} KiB (limit 2048 KiB)`,
);
console.log(`  entries: dist/cli.js ${kib([files[0]!])}, dist/action.js ${kib([files[1]!])}`);
if (version / bare > TARGET_RATIO) {
  console.log(`FAIL: --version is ${ratio(version)} bare node`);
  process.exitCode = 1;
}
if (largest[0]!.size > 2 * 1024 * 1024) {
  console.log('FAIL: a bundle file is over 2 MB');
  process.exitCode = 1;
}
