import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderRunbook } from './runbook.js';
import type { RenderedPlan } from './types.js';

/** Writes plan.json, manifests/ and runbook.sh into `dir`. */
export async function writePlan(dir: string, rendered: RenderedPlan): Promise<string[]> {
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
