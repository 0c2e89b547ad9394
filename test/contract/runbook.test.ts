import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import type { Plan } from '../../src/plan/types.js';
import { commandArgv, FETCH } from '../../src/plan/validate.js';
import { startDownloadServer } from '../fakes/servers.js';
import { upstreamAvailable } from '../support/upstream.js';
import { WITHOUT_CALICO, World } from './harness.js';

/** runbook.sh is for a person with kind, kubectl and istioctl: run it with bash, the fakes and real curl. */
describe.runIf(upstreamAvailable())('runbook.sh runs by hand', () => {
  let home: World;
  let downloads: Awaited<ReturnType<typeof startDownloadServer>>;
  const worlds: World[] = [];
  const plans: string[] = [];

  beforeAll(async () => {
    home = await World.create();
    downloads = await startDownloadServer({ workDir: home.dir });
  });
  afterAll(async () => {
    await downloads?.close();
    for (const w of [home, ...worlds]) await w?.remove();
    for (const d of plans) rmSync(d, { recursive: true, force: true });
  });

  it.each([
    ['default cell', ['--install', WITHOUT_CALICO]],
    [
      'legacy cell',
      ['--istio', '1.15', '--calico', 'v3.29.7', '--kubernetes', '1.32', '--install', WITHOUT_CALICO],
    ],
  ])('%s: every plan command reaches the tools in order, pinned downloads verify', async (_name, flags) => {
    // a fresh fake cluster per cell: the fakes remember what was created, as a real one would
    const world = await World.create();
    worlds.push(world);
    const dir = mkdtempSync(join(tmpdir(), 'cic-runbook-'));
    plans.push(dir);
    const mirrors = [
      ...downloads.mirrors.flatMap((m) => ['--mirror', m]),
      '--allow-insecure-mirrors',
      'true',
    ];
    let err = '';
    const code = await runCli(['plan', '--out', dir, ...mirrors, ...flags], {
      out: () => {},
      err: (t) => (err += t),
    });
    expect(code, err).toBe(0);
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan;
    const before = world.transcript().length;

    // async: the download server lives in this process and must keep answering curl
    const { stdout: out } = await promisify(execFile)('bash', [join(dir, 'runbook.sh')], {
      env: world.env(),
      cwd: world.dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    // a pinned digest is checked by sha256sum -c
    expect(out).toMatch(/custom-resources\.yaml: OK|istio-app-layer-policy-envoy-v3\.yaml: OK/);

    const calls = world
      .transcript()
      .slice(before)
      .map((c) => [c.tool, ...c.argv]);
    const planned = plan.steps.flatMap((s) => s.commands.map(commandArgv)).filter((c) => c[0] !== FETCH);
    // Foreground commands in plan order; the background image pulls in any order (or stopped at the end).
    const background = new Set(
      plan.steps.filter((s) => s.background).flatMap((s) => s.commands.map((c) => commandArgv(c).join(' '))),
    );
    const fg = (cs: readonly (readonly string[])[]) => cs.filter((c) => !background.has(c.join(' ')));
    expect(fg(calls)).toEqual(fg(planned));
    expect(background.size).toBeGreaterThan(5);
    for (const c of calls) if (c[0] === 'docker') expect(background.has(c.join(' ')), c.join(' ')).toBe(true);
    // every command ran with the plan's own kubeconfig, never the user's, and the tools the runbook
    // downloaded and verified into its bin/ (not the fakes on PATH)
    for (const c of world.transcript().slice(before)) {
      if (c.tool === 'docker') continue;
      expect(c.kubeconfig).toBe(join(dir, 'kubeconfig'));
      expect(c.bin, c.tool).toBe(join(dir, 'bin', c.tool));
    }
    for (const t of plan.tools) expect(out).toContain(`${t.name} ${t.version}: verified (sha256 `);
    expect(plan.tools.map((t) => t.name)).toEqual(['kind', 'kubectl', 'istioctl']);
  });

  it('local images and an image mirror: checked, loaded through the ctr fallback, mirrored before any pull', async () => {
    const image = 'quay.io/calico/node:v3.32.1';
    const world = await World.create({
      localImages: [image],
      containerdImageStore: true,
      multiArchImages: [image],
    });
    worlds.push(world);
    const dir = mkdtempSync(join(tmpdir(), 'cic-runbook-'));
    plans.push(dir);
    const flags = [
      ...downloads.mirrors.flatMap((m) => ['--mirror', m]),
      ...['--allow-insecure-mirrors', 'true', '--install', WITHOUT_CALICO],
      ...['--image', image, '--image-mirror', 'docker.io=https://hub-mirror.example'],
    ];
    let err = '';
    expect(
      await runCli(['plan', '--out', dir, ...flags], { out: () => {}, err: (t) => (err += t) }),
      err,
    ).toBe(0);
    await promisify(execFile)('bash', [join(dir, 'runbook.sh')], {
      env: world.env(),
      cwd: world.dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const calls = world.transcript().map((c) => ({ line: [c.tool, ...c.argv].join(' '), stdin: c.stdin }));
    const at = (re: RegExp) => calls.findIndex((c) => re.test(c.line));
    expect(at(/^docker image inspect .* quay\.io\/calico\/node:v3\.32\.1$/)).toBeLessThan(
      at(/^kind create cluster/),
    );
    const imp = at(/^docker exec -i \S+-control-plane ctr -n k8s\.io images import -$/);
    expect(at(/^kind load docker-image quay\.io\/calico\/node/)).toBeLessThan(imp);
    // bash's pipe carried docker save's archive into ctr
    expect(calls[imp]!.stdin).toContain(JSON.stringify({ images: [image] }));
    expect(at(/^docker cp manifests\/containerd\/certs\.d\/\. /)).toBeLessThan(at(/crictl pull/));
    expect(imp).toBeLessThan(at(/^istioctl install/));
  });
});
