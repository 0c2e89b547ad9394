// Runs every bench/*.ts (bundled with esbuild, then run by node); each prints its own figures.
// `npm run bench -- NAME` runs only the benches whose file name contains NAME.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle } from './bundle.mjs';

const filter = process.argv[2] ?? '';
const files = (await readdir('bench')).filter((f) => f.endsWith('.ts') && f.includes(filter)).sort();
const out = await mkdtemp(join(tmpdir(), 'cic-bench-'));
let failed = 0;
try {
  for (const f of files) {
    const outfile = join(out, f.replace(/\.ts$/, '.mjs'));
    await bundle(join('bench', f), outfile);
    console.log(`\n## ${f}`);
    const r = spawnSync(process.execPath, [outfile], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_ROOT: process.cwd() },
    });
    if (r.status !== 0) failed++;
  }
} finally {
  await rm(out, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
