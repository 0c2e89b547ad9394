import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderRunbook } from './runbook.js';
import type { RenderedPlan } from './types.js';

/** What a plan directory holds: written by `plan`, or by running its runbook (downloads, tools, kubeconfig). */
export const PLAN_OWNED = ['plan.json', 'runbook.sh', 'manifests', 'downloads', 'bin', 'kubeconfig'];

/** A plan directory that holds files no plan wrote: never overwritten, never mixed. */
export class PlanDirError extends Error {
  override name = 'PlanDirError';
}

/** A directory's entries; none when it does not exist. */
export async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * Writes plan.json, manifests/ and runbook.sh into `dir`. A directory an earlier plan wrote is
 * replaced (no stale manifest survives); one holding anything else is refused before any change.
 */
export async function writePlan(dir: string, rendered: RenderedPlan): Promise<string[]> {
  const present = await entries(dir);
  const foreign = present.filter((e) => !PLAN_OWNED.includes(e));
  if (foreign.length) {
    throw new PlanDirError(
      `${dir} holds files a plan did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}): choose an empty directory or one an earlier plan wrote`,
    );
  }
  for (const e of present) await rm(join(dir, e), { recursive: true, force: true });
  const written: string[] = [];
  const put = async (rel: string, content: string, mode?: number) => {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, mode === undefined ? {} : { mode });
    written.push(rel);
  };
  for (const [rel, content] of rendered.files) await put(rel, content);
  await put('plan.json', `${JSON.stringify(rendered.plan, null, 2)}\n`);
  await put('runbook.sh', renderRunbook(rendered.plan), 0o755);
  return written;
}
