import { hostArch } from '../../tools/install.js';
import type { CellRun } from '../cell-run.js';
import type { CellPhase } from '../phase-runner.js';
import { ToolSet } from '../tools.js';

function usesTool(run: CellRun, tool: string): boolean {
  const { steps, cleanup } = run.plan;
  return [...steps, ...cleanup].some((s) =>
    [...s.commands, ...(s.retry?.beforeRetry ?? [])].some((c) => 'exec' in c && c.exec[0] === tool),
  );
}

/**
 * Phase `tools`: start every install at once, kind first (the cluster waits on it); the steps await
 * only the tool they run, so kubectl and istioctl download while the cluster is created.
 */
export const toolsPhase: CellPhase = {
  name: 'tools',
  stage: 'main',
  async run(run) {
    const { deps, req } = run;
    const tools = new ToolSet(
      run.prepared.cell,
      {
        arch: deps.arch ?? hostArch(),
        mirrors: req.config.mirrors,
        cache: deps.toolCache,
        fromPath: req.config.toolsFromPath,
        // The plan names every tool's download (through the mirrors): the installer looks nothing up.
        sourceOf: (tool, _version, arch) => {
          const planned = run.plan.tools.find((t) => t.name === tool);
          if (!planned) throw new Error(`the plan names no ${tool}`);
          return planned.downloads[arch];
        },
        givenOf: (tool) => run.plan.tools.find((t) => t.name === tool)?.given,
        fetcher: deps.fetcher,
        runner: deps.runner,
        log: run.log,
        signal: run.signal,
        ...(deps.tmpDir ? { tmpDir: deps.tmpDir } : {}),
        ...(deps.pathEnv !== undefined ? { pathEnv: deps.pathEnv } : {}),
      },
      deps.now,
      deps.installTool,
    );
    run.tools = tools;
    const cluster = run.plan.facts.clusterName;
    if (cluster) {
      req.hooks?.onClusterPlanned?.({
        name: cluster,
        keep: req.config.keepCluster,
        planDir: run.prepared.planDir,
        kubeconfig: run.prepared.env.KUBECONFIG ?? '',
      });
      const kind = tools.get('kind').then((path) => {
        run.clusterMayExist = true;
        req.hooks?.onClusterMayExist?.({ name: cluster, kind: path });
        return path;
      });
      kind.catch(() => undefined);
      run.toolPaths.kind = kind;
    }
    run.toolPaths.kubectl = tools.get('kubectl');
    if (usesTool(run, 'istioctl')) run.toolPaths.istioctl = tools.get('istioctl');
  },
};
