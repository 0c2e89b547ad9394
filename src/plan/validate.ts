import { shellJoin } from '../util/shell.js';
import { isFetch, type PipeCommand, type PlanCommand, type PlanStep } from './types.js';

/** `fetch [--sha256 HEX] [--set-image NAME IMAGE] URL DEST`: how the runbook spells a download (a bash function). */
export const FETCH = 'fetch';

/** The command as argv, a download spelled as the runbook's `fetch` function. */
export function commandArgv(c: PlanCommand): readonly string[] {
  if (!isFetch(c)) return c.exec;
  const { url, dest, sha256, setImage } = c.fetch;
  return [
    FETCH,
    ...(sha256 ? ['--sha256', sha256] : []),
    ...(setImage ? ['--set-image', setImage.name, setImage.image] : []),
    url,
    dest,
  ];
}

/** A pipe as a shell line: `a | b`. */
export function pipeLine(p: PipeCommand): string {
  return p.pipe.map((argv) => shellJoin(argv)).join(' | ');
}

/** The command as a shell line: what the log prints and what the runbook runs (`a || { b | c; }` for a fallback). */
export function commandLine(c: PlanCommand): string {
  const line = shellJoin(commandArgv(c));
  if (isFetch(c) || !c.orElse?.length) return line;
  return `${line} || { ${c.orElse.map(pipeLine).join(' && ')}; }`;
}

function checkCommand(step: string, c: PlanCommand): void {
  if (!isFetch(c)) {
    if (c.exec.length === 0 || !c.exec[0]) throw new Error(`plan: step "${step}" has an empty command`);
    for (const p of c.orElse ?? []) {
      if (p.pipe.length < 2 || p.pipe.some((a) => a.length === 0 || !a[0]))
        throw new Error(`plan: step "${step}" has a fallback pipe without two programs`);
    }
    return;
  }
  const { url, dest, sha256 } = c.fetch;
  if (!/^(https?:\/\/|file:\/\/\/)/.test(url))
    throw new Error(`plan: step "${step}" fetches ${url}, neither http(s) nor a local file:/// URL`);
  if (!dest) throw new Error(`plan: step "${step}" fetches ${url} to no destination`);
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(sha256))
    throw new Error(`plan: step "${step}" pins ${url} to ${JSON.stringify(sha256)}, not 64 hex digits`);
}

/**
 * Plan invariants, checked before anything runs: unique ids, known and acyclic dependencies, positive
 * bounds, well-formed commands, retry regexes that compile. Returns the compiled regexes per step.
 */
export function checkSteps(steps: readonly PlanStep[]): Map<string, RegExp[]> {
  const ids = new Set<string>();
  for (const s of steps) {
    if (ids.has(s.id)) throw new Error(`plan: step id "${s.id}" appears twice`);
    ids.add(s.id);
  }
  const byId = new Map(steps.map((s) => [s.id, s]));
  for (const s of steps) {
    for (const d of s.dependsOn) {
      if (!byId.has(d)) throw new Error(`plan: step "${s.id}" depends on unknown step "${d}"`);
    }
    for (const d of s.dependsOn) {
      if (byId.get(d)!.background && !s.background)
        throw new Error(`plan: step "${s.id}" depends on background step "${d}" (nothing may wait on one)`);
    }
    if (s.background && !s.optional)
      throw new Error(`plan: background step "${s.id}" must be optional (nothing waits on it)`);
    if (!(s.timeoutSeconds > 0)) throw new Error(`plan: step "${s.id}" needs a positive timeoutSeconds`);
    for (const c of [...s.commands, ...(s.retry?.beforeRetry ?? [])]) checkCommand(s.id, c);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`plan: dependency cycle ${[...path, id].join(' → ')}`);
    state.set(id, 'visiting');
    for (const d of byId.get(id)!.dependsOn) visit(d, [...path, id]);
    state.set(id, 'done');
  };
  for (const s of steps) visit(s.id, []);
  const transient = new Map<string, RegExp[]>();
  for (const s of steps) {
    transient.set(
      s.id,
      (s.retry?.transient ?? []).map((src) => {
        try {
          return new RegExp(src);
        } catch (e) {
          throw new Error(`plan: step "${s.id}" retry.transient ${JSON.stringify(src)}: ${String(e)}`, {
            cause: e,
          });
        }
      }),
    );
  }
  return transient;
}
