import { describe, expect, it } from 'vitest';
import type { ProcessRunner, RunResult } from '../../src/exec/process.js';
import { Kubectl } from '../../src/kube/kubectl.js';
import { buildPlan } from '../../src/plan/build.js';
import { parseCellConfig } from '../../src/config/cell-config.js';
import { cliNaming } from '../../src/config/inputs.js';
import { resolveCell } from '../../src/resolve/cell.js';
import { explainWorkload } from '../../src/verify/explain-workload.js';

const FACTS = buildPlan(resolveCell(parseCellConfig({}, cliNaming))).plan.facts.checks;

const pod = (name: string, waiting: Record<string, string>) => ({
  metadata: { name },
  spec: {
    containers: [{ name: 'server' }, { name: 'dikastes' }],
    initContainers: [{ name: 'istio-proxy', restartPolicy: 'Always' }],
  },
  status: {
    phase: 'Running',
    containerStatuses: ['server', 'dikastes'].map((c) => ({
      name: c,
      ready: !waiting[c],
      state: waiting[c] ? { waiting: { reason: waiting[c] } } : { running: {} },
    })),
    initContainerStatuses: [{ name: 'istio-proxy', ready: true, state: { running: {} } }],
  },
});

/** Answers kubectl the way a cluster with a stuck frontend would. */
function cluster(): ProcessRunner {
  const json = (v: unknown): Partial<RunResult> => ({ stdout: JSON.stringify(v) });
  const answer = (argv: readonly string[]): Partial<RunResult> => {
    const a = argv.slice(1).join(' ');
    if (a.startsWith('get deployments'))
      return json({
        items: [
          { metadata: { name: 'frontend' }, spec: { replicas: 1 }, status: { availableReplicas: 0 } },
          { metadata: { name: 'cartservice' }, spec: { replicas: 1 }, status: { availableReplicas: 1 } },
        ],
      });
    if (a.startsWith('get pods'))
      return json({
        items: [pod('frontend-7d9f-abcde', { dikastes: 'CrashLoopBackOff' }), pod('cartservice-1-x', {})],
      });
    if (a.startsWith('get events'))
      return json({
        items: [
          {
            type: 'Warning',
            reason: 'Unhealthy',
            message: 'Readiness probe failed: not in sync',
            involvedObject: { name: 'frontend-7d9f-abcde' },
          },
        ],
      });
    if (a.startsWith('logs frontend-7d9f-abcde -c dikastes'))
      return {
        stdout:
          '... Starting synchronization with Policy Sync server\n... [ERROR] connection to Policy Sync server broken: EOF\n',
      };
    return { exitCode: 1, stderr: `unexpected ${a}` };
  };
  return {
    run: async (argv) => ({
      argv,
      exitCode: 0,
      stdout: '',
      stderr: '',
      timedOut: false,
      cancelled: false,
      durationMs: 1,
      ...answer(argv),
    }),
  };
}

describe('why a workload is not Available', () => {
  it('names the Deployment, the waiting container, the warning event and the Dikastes log line', async () => {
    const k = new Kubectl({ runner: cluster(), path: 'kubectl', timeoutMs: 5000 });
    const text = await explainWorkload(k, 'boutique', FACTS, new AbortController().signal);
    expect(text).toContain('Deployment frontend 0/1 available');
    expect(text).toContain('frontend-7d9f-abcde: dikastes waiting (CrashLoopBackOff)');
    expect(text).toContain("Dikastes never synced with Felix's Policy Sync API");
    expect(text).toContain('connection to Policy Sync server broken');
    expect(text).toContain('Unhealthy: Readiness probe failed: not in sync');
    expect(text).not.toContain('cartservice');
  });
});
