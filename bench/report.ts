// `report` over 500 generated results.json (as downloaded matrix artifacts): must finish in under 2 s.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CALICO_RELEASES, ISTIO_RELEASES } from '../src/catalog/index.js';
import { cellId } from '../src/resolve/cell.js';
import type { CellResult } from '../src/result/schema.js';
import { writeReport } from '../src/report/write-report.js';

const ROOT = process.env.BENCH_ROOT ?? process.cwd();
const COUNT = 500;
const BUDGET_MS = 2000;
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

const dir = await mkdtemp(join(tmpdir(), 'cic-bench-report-'));
try {
  await Promise.all(
    Array.from({ length: COUNT }, async (_, i) => {
      const d = join(dir, 'artifacts', `results-${i}`);
      await mkdir(d, { recursive: true });
      await writeFile(join(d, 'results.json'), JSON.stringify(generated(i), null, 2));
    }),
  );
  const runs: number[] = [];
  let cells = 0;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    const { report } = await writeReport({
      inputs: ['artifacts/**/results.json'],
      outDir: join(dir, `out-${run}`),
      cwd: dir,
      generator: 'bench',
      now: () => new Date(),
    });
    runs.push(performance.now() - t0);
    cells = report.cells.length;
    if (report.invalid.length > 0)
      throw new Error(`generated results are invalid: ${report.invalid[0]!.problems[0]}`);
  }
  const first = runs[0]!;
  const best = Math.min(...runs);
  console.log(
    `report over ${COUNT} results (${cells} matrix cells): first run ${first.toFixed(0)} ms, best of 3 ${best.toFixed(0)} ms`,
  );
  console.log(
    `per result: first ${(first / COUNT).toFixed(2)} ms, best ${(best / COUNT).toFixed(2)} ms; budget ${BUDGET_MS} ms (${((first / BUDGET_MS) * 100).toFixed(0)}% used)`,
  );
  if (first >= BUDGET_MS) {
    console.log(`FAIL: ${first.toFixed(0)} ms is over the ${BUDGET_MS} ms budget`);
    process.exitCode = 1;
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
