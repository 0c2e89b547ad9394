import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';

/**
 * node20 left the hosted runners in September 2026: each action a workflow uses must be at a major
 * whose action.yml says `runs.using: node24`. First such majors, as their releases state.
 */
const FIRST_NODE24_MAJOR: Record<string, number> = {
  'actions/checkout': 5,
  'actions/setup-node': 5,
  'actions/upload-artifact': 6,
  'actions/download-artifact': 7,
};

const dir = '.github/workflows';
const uses = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .flatMap((f) => {
    const wf = load(readFileSync(join(dir, f), 'utf8')) as any;
    return Object.values(wf.jobs ?? {}).flatMap((job: any) =>
      (job.steps ?? []).filter((s: any) => s.uses).map((s: any) => ({ file: f, uses: s.uses as string })),
    );
  });

describe('workflow actions run on node24', () => {
  it('finds the workflows’ steps', () => expect(uses.length).toBeGreaterThan(5));

  it.each(uses.filter((u) => !u.uses.startsWith('./')))('$file: $uses', ({ uses: ref }) => {
    const [name, version] = ref.split('@');
    const first = FIRST_NODE24_MAJOR[name!];
    expect(first, `${name} is not in the node24 table: check its action.yml and add it`).toBeDefined();
    const major = Number(/^v(\d+)/.exec(version ?? '')?.[1]);
    expect(major, ref).toBeGreaterThanOrEqual(first!);
  });
});
