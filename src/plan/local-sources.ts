import { access, constants, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { InputError } from '../config/cell-config.js';
import type { InputNaming } from '../config/inputs.js';
import type { Plan } from './types.js';

async function isFile(path: string, mode = constants.R_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The user's local builds the plan reads (a manifests directory, an istioctl path), checked before
 * anything is written or started: a missing file is refused by name, not found halfway through a run.
 */
export async function checkLocalSources(plan: Plan, naming: InputNaming): Promise<void> {
  const problems: ConstructorParameters<typeof InputError>[0][number][] = [];
  const local = [...plan.steps, ...plan.cleanup]
    .flatMap((s) => s.commands)
    .flatMap((c) => ('fetch' in c && c.fetch.url.startsWith('file:') ? [fileURLToPath(c.fetch.url)] : []));
  const missing: string[] = [];
  for (const path of local) if (!(await isFile(path))) missing.push(path);
  const dir = plan.provenance?.calico.manifests;
  if (missing.length && dir?.source === 'directory') {
    const rel = missing.map((m) => (m.startsWith(`${dir.location}/`) ? m.slice(dir.location.length + 1) : m));
    const wanted = local.map((m) =>
      m.startsWith(`${dir.location}/`) ? m.slice(dir.location.length + 1) : m,
    );
    problems.push({
      input: 'calico-manifests',
      value: dir.location,
      why: `is missing ${rel.join(', ')}`,
      accepted: `a directory laid out like Calico's manifests/, holding the files this cell applies: ${wanted.join(', ')}`,
    });
  }
  for (const t of plan.tools) {
    if (!t.given || !('path' in t.given)) continue;
    if (!(await isFile(t.given.path, constants.X_OK)))
      problems.push({
        input: 'istioctl',
        value: t.given.path,
        why: 'is not an executable file',
        accepted: 'a path to an istioctl binary (chmod +x), or an https URL with istioctl-sha256',
      });
  }
  if (problems.length) throw new InputError(problems, naming);
}
