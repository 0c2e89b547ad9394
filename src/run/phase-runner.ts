import type { CellRun } from './cell-run.js';

/** One stage of a cell run, in its own file under phases/. */
export interface CellPhase {
  readonly name: string;
  /**
   * `main` phases stop at the first fault (a phase that threw) or when the cell is skipped;
   * `always` phases (verdict, diagnostics, cleanup, record) run whatever happened before them.
   */
  readonly stage: 'main' | 'always';
  run(run: CellRun): Promise<void>;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Runs the phases in order. A throw is recorded as a fault and never escapes: later `main` phases are
 * skipped, `always` phases still run (a throw in diagnostics included), so cleanup and the record happen.
 */
export async function runPhases(run: CellRun, phases: readonly CellPhase[]): Promise<void> {
  for (const phase of phases) {
    const stopped = run.faults.length > 0 || run.prepared.skip !== undefined || run.stop !== undefined;
    if (phase.stage === 'main' && stopped) continue;
    try {
      await phase.run(run);
    } catch (e) {
      run.faults.push({ phase: phase.name, error: message(e) });
      run.log.error(`Phase ${phase.name} failed: ${message(e)}`);
    }
  }
}
