import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { actionlint } from './actionlint.js';
import { PINNED } from './pinned-actions.js';
import { usesLines, workflows, WORKFLOWS_DIR } from './workflow-files.js';

const action = load(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, unknown> };
const files = workflows.map((w) => w.file);
const byFile = (f: string) => workflows.find((w) => w.file === f)!;

describe('workflows', () => {
  it('has CI, e2e, the nightly, the reusable conformance workflow and the upstream check', () => {
    expect(files).toEqual(['check-upstream.yml', 'ci.yml', 'conformance.yml', 'e2e.yml', 'nightly.yml']);
  });

  it.each(files)('%s passes actionlint 1.7', async (f) => {
    expect(await actionlint(byFile(f).text, `${WORKFLOWS_DIR}/${f}`)).toEqual([]);
  });

  it('actionlint finds problems when there are some (needs, expressions, action inputs)', async () => {
    const bad =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: nowhere\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          nope: 1\n      - run: echo ${{ matrix.x }}\n';
    const kinds = (await actionlint(bad, 'bad.yml')).map((p) => /\[(\S+)\]/.exec(p)![1]);
    expect(kinds.sort()).toEqual(['action', 'expression', 'job-needs']);
  });

  it.each(files)('%s gives the local action only inputs action.yml declares', (f) => {
    const unknown = Object.entries(byFile(f).wf.jobs).flatMap(([job, j]) =>
      (j.steps ?? [])
        .filter((s) => s.uses?.startsWith('./'))
        .flatMap((s) =>
          Object.keys(s.with ?? {})
            .filter((k) => !(k in action.inputs))
            .map((k) => `${job}: ${k}`),
        ),
    );
    expect(unknown).toEqual([]);
  });

  it.each(files)('%s pins every action to its release commit, with the version in a comment', (f) => {
    for (const u of usesLines(byFile(f).text).filter((x) => !x.ref.startsWith('./'))) {
      const [name, sha] = u.ref.split('@');
      const pin = PINNED[name!];
      expect(pin, `${f}:${u.line} ${name} is not in pinned-actions.ts`).toBeDefined();
      expect(sha, `${f}:${u.line}`).toMatch(/^[0-9a-f]{40}$/);
      expect(`${sha} # ${u.comment}`, `${f}:${u.line}`).toBe(`${pin!.sha} # ${pin!.version}`);
    }
  });

  it.each(files)('%s gives pinned actions only inputs they declare, and every required one', (f) => {
    for (const [job, j] of Object.entries(byFile(f).wf.jobs))
      for (const s of j.steps ?? []) {
        const pin = s.uses && !s.uses.startsWith('./') ? PINNED[s.uses.split('@')[0]!] : undefined;
        if (!pin) continue;
        const keys = Object.keys(s.with ?? {});
        expect(
          keys.filter((k) => !pin.inputs.includes(k)),
          `${f} ${job} ${s.uses}`,
        ).toEqual([]);
        expect(
          pin.required.filter((k) => !keys.includes(k)),
          `${f} ${job} ${s.uses}`,
        ).toEqual([]);
      }
  });

  it.each(files)('%s grants nothing at the top and declares permissions per job', (f) => {
    const { wf } = byFile(f);
    expect(wf.permissions ?? {}).toEqual({});
    for (const [job, j] of Object.entries(wf.jobs)) expect(j.permissions, `${f} ${job}`).toBeDefined();
  });

  it.each(files)('%s overwrites an artifact a re-run uploads again', (f) => {
    for (const j of Object.values(byFile(f).wf.jobs))
      for (const s of j.steps ?? [])
        if (s.uses?.startsWith('actions/upload-artifact@')) expect(s.with?.overwrite, s.name).toBe(true);
  });

  it('the checks above can fail: an unpinned action, an unknown input, a job without permissions', () => {
    const text = 'jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v5\n';
    expect(usesLines(text)).toEqual([{ line: 4, ref: 'actions/checkout@v5', comment: '' }]);
    expect(PINNED['actions/checkout']!.inputs).not.toContain('nope');
    expect(PINNED['actions/upload-artifact']!.required).toEqual(['path']);
  });
});

