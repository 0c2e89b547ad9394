import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellSummaryMarkdown } from '../../src/report/cell-summary.js';
import { CellResultSchema } from '../../src/result/schema.js';
import { startGateway } from '../fakes/gateway.js';
import { FAKES_DIR, startDownloadServer } from '../fakes/servers.js';
import { upstream, upstreamAvailable } from '../support/upstream.js';
import { buildBundles, CALICO_PRESENT, start, WITHOUT_CALICO, World, type Bundles } from './harness.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.runIf(upstreamAvailable())(
  'a cell on builds the catalog has never seen (CLI bundle, fake tools)',
  () => {
    let bundles: Bundles;
    let downloads: Awaited<ReturnType<typeof startDownloadServer>>;
    const worlds: World[] = [];

    beforeAll(async () => {
      bundles = await buildBundles();
      const w = await World.create();
      worlds.push(w);
      downloads = await startDownloadServer({ workDir: w.dir });
    });
    afterAll(async () => {
      await downloads?.close();
      for (const w of worlds) await w.remove();
      if (bundles) await rm(bundles.root, { recursive: true, force: true });
    });

    it('runs a Calico label from a manifests directory with the user’s Dikastes, and an Istio label with its own istioctl; provenance recorded', async () => {
      const w = await World.create(CALICO_PRESENT);
      worlds.push(w);
      const manifests = join(w.dir, 'calico-manifests');
      mkdirSync(join(manifests, 'alp'), { recursive: true });
      const alp = 'alp/istio-app-layer-policy-envoy-v3.yaml';
      copyFileSync(upstream('calico/v3.32.1', alp), join(manifests, alp));
      // The user's istioctl: a local build (here the fake, as a script run from its real place).
      const istioctl = join(w.dir, 'my-istioctl');
      writeFileSync(
        istioctl,
        `#!/usr/bin/env node\nawait import(${JSON.stringify(pathToFileURL(join(FAKES_DIR, 'istioctl')).href)});\n`,
      );
      chmodSync(istioctl, 0o755);
      const dikastes = 'localhost/calico/dikastes:dev';
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
            '--calico',
            'v3.33.0-0.dev',
            '--calico-inherit',
            '3.32',
            '--calico-manifests',
            manifests,
            '--dikastes-image',
            dikastes,
            '--istio',
            'master',
            '--istio-inherit',
            '1.28',
            '--istioctl',
            istioctl,
            '--istio-tag',
            'dev',
            ...downloads.mirrors.flatMap((m) => ['--mirror', m]),
            '--allow-insecure-mirrors',
            'true',
          ],
          w.env(),
          w.dir,
        ).done;
        expect(exit.code, exit.stderr.slice(-3000)).toBe(0);
        expect(exit.stdout).toContain('PASS k8s-1.34.8_calico-v3.33.0-0.dev_istio-master');
        const result = CellResultSchema.parse(w.results());
        expect(result.support.map((s) => [s.component, s.status, s.inheritedFrom])).toEqual([
          ['calico', 'unknown', '3.32'],
          ['istio', 'unknown', '1.28'],
        ]);
        expect(result.provenance).toMatchObject({
          calico: {
            standing: 'label',
            pinned: false,
            manifests: { source: 'directory', location: manifests },
            images: { dikastes, dikastesSource: 'user' },
          },
          istio: { standing: 'label', istioctl: { source: 'path', location: istioctl }, tag: 'dev' },
        });
        const alpUrl = pathToFileURL(join(manifests, alp)).href;
        expect(result.fetched?.find((f) => f.url === alpUrl)?.sha256).toBe(
          sha256(readFileSync(join(manifests, alp))),
        );
        expect(result.tools.find((t) => t.name === 'istioctl')).toMatchObject({
          source: 'given',
          from: istioctl,
          sha256: sha256(readFileSync(istioctl)),
        });
        const operator = readFileSync(join(w.resultsDir, 'plan/manifests/istio-operator.yaml'), 'utf8');
        expect(operator).toContain(`image: ${dikastes}`);
        expect(operator).toMatch(/^ {2}tag: dev$/m);
        // The job summary the action writes from this result.
        expect(cellSummaryMarkdown(result)).toContain('**Calico v3.33.0-0.dev: facts inherited from 3.32**');
      } finally {
        await gw.close();
      }
    });
  },
);
