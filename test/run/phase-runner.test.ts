import { describe, expect, it } from 'vitest';
import type { CellRun } from '../../src/run/cell-run.js';
import { runPhases, type CellPhase } from '../../src/run/phase-runner.js';

/** Just enough of a CellRun for the runner: its faults, skip and log. */
function fakeRun(skip?: string) {
  const errors: string[] = [];
  const run = {
    faults: [] as { phase: string; error: string }[],
    prepared: skip === undefined ? {} : { skip },
    log: { error: (l: string) => errors.push(l) },
  };
  return { run: run as unknown as CellRun, errors, faults: run.faults };
}

const phase = (name: string, stage: CellPhase['stage'], seen: string[], fail?: string): CellPhase => ({
  name,
  stage,
  async run() {
    seen.push(name);
    if (fail) throw new Error(fail);
  },
});

describe('phase runner', () => {
  it('runs every phase in order when nothing throws', async () => {
    const seen: string[] = [];
    const { run, faults } = fakeRun();
    await runPhases(run, [phase('a', 'main', seen), phase('b', 'main', seen), phase('c', 'always', seen)]);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(faults).toEqual([]);
  });

  it('a throw in a main phase skips the later main phases, never the always ones', async () => {
    const seen: string[] = [];
    const { run, faults, errors } = fakeRun();
    await runPhases(run, [
      phase('tools', 'main', seen),
      phase('setup', 'main', seen, 'disk full'),
      phase('checks', 'main', seen),
      phase('verdict', 'always', seen),
      phase('cleanup', 'always', seen),
      phase('record', 'always', seen),
    ]);
    expect(seen).toEqual(['tools', 'setup', 'verdict', 'cleanup', 'record']);
    expect(faults).toEqual([{ phase: 'setup', error: 'disk full' }]);
    expect(errors).toEqual(['Phase setup failed: disk full']);
  });

  it('a throw in an always phase (diagnostics) still runs cleanup and record', async () => {
    const seen: string[] = [];
    const { run, faults } = fakeRun();
    await runPhases(run, [
      phase('verdict', 'always', seen),
      phase('diagnostics', 'always', seen, 'ENOTDIR'),
      phase('cleanup', 'always', seen),
      phase('record', 'always', seen),
    ]);
    expect(seen).toEqual(['verdict', 'diagnostics', 'cleanup', 'record']);
    expect(faults).toEqual([{ phase: 'diagnostics', error: 'ENOTDIR' }]);
  });

  it('a skipped cell runs only the always phases', async () => {
    const seen: string[] = [];
    const { run } = fakeRun('istio 1.15.7 outside-window');
    await runPhases(run, [phase('tools', 'main', seen), phase('verdict', 'always', seen)]);
    expect(seen).toEqual(['verdict']);
  });
});