describe('the reusable conformance workflow', () => {
  const { wf, text } = byFile('conformance.yml');
  const call = wf.on.workflow_call as { inputs: Record<string, { type: string; required?: boolean }> };

  it('is called with ranges, a suite and where the harness comes from', () => {
    expect(Object.keys(call.inputs)).toEqual(
      expect.arrayContaining([
        'conformance-repository',
        'conformance-ref',
        'calico',
        'istio',
        'kubernetes',
        'suite',
        'publish-pages',
      ]),
    );
    expect(call.inputs['conformance-repository']!.required).toBe(true);
  });

  it('runs the action and CLI it checked out, never the caller’s ./ or dist/', () => {
    expect(text).not.toMatch(/uses: \.\/\s*$/m);
    const cli = [...text.matchAll(/node (\S*dist\/cli\.js)/g)].map((m) => m[1]);
    expect(cli.length).toBeGreaterThan(1);
    expect(new Set(cli)).toEqual(new Set(['.conformance/dist/cli.js']));
    const local = Object.values(wf.jobs).flatMap((j) =>
      (j.steps ?? []).filter((s) => s.uses?.startsWith('./')),
    );
    expect(local.map((s) => s.uses)).toEqual(['./.conformance']);
  });

  it('deploys to Pages from its own job with only pages and id-token write', () => {
    const deploy = wf.jobs.deploy!;
    expect(deploy.permissions).toEqual({ pages: 'write', 'id-token': 'write' });
    expect(deploy.environment).toMatchObject({ name: 'github-pages' });
    expect(deploy.steps!.map((s) => s.uses?.split('@')[0])).toEqual(['actions/deploy-pages']);
    const report = wf.jobs.report!;
    expect(report.permissions).toEqual({ contents: 'read' });
    expect(report.steps!.some((s) => s.uses?.startsWith('actions/upload-pages-artifact@'))).toBe(true);
  });

  it('keeps history through the published site and fails only after everything is uploaded', () => {
    const steps = wf.jobs.report!.steps!;
    const report = steps.find((s) => s.id === 'report')!;
    expect(report.run).toMatch(/--history previous\/history.json/);
    expect(report.run).toMatch(/--previous previous\/matrix.json/);
    // The kept nights' matrix.json files come along into the new site.
    const fetch = steps.find((s) => s.name === "Fetch the published site's history")!;
    expect(fetch.run).toMatch(/curl .*-o "site\/\$night" "\$PAGES_URL\/\$night"/);
    expect(steps.at(-1)!.run).toBe('exit "${STATUS:-1}"');
  });

  it('is what the nightly runs, with this commit’s harness', () => {
    const nightly = byFile('nightly.yml').wf;
    const job = nightly.jobs.conformance!;
    expect(job.uses).toBe('./.github/workflows/conformance.yml');
    expect(job.with).toMatchObject({
      'conformance-repository': '${{ github.repository }}',
      'conformance-ref': '${{ github.sha }}',
    });
    expect(job.permissions).toEqual({ contents: 'read', pages: 'write', 'id-token': 'write' });
    for (const k of Object.keys(job.with!)) expect(Object.keys(call.inputs)).toContain(k);
  });
});

describe('the upstream check', () => {
  const { wf } = byFile('check-upstream.yml');
  const job = wf.jobs.check!;
  const steps = job.steps!;

  it('runs on a schedule (and by hand) with only what opening a pull request needs', () => {
    expect(wf.on.schedule).toEqual([{ cron: expect.stringMatching(/^\S+ \S+ \S+ \S+ \S+$/) }]);
    expect(wf.on).toHaveProperty('workflow_dispatch');
    expect(job.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    expect(steps[0]!.with).toMatchObject({ 'persist-credentials': false });
  });

  it('runs versions --check-upstream with the token in the environment, never on a command line', () => {
    const check = steps.find((s) => s.id === 'check')! as { run: string; env: Record<string, string> };
    expect(check.run).toMatch(
      /node dist\/cli\.js versions --check-upstream --json > catalog-updates\/upstream-check\.json/,
    );
    expect(check.env.GITHUB_TOKEN).toBe('${{ github.token }}');
    for (const s of steps) expect(s.run ?? '', s.name).not.toMatch(/\$\{\{\s*(github\.token|secrets\.)/);
  });

  it('opens the pull request only when something is new, with the patch file and the report', () => {
    const pr = steps.at(-1)! as { if: string; run: string };
    expect(pr.if).toBe("steps.check.outputs.updates == 'true'");
    expect(pr.run).toContain('git add catalog-updates/upstream-check.json');
    expect(pr.run).toMatch(/gh pr create .*--body-file body\.md/);
    expect(pr.run).toContain('gh pr edit');
  });
});
