import { sleepFor } from '../util/sleep.js';
import { undiciFetcher } from '../exec/fetch.js';
import type { Log } from '../exec/log.js';
import { execaRunner } from '../exec/process.js';
import { writeCellReports } from '../report/cell-outputs.js';
import { kubectlPolicyApplier, loadSuiteTarget, runSuite } from '../suite/index.js';
import type { ToolCache } from '../tools/install.js';
import { fetchHttpGet } from '../verify/collect-checks.js';
import type { EngineDeps } from './cell-run.js';
import { runnerInfo } from './runner-info.js';

/** The engine bound to real processes, HTTP, files and clock. */
export function realEngineDeps(opts: { log: Log; toolCache: ToolCache; cwd?: string }): EngineDeps {
  const runner = execaRunner();
  return {
    runner,
    fetcher: undiciFetcher(),
    log: opts.log,
    toolCache: opts.toolCache,
    now: Date.now,
    sleep: sleepFor,
    httpGet: fetchHttpGet,
    runSuite,
    loadSuiteTarget,
    policyApplier: (kubectl, env) => kubectlPolicyApplier(kubectl, env, undefined, runner),
    writeReports: writeCellReports,
    runnerInfo: runnerInfo(),
    cwd: opts.cwd ?? process.cwd(),
  };
}
