import type { ResolvedCell } from '../resolve/cell.js';
import type { PhaseResult } from '../result/schema.js';
import type { InstallOptions, ToolName, ToolResult } from '../tools/install.js';
import { installTool as realInstallTool } from '../tools/install.js';
import { toolProvenance } from '../result/tool-label.js';

export type InstallToolFn = typeof realInstallTool;

/** The version each tool must have for a cell (decided in resolve). */
export function toolVersion(cell: ResolvedCell, tool: ToolName): string {
  const choice = cell.tools.find((t) => t.name === tool);
  if (!choice) throw new Error(`the cell names no ${tool} version (a bug)`);
  return choice.version;
}

interface Entry {
  readonly promise: Promise<string>;
  readonly startedAt: number;
  outcome?: { result?: ToolResult; error?: string; durationMs: number };
}

/**
 * Installs each tool at most once, all at once: the plan gets the promises, so a step waits only for
 * the tool it runs, and kubectl and istioctl download while kind creates the cluster.
 */
export class ToolSet {
  private readonly entries = new Map<ToolName, Entry>();

  constructor(
    private readonly cell: ResolvedCell,
    private readonly opts: InstallOptions,
    private readonly now: () => number,
    private readonly install: InstallToolFn = realInstallTool,
  ) {}

  get(tool: ToolName): Promise<string> {
    const existing = this.entries.get(tool);
    if (existing) return existing.promise;
    const startedAt = this.now();
    const version = toolVersion(this.cell, tool);
    const entry: Entry = {
      startedAt,
      promise: this.install(tool, version, this.opts).then(
        ({ path, result }) => {
          entry.outcome = { result, durationMs: this.now() - startedAt };
          return path;
        },
        (e: unknown) => {
          const error = e instanceof Error ? e.message : String(e);
          entry.outcome = { error, durationMs: this.now() - startedAt };
          throw new Error(error, { cause: e });
        },
      ),
    };
    // Failures surface through the steps and phases that use the tool, not as unhandled rejections.
    entry.promise.catch(() => undefined);
    this.entries.set(tool, entry);
    return entry.promise;
  }

  /** Waits for every started install to settle (for the record). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.promise));
  }

  results(): ToolResult[] {
    return [...this.entries.values()].flatMap((e) => (e.outcome?.result ? [e.outcome.result] : []));
  }

  /** One phase per tool, before the plan's own phases. */
  phases(): PhaseResult[] {
    return [...this.entries.entries()].map(([tool, e]): PhaseResult => {
      const version = toolVersion(this.cell, tool);
      const o = e.outcome;
      return {
        id: `tool-${tool}`,
        // Labelled by what actually happened: a PATH binary is version-checked, not checksum-verified.
        title: `Install ${tool} ${version}${o?.result ? ` (${toolProvenance(o.result)})` : ''}`,
        phase: 'tools',
        status: !o ? 'cancelled' : o.error ? 'failed' : 'passed',
        startedAt: new Date(e.startedAt).toISOString(),
        durationMs: Math.max(0, o?.durationMs ?? 0),
        attempts: 1,
        ...(o?.error ? { error: o.error } : !o ? { error: 'did not finish' } : {}),
      };
    });
  }
}
