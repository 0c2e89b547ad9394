import { kubectlEnvoyStats } from '../../kube/envoy-stats.js';
import { readPodIdentity, readServiceTarget, readSourceIdentity } from '../../kube/pod-identity.js';
import { oracleSemanticsFor } from '../../resolve/oracle-semantics.js';
import { suiteError } from '../../suite/diagnosis.js';
import { kubectlSources } from '../../suite/kubectl-sources.js';
import { readTrust } from '../../verify/collect-checks.js';
import type { CellPhase } from '../phase-runner.js';
import { setupOk } from './checks.js';

/** Phase `suite`: the probes, once setup passed; a suite that throws is an `error` suite, not a fault. */
export const suitePhase: CellPhase = {
  name: 'suite',
  stage: 'main',
  async run(run) {
    if (!setupOk(run) || run.signal.aborted || !run.kubectl) return;
    const { target, suiteFile, env, cell } = run.prepared;
    const k = run.kubectl;
    const kubectl = k.path;
    const { facts } = run.plan;
    const defect = facts.knownDefect;
    const dikastesReady = run.checkReport?.dikastesReady ?? {
      ready: false,
      evidence: 'the checks did not run',
    };
    const envoyStats = kubectlEnvoyStats(k, {
      namespace: target.namespace,
      ...(target.selector ? { selector: target.selector } : {}),
      exclude: facts.checks.canaryLabels,
      container: facts.envoyStats.container,
      command: facts.envoyStats.command,
    });
    // An existing cluster may run another Calico than requested: expect: auto follows what it runs.
    const running = run.detected?.calico;
    const detected =
      running && running !== facts.policyOracle.calico ? oracleSemanticsFor(running) : undefined;
    const semantics = detected?.ok ? detected.sem : facts.policyOracle;
    // The suite ends by the main deadline too: the reserved share stays for diagnostics and cleanup.
    const deadline = AbortSignal.timeout(Math.max(1, run.mainRemainingMs()));
    const signal = AbortSignal.any([run.signal, deadline]);
    run.suite = await run.log.group(`Suite ${target.name}`, async () => {
      try {
        return await run.deps.runSuite({
          suiteFile,
          ingressUrl: facts.ingressUrl,
          ...(defect ? { knownDefect: { defect, calicoVersion: cell.calico.version } } : {}),
          dikastesReady,
          recheckTrust: (signal) => readTrust(k, target, facts.checks, signal),
          envoyStats,
          classify: {
            denyAction: run.checkReport?.denyAction ?? 'drop',
            connectTimeoutMs: facts.route.connectTimeoutMs,
          },
          defaultProbeTimeoutMs: facts.route.probeTimeoutMs,
          tests: run.req.config.test,
          oracle: {
            semantics,
            readTarget: (signal) => readPodIdentity(k, target.namespace, target.selector, signal),
            readSource: (signal) =>
              readSourceIdentity(k, facts.gatewayPods.namespace, facts.gatewayPods.selector, signal),
            readService: (to, signal) => readServiceTarget(k, to.namespace, to.service, to.port, signal),
            readPods: (namespace, selector, signal) => readSourceIdentity(k, namespace, selector, signal),
          },
          policies: run.deps.policyApplier(kubectl, env),
          sources: kubectlSources(k, facts.probeClient),
          signal,
          log: (line) => run.log.info(line),
        });
      } catch (e) {
        return suiteError(target.name, suiteFile, e instanceof Error ? e.message : String(e));
      }
    });
    if (deadline.aborted && !run.signal.aborted) {
      run.stop = {
        verdict: 'error',
        reason: `The run's deadline (timeout-minutes ${run.req.config.timeoutMinutes}, less the share reserved for diagnostics and cleanup) came during the suite ${target.name}`,
      };
    }
  },
};
