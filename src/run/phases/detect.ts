import { imageTag, readCalicoVersion, readIstiodImage } from '../../kube/cluster-versions.js';
import { Kubectl } from '../../kube/kubectl.js';
import { asObject, firstLine, livePods, podsOf } from '../../kube/objects.js';
import type { CellResult } from '../../result/schema.js';
import type { CellRun } from '../cell-run.js';
import type { CellPhase } from '../phase-runner.js';
import { routeProblems } from './route-check.js';

type Detected = NonNullable<CellResult['detected']>;

/** What the cluster runs, read with the same kubectl the run uses; a missing component throws. */
async function detect(run: CellRun, k: Kubectl): Promise<Detected> {
  const { signal } = run;
  const install = new Set(run.req.config.install);
  const version = await k.run(['version', '-o', 'json'], signal);
  if (version.failure) {
    const text = version.result.stderr || version.result.stdout;
    throw new Error(
      `the cluster does not answer (kubectl version): ${firstLine(text) || version.failure.kind}`,
    );
  }
  let server: string | undefined;
  try {
    const v = asObject(asObject(JSON.parse(version.result.stdout))?.serverVersion);
    server = String(v?.gitVersion ?? '').replace(/^v/, '') || undefined;
  } catch {
    server = undefined;
  }
  if (!server) throw new Error('the cluster does not answer: kubectl version printed no serverVersion');

  let calico: string | undefined;
  if (!install.has('calico')) {
    const got = await readCalicoVersion(k, signal);
    if (got.error) throw new Error(`Calico is not installed (no ClusterInformation "default"): ${got.error}`);
    calico = got.version;
  }
  let istio: string | undefined;
  if (!install.has('istio')) {
    const ns = run.plan.facts.istioNamespace;
    const got = await readIstiodImage(k, ns, signal);
    if (got.error) throw new Error(`Istio is not installed (no Deployment istiod in ${ns}): ${got.error}`);
    istio = imageTag(got.image);
  }
  const { target } = run.prepared;
  const pods = await k.getJson(
    ['get', 'pods', '-n', target.namespace, ...(target.selector ? ['-l', target.selector] : [])],
    signal,
  );
  const dikastes = pods.ok
    ? livePods(podsOf(pods.value))
        .flatMap((p) => p.spec?.containers ?? [])
        .find((c) => c.name === run.plan.facts.checks.dikastes.container)
    : undefined;
  const dikastesImage = (dikastes as { image?: string } | undefined)?.image;

  const requested = run.req.config.requested;
  const warnings: string[] = [];
  const compare = (what: 'kubernetes' | 'calico' | 'istio', seen: string | undefined) => {
    const want = requested[what];
    if (want && seen && want.replace(/^v/, '') !== seen.replace(/^v/, ''))
      warnings.push(`${what}: requested ${want}, the cluster runs ${seen}; results are labelled ${seen}`);
  };
  compare('kubernetes', server);
  compare('calico', calico);
  compare('istio', istio);
  return {
    kubernetes: server,
    ...(calico ? { calico } : {}),
    ...(istio ? { istio } : {}),
    ...(dikastesImage ? { dikastesImage } : {}),
    requested,
    warnings,
  };
}

/**
 * Phase `detect` (cluster existing): what the cluster really runs labels the result, so a report files
 * it in the right cell; an unreachable cluster, a missing component or (with harness-workload) a
 * route unlike the harness's ends the cell `error` before any probe.
 */
export const detectPhase: CellPhase = {
  name: 'detect',
  stage: 'main',
  async run(run) {
    if (run.req.config.cluster !== 'existing') return;
    const path = await run.toolPaths.kubectl;
    if (!path) throw new Error('kubectl is not available');
    const k = new Kubectl({
      runner: run.deps.runner,
      path,
      env: run.prepared.env,
      timeoutMs: run.bounds.kubectlMs,
      requestTimeout: true,
    });
    run.detected = await detect(run, k);
    for (const w of run.detected.warnings) run.log.warn(w);
    const d = run.detected;
    run.log.info(
      `The cluster runs Kubernetes ${d.kubernetes}${d.calico ? `, Calico ${d.calico}` : ''}${d.istio ? `, Istio ${d.istio}` : ''}`,
    );
    const onCluster = run.plan.facts.route.onCluster;
    if (onCluster) {
      const problems = await routeProblems(k, onCluster, run.signal);
      if (problems.length)
        throw new Error(
          `harness-workload: the harness's route is not on the cluster as its timing assumes: ${problems.join('; ')}`,
        );
      run.log.info(
        `The harness's route is on the cluster (${onCluster.namespace}), as harness-workload says`,
      );
    }
  },
};
