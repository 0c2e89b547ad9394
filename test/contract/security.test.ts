import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../fakes/gateway.js';
import { startDownloadServer } from '../fakes/servers.js';
import { upstreamAvailable } from '../support/upstream.js';
import {
  buildBundles,
  CALICO_PRESENT,
  start,
  startAction,
  WITHOUT_CALICO,
  World,
  type Bundles,
} from './harness.js';

const TOKEN = 'tok-3f9c2a7be1d84c06a5f1e2d3c4b5a697';
/** Lines a runner would obey, in a gateway body and in a tool's output. */
const HOSTILE = 'boom\n::add-mask::EVIL\n::error::EVIL\n##[set-output name=x;]EVIL\n::stop-commands::EVIL';

/** Every file under dir (archives unpacked into text), as [path, text]. */
function filesUnder(dir: string): [string, string][] {
  if (!existsSync(dir)) return [];
  const out: [string, string][] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    const text = p.endsWith('.tar.gz')
      ? execFileSync('tar', ['-xzOf', p], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      : readFileSync(p, 'utf8');
    out.push([p, text]);
  }
  return out;
}

/** The attacker's lines never reach the runner as commands (ours may carry their text as data). */
function expectNoInjectedCommand(log: string): void {
  for (const line of log.split(/\r\n|\r|\n/)) {
    expect(line, line).not.toMatch(/^\s*::[^:]*::EVIL/);
    expect(line, line).not.toMatch(/^\s*::(stop-commands|add-mask)::.*EVIL/);
    expect(line, line).not.toMatch(/##\[[^\]]*\]/);
  }
}

/** The token appears nowhere but in the runner's own add-mask command. */
function expectTokenHidden(where: string, text: string): void {
  const lines = text.split('\n').filter((l) => l.includes(TOKEN) && !l.startsWith('::add-mask::'));
  expect(lines, where).toEqual([]);
}

describe.runIf(upstreamAvailable())(
  'security: hostile text, secrets and the kubeconfig through full runs',
  () => {
    let bundles: Bundles;
    let downloads: Awaited<ReturnType<typeof startDownloadServer>>;
    const worlds: World[] = [];

    beforeAll(async () => {
      bundles = await buildBundles();
      const dir = await World.create();
      worlds.push(dir);
      downloads = await startDownloadServer({ workDir: dir.dir });
    });
    afterAll(async () => {
      await downloads?.close();
      for (const w of worlds) await w.remove();
      if (bundles) await rm(bundles.root, { recursive: true, force: true });
    });

    // Calico is there already: its pinned operator bytes are not among the reference files served here.
    const scenario = {
      ...CALICO_PRESENT,
      hostileBody: HOSTILE,
      hostileOutput: HOSTILE,
      kubeconfigToken: TOKEN,
      leakToken: true,
    };

    it('action: nothing from outside becomes a workflow command; the token is masked and never written; the kept kubeconfig is private and removed by post', async () => {
      const w = await World.create(scenario);
      worlds.push(w);
      const gw = await startGateway(w.scenarioFile);
      try {
        const run = await startAction(bundles, w, {
          'results-dir': w.resultsDir,
          'ingress-url': gw.url,
          install: WITHOUT_CALICO,
          suite: await w.fastSuite(),
          mirrors: downloads.mirrors.join('\n'),
          'allow-insecure-mirrors': 'true',
          'keep-cluster': 'always',
        }).finished;
        const log = `${run.exit.stdout}\n${run.exit.stderr}`;
        expect(run.outputs.verdict, log.slice(-3000)).toBe('fail');
        // The body and the tool output did reach the log (as text).
        expect(log).toContain('boom');
        expect(log).toContain(': :add-mask::EVIL');
        expectNoInjectedCommand(log);

        // core.setSecret registered the kubeconfig's credentials with the runner.
        expect(run.exit.stdout.split('\n')).toContain(`::add-mask::${TOKEN}`);
        expectTokenHidden('action log', log);
        for (const [p, text] of filesUnder(w.resultsDir)) expectTokenHidden(p, text);
        for (const f of ['main.output', 'main.state', 'main.summary.md'])
          expectTokenHidden(f, readFileSync(join(w.dir, f), 'utf8'));

        // The kept cluster's kubeconfig: in the runner's temp dir, private, never in results-dir.
        const kubeconfig = run.state.kubeconfig!;
        expect(kubeconfig.startsWith(join(w.dir, 'tmp'))).toBe(true);
        expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
        expect(statSync(dirname(kubeconfig)).mode & 0o777).toBe(0o700);
        expect(filesUnder(w.resultsDir).some(([, t]) => t.includes('client-key-data'))).toBe(false);

        const post = await startAction(bundles, w, {}, 'post', run.state).finished;
        expect(post.exit.code).toBe(0);
        expect(existsSync(dirname(kubeconfig))).toBe(false);
      } finally {
        await gw.close();
      }
    });

    it('CLI: the token is redacted from every line and file; the kubeconfig goes with the cluster', async () => {
      const w = await World.create(scenario);
      worlds.push(w);
      const gw = await startGateway(w.scenarioFile);
      try {
        const exit = await start(
          bundles.cli,
          [
            'run',
            '--results-dir',
            w.resultsDir,
            '--ingress-url',
            gw.url,
            '--suite',
            await w.fastSuite(),
            '--tools-from-path',
            'true',
            '--install',
            WITHOUT_CALICO,
            ...downloads.mirrors.flatMap((m) => ['--mirror', m]),
            '--allow-insecure-mirrors',
            'true',
          ],
          w.env({ GITHUB_ACTIONS: 'true' }),
          w.dir,
        ).done;
        const log = `${exit.stdout}\n${exit.stderr}`;
        expect(exit.code, log.slice(-3000)).toBe(1);
        expect(log).toContain('using token ***');
        expect(log).not.toContain(TOKEN);
        expectNoInjectedCommand(log);
        for (const [p, text] of filesUnder(w.resultsDir)) expect(text.includes(TOKEN), p).toBe(false);
        expect(readdirSync(join(w.dir, 'tmp')).filter((d) => d.startsWith('cic-kube-'))).toEqual([]);
      } finally {
        await gw.close();
      }
    });
  },
);
