import { describe, expect, it } from 'vitest';
import { PINNED } from './pinned-actions.js';
import { usesLines, workflows } from './workflow-files.js';

/**
 * node20 left the hosted runners in September 2026: every action a workflow uses must run on node24
 * (a composite one through steps that do).
 */
const used = workflows.flatMap((w) =>
  usesLines(w.text)
    .filter((u) => !u.ref.startsWith('./'))
    .map((u) => ({ file: w.file, name: u.ref.split('@')[0]! })),
);

describe('workflow actions run on node24', () => {
  it('finds the workflows’ steps', () => expect(used.length).toBeGreaterThan(10));

  it.each(used)('$file: $name', ({ name }) => {
    expect(['node24', 'composite']).toContain(PINNED[name]?.using);
  });
});
