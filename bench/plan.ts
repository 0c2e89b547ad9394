// Plans the whole catalog matrix (target ≤ 1 s) and measures CLI cold start to first output (target ≤ 300 ms).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { knownCalicoVersions, knownIstioVersions, knownKubernetesVersions } from '../src/catalog/index.js';
import { resolveCell } from '../src/resolve/cell.js';
import { parseCellConfig } from '../src/config/cell-config.js';
import { actionNaming } from '../src/config/inputs.js';
import { buildPlan } from '../src/plan/build.js';
import { renderRunbook } from '../src/plan/runbook.js';

const root = process.env.BENCH_ROOT ?? process.cwd();

function planMatrix(): number {
  let n = 0;
  for (const calico of knownCalicoVersions())
    for (const istio of knownIstioVersions())
      for (const kubernetes of knownKubernetesVersions()) {
        const cell = resolveCell(
          parseCellConfig(
            { 'calico-version': calico, 'istio-version': istio, 'kubernetes-version': kubernetes },
            actionNaming,
          ),
        );
        const { plan } = buildPlan(cell);
        renderRunbook(plan);
        n++;
      }
  return n;
}

/** Spawn → first byte on stdout, in ms. */
function firstOutput(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = false;
    p.stdout.once('data', () => {
      seen = true;
      resolve(performance.now() - t0);
    });
    p.on('exit', (code) => (seen ? undefined : reject(new Error(`exited ${code} without output`))));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

planMatrix(); // warm-up
const runs: number[] = [];
let cells = 0;
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  cells = planMatrix();
  runs.push(performance.now() - t0);
}
const planMs = median(runs);
console.log(
  `plan whole catalog matrix: ${cells} cells in ${planMs.toFixed(0)} ms (median of 5; ${(planMs / cells).toFixed(2)} ms/cell; target ≤ 1000 ms) ${planMs <= 1000 ? 'OK' : 'OVER'}`,
);

const cli = join(root, 'dist/cli.js');
const cold: number[] = [];
const bare: number[] = [];
for (let i = 0; i < 9; i++) {
  cold.push(await firstOutput([cli, 'versions']));
  bare.push(await firstOutput(['-e', 'process.stdout.write("x")']));
}
const c = median(cold);
const b = median(bare);
console.log(
  `CLI cold start to first output: ${c.toFixed(0)} ms (median of 9; bare node ${b.toFixed(0)} ms, ratio ${(c / b).toFixed(2)}; target ≤ 300 ms) ${c <= 300 ? 'OK' : 'OVER'}`,
);
