import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { actionlint } from '../workflows/actionlint.js';

const readme = readFileSync('README.md', 'utf8');
const action = load(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, unknown> };

/**
 * Inputs the `builds` work (issue 14 items 1-3) adds beside this example: once they are in action.yml
 * this list can be emptied.
 */
/** The first ```yaml block after a heading. */
function exampleUnder(heading: string): string {
  const at = readme.indexOf(heading);
  expect(at, heading).toBeGreaterThan(0);
  const m = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at));
  return m![1]!;
}

describe("README: the upstream-CI example (Calico's or Istio's own CI)", () => {
  const text = exampleUnder("### In Calico's or Istio's own CI");
  const wf = load(text) as any;
  const steps: any[] = wf.jobs.alp.steps;
  const harness = steps.find((s) => String(s.uses).includes('calico-istio-conformance'));

  it('is a workflow actionlint accepts', async () => {
    expect(await actionlint(text, 'upstream-ci.yml')).toEqual([]);
  });

  it('builds the image, loads it with images, runs two Istio versions and publishes the JUnit', () => {
    expect(wf.jobs.alp.strategy.matrix.istio).toHaveLength(2);
    const build = steps.findIndex((s) => /make .*image/.test(s.run ?? ''));
    expect(build).toBeGreaterThanOrEqual(0);
    expect(build).toBeLessThan(steps.indexOf(harness));
    expect(harness.with.images).toContain(harness.with['dikastes-image']);
    expect(harness.with['istio-version']).toBe('${{ matrix.istio }}');
    const junit = steps.find((s) => String(s.uses).startsWith('mikepenz/action-junit-report'));
    expect(junit.if).toBe('always()');
    expect(junit.with.report_paths).toBe(`\${{ steps.${harness.id}.outputs.junit-file }}`);
  });

  it('gives the action only inputs it declares', () => {
    const unknown = Object.keys(harness.with).filter((k) => !(k in action.inputs));
    expect(unknown).toEqual([]);
  });
});
