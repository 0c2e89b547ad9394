import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

export const WORKFLOWS_DIR = '.github/workflows';

export interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
  readonly if?: string;
  readonly run?: string;
}
export interface Job {
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
  readonly needs?: string | string[];
  readonly if?: string;
  readonly permissions?: Record<string, string> | string;
  readonly steps?: Step[];
  readonly strategy?: { matrix?: { include?: Record<string, string>[] } };
  readonly environment?: unknown;
}
export interface Workflow {
  readonly on: Record<string, any>;
  readonly permissions?: Record<string, string> | string;
  readonly jobs: Record<string, Job>;
}

export interface WorkflowFile {
  readonly file: string;
  readonly text: string;
  readonly wf: Workflow;
}

export const workflows: readonly WorkflowFile[] = readdirSync(WORKFLOWS_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((file) => {
    const text = readFileSync(join(WORKFLOWS_DIR, file), 'utf8');
    return { file, text, wf: load(text) as Workflow };
  });

/** Every `uses:` line of a step with the version comment YAML drops. */
export function usesLines(text: string): { line: number; ref: string; comment: string }[] {
  return text.split('\n').flatMap((l, i) => {
    const m = /^\s*(?:- )?uses:\s*([^\s#]+)\s*(?:#\s*(.*))?$/.exec(l);
    return m ? [{ line: i + 1, ref: m[1]!, comment: (m[2] ?? '').trim() }] : [];
  });
}
