import type { CellConfig } from '../config/cell-config.js';
import type { CliIo } from './index.js';

/** `plan --bundle` with options it cannot honour: refused before anything is fetched or written. */
export class BundleRefusedError extends Error {
  override name = 'BundleRefusedError';
}

/** What a bundle cannot carry, said before any side effect (exit 2). */
export function checkBundleConfig(config: CellConfig): void {
  if (config.install.length === 0) {
    throw new BundleRefusedError(
      `--bundle: --install is ${config.cluster === 'existing' ? 'auto (nothing on an existing cluster) or ' : ''}none: there is nothing to bundle. Accepted: --install auto with --cluster kind, or a comma list of calico, istio, alp, workload`,
    );
  }
  if (config.cluster === 'existing' && !config.ingressUrl) {
    throw new BundleRefusedError(
      '--bundle with --cluster existing needs --ingress-url: the runbook ends with the verdict, which probes your gateway there',
    );
  }
  if (config.suite) {
    throw new BundleRefusedError(
      `--bundle does not carry --suite ${JSON.stringify(config.suite)} (a suite's policies are the verdict's, not GitOps manifests): pass it to the bundle's runbook instead, ./runbook.sh --suite FILE`,
    );
  }
}

/** Builds the bundle: tools and manifests fetched and verified now, through the mirrors. */
export async function planBundle(config: CellConfig, dir: string, io: CliIo): Promise<void> {
  const [
    { resolveCell },
    { buildPlan },
    { bundleSpec },
    { checkBundleDir, writeBundle },
    { undiciFetcher },
    { execaRunner },
    { streamLog },
    { dirToolCache, hostArch },
    { VERSION },
  ] = await Promise.all([
    import('../resolve/cell.js'),
    import('../plan/build.js'),
    import('../plan/bundle.js'),
    import('../plan/bundle-write.js'),
    import('../exec/fetch.js'),
    import('../exec/process.js'),
    import('../exec/log.js'),
    import('../tools/install.js'),
    import('../version.js'),
  ]);
  checkBundleConfig(config);
  await checkBundleDir(dir, '--out');
  const cell = resolveCell(config);
  const spec = bundleSpec(cell, buildPlan(cell));
  const { files } = await writeBundle(
    dir,
    spec,
    {
      fetcher: undiciFetcher(),
      runner: execaRunner(),
      log: streamLog(process.stderr),
      toolCache: dirToolCache(),
      arch: hostArch(),
      fromPath: config.toolsFromPath,
      signal: new AbortController().signal,
    },
    `${VERSION}`,
  );
  io.out(
    `Bundled cell ${cell.id}: ${spec.stages.length} stages, ${files} files verified in ${dir} (index bundle.json, SHA256SUMS)\n`,
  );
  for (const s of cell.support) io.out(`  ${s.component} ${s.version}: ${s.status} — ${s.detail}\n`);
  for (const note of cell.notes) io.out(`  note: ${note}\n`);
}
