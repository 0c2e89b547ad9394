import { randomBytes } from 'node:crypto';
import { access, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError, type CellConfig } from '../../config/cell-config.js';
import type { InputNaming } from '../../config/inputs.js';
import { withKindConfig } from '../../config/kind-config.js';
import { privateKubeconfigPath } from '../../exec/secrets.js';
import { buildPlan } from '../../plan/build.js';
import { planEnv } from '../plan-env.js';
import { writePlan } from '../../plan/write.js';
import { isSupported, resolveCell } from '../../resolve/cell.js';
import type { SuiteTarget } from '../../suite/contract.js';
import { defaultSuiteFile } from '../../suite/default-suite.js';
import {
  RESERVED_FLOOR_MS,
  RESERVED_SHARE,
  type EngineDeps,
  type Prepared,
  type RunRequest,
} from '../cell-run.js';

import { clearOwnedResults } from '../owned-results.js';
export { clearOwnedResults, OWNED_RESULTS } from '../owned-results.js';

/** A port the OS says is free on 127.0.0.1 now; kind binds it moments later. */
export function osFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolvePort(port) : reject(new Error('no free port on 127.0.0.1'))));
    });
  });
}

/** Host ports the user's kind config maps: kind binds them too, so the gateway's port must differ. */
function userHostPorts(config: CellConfig): Set<number> {
  const nodes = config.kindConfig?.nodes ?? [];
  return new Set(
    nodes.flatMap((n) => (n.extraPortMappings ?? []).flatMap((m) => (m.hostPort ? [m.hostPort] : []))),
  );
}

/** A free port none of the user's mappings claims (a few draws; the OS rarely hands out the same one). */
async function freeHostPort(draw: () => Promise<number>, taken: ReadonlySet<number>): Promise<number> {
  for (let i = 0; ; i++) {
    const port = await draw();
    if (!taken.has(port) || i >= 8) return port;
  }
}

/** The deadline and what the main phases may use of it (the rest is reserved for diagnostics, cleanup, record). */
export function deadlines(startedMs: number, timeoutMinutes: number): { at: number; mainAt: number } {
  const total = timeoutMinutes * 60_000;
  const reserved = Math.max(RESERVED_FLOOR_MS, Math.ceil(total * RESERVED_SHARE));
  return { at: startedMs + total, mainAt: startedMs + Math.max(0, total - reserved) };
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

const refuse = (
  naming: InputNaming,
  input: 'ingress-url' | 'suite',
  value: string,
  why: string,
  accepted: string,
) => new InputError([{ input, value, why, accepted }], naming);

/** Everything that can be refused is refused here, before any side effect. */
export async function checkRunInputs(
  config: CellConfig,
  naming: InputNaming,
  deps: Pick<EngineDeps, 'cwd' | 'loadSuiteTarget'>,
): Promise<{ suiteFile: string; target: SuiteTarget }> {
  if (config.cluster === 'existing' && !config.ingressUrl) {
    throw refuse(
      naming,
      'ingress-url',
      '',
      'is required with cluster "existing" (the harness cannot know where your gateway listens)',
      'the base URL of your ingress gateway, e.g. http://127.0.0.1:8080',
    );
  }
  const suiteFile = config.suite ? resolve(deps.cwd, config.suite) : defaultSuiteFile();
  if (!(await exists(suiteFile))) {
    if (!config.suite)
      throw new Error(`the built-in suite ${suiteFile} is missing: the package is incomplete`);
    throw refuse(
      naming,
      'suite',
      config.suite,
      `does not exist (${suiteFile})`,
      'a path to a suite YAML file',
    );
  }
  try {
    return { suiteFile, target: await deps.loadSuiteTarget(suiteFile) };
  } catch (e) {
    throw refuse(
      naming,
      'suite',
      config.suite ?? suiteFile,
      `is not a valid suite: ${e instanceof Error ? e.message : String(e)}`,
      'a suite YAML file (apiVersion calico-istio-conformance/v1, kind Suite)',
    );
  }
}

/**
 * Phase `prepare`: refuse bad input (throws InputError: nothing has happened yet), resolve the cell,
 * build and write its plan, and say what the catalog knows about it.
 */
export async function prepare(req: RunRequest, deps: EngineDeps): Promise<Prepared> {
  const { naming } = req;
  const given = req.config;
  const resultsDir = isAbsolute(given.resultsDir) ? given.resultsDir : resolve(deps.cwd, given.resultsDir);
  // Even a refused run must not leave an earlier run's results to be read as its own.
  await clearOwnedResults(resultsDir);
  const { suiteFile, target } = await checkRunInputs(given, naming, deps);
  const config = await withKindConfig(given, deps.cwd, naming);
  const cell = resolveCell(config);
  const startedMs = deps.now();
  const { at: deadlineMs, mainAt: mainDeadlineMs } = deadlines(startedMs, config.timeoutMinutes);
  const runId = (deps.runId ?? (() => randomBytes(3).toString('hex')))();
  const kind = config.cluster === 'kind';
  // Runs share a Docker host: each maps the gateway to its own free port (even when probes go elsewhere).
  const hostPort = kind ? await freeHostPort(deps.freePort ?? osFreePort, userHostPorts(config)) : undefined;
  const rendered = buildPlan(cell, { runId, ...(hostPort ? { hostPort } : {}) });
  const { plan } = rendered;
  const planDir = join(resultsDir, 'plan');
  await mkdir(resultsDir, { recursive: true });
  await writePlan(planDir, rendered);

  const env = planEnv(plan, planDir);
  // kind's kubeconfig holds the cluster's client key: keep it out of results-dir (users upload that).
  if (env.KUBECONFIG) env.KUBECONFIG = await privateKubeconfigPath(deps.tmpDir ?? tmpdir());

  const { log } = deps;
  for (const s of cell.support) {
    const line = `${s.component} ${s.version}: ${s.status} — ${s.detail}`;
    if (s.status === 'supported') log.info(line);
    else log.warn(line);
  }
  for (const note of plan.facts.notes) log.info(`Note: ${note}`);
  if (config.kindConfigFile && plan.facts.nodes)
    log.info(
      `kind config ${config.kindConfigFile} merged into ${join(planDir, 'manifests/kind-config.yaml')}: ${plan.facts.nodes.length} node(s), ${plan.facts.nodes.join(', ')}`,
    );
  const skip =
    !isSupported(cell) && config.onUnsupported === 'skip'
      ? cell.support
          .filter((s) => s.status !== 'supported')
          .map((s) => `${s.component} ${s.version} ${s.status} (${s.detail})`)
          .join('; ')
      : undefined;
  return {
    cell,
    rendered,
    plan,
    planDir,
    resultsDir,
    resultsFile: join(resultsDir, 'results.json'),
    suiteFile,
    target,
    env,
    startedMs,
    deadlineMs,
    mainDeadlineMs,
    runId,
    ...(hostPort ? { hostPort } : {}),
    ...(skip !== undefined ? { skip } : {}),
  };
}
