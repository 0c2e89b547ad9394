import type { ClassifyContext } from '../probe/classify.js';
import { createExecProber } from '../probe/exec-prober.js';
import type { Prober } from '../probe/prober.js';
import type { ExpectationResult } from '../result/schema.js';
import type { SourceDriver, SourcePod } from './contract.js';
import type { SourceSpec, SuiteSpec } from './schema.js';
import {
  clientName,
  describeSource,
  routesOf,
  sourceKey,
  sourcesOf,
  targetUrl,
  type ProbeSource,
  type Route,
} from './sources.js';

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The key an expectation carries (`via`) to name its route: source and target. */
export function routeKey(r: Route): string {
  return `${sourceKey(r.from)} -> ${r.to.service}.${r.to.namespace}:${r.to.port}`;
}

export interface SourceOptions {
  readonly probeTimeoutMs: number;
  readonly classify?: ClassifyContext;
}

/**
 * A suite's sources for one run: found or deployed before the first step, a prober per route, and the
 * probe clients removed at the end whatever happened (failure, cancel), under the cleanup's own bound.
 */
export class SourceSession {
  readonly routes: (Route | undefined)[][];
  private readonly sources: SourceSpec[];
  private readonly pods = new Map<string, SourcePod>();
  /** Clients whose apply was attempted: each is deleted at close. */
  private readonly deployed: { spec: SourceSpec; name: string }[] = [];
  private readonly probers = new Map<string, Prober>();

  constructor(
    spec: SuiteSpec,
    private readonly driver: SourceDriver | undefined,
    private readonly opts: SourceOptions,
  ) {
    this.routes = routesOf(spec);
    this.sources = sourcesOf(spec);
  }

  /** The suite names sources inside the mesh. */
  get needed(): boolean {
    return this.sources.length > 0;
  }

  /** Workloads first (reads only), then the probe clients; throws saying which source failed and why. */
  async open(signal: AbortSignal, log: (line: string) => void): Promise<void> {
    const driver = this.driver;
    if (!this.needed) return;
    if (!driver)
      throw new Error(
        'the suite names sources inside the mesh (from:), and this run has no cluster access to reach them',
      );
    const ordered = [
      ...this.sources.filter((s) => s.selector !== undefined),
      ...this.sources.filter((s) => s.selector === undefined),
    ];
    for (const s of ordered) {
      const what = describeSource(s);
      try {
        if (s.selector !== undefined) {
          const pod = await driver.findWorkload(s, signal);
          log(`source ${what}: pod ${pod.pod}, container ${pod.container}`);
          this.pods.set(sourceKey(s), pod);
        } else {
          const name = clientName(s);
          const pin = driver.client.pinned ? '' : ` (${driver.client.pinNote})`;
          log(`source ${what}: deploy probe client ${name}, image ${driver.client.image}${pin}`);
          this.deployed.push({ spec: s, name });
          const pod = await driver.deployClient(s, name, signal);
          this.pods.set(sourceKey(s), pod);
        }
      } catch (e) {
        if (signal.aborted) throw e;
        throw new Error(`source ${what}: ${errText(e)}`, { cause: e });
      }
    }
  }

  /** The prober of a route key; undefined when the route's source was never set up. */
  prober(via: string): Prober | undefined {
    const known = this.probers.get(via);
    if (known) return known;
    const route = this.routes.flat().find((r) => r && routeKey(r) === via);
    const pod = route && this.pods.get(sourceKey(route.from));
    if (!route || !pod || !this.driver) return undefined;
    const driver = this.driver;
    const prober = createExecProber({
      baseUrl: targetUrl(route.to),
      exec: (argv, timeoutMs, signal) => driver.exec(pod, argv, timeoutMs, signal),
      timeoutMs: this.opts.probeTimeoutMs,
      client: driver.client.http,
      ...(this.opts.classify ? { classify: this.opts.classify } : {}),
    });
    this.probers.set(via, prober);
    return prober;
  }

  /** What a policy sees of the pod a route's requests start from; undefined before the session opened it. */
  picked(route: Route): ProbeSource | undefined {
    return this.pods.get(sourceKey(route.from))?.identity;
  }

  /** What the results record of a route: the source identity the request carried, and the target. */
  describe(route: Route): Pick<ExpectationResult, 'from' | 'to'> {
    const pod = this.pods.get(sourceKey(route.from));
    const id = pod?.identity;
    return {
      from: {
        kind: route.from.selector !== undefined ? 'workload' : 'client',
        namespace: route.from.namespace,
        serviceAccount: id?.serviceAccount ?? route.from.serviceAccount ?? '',
        labels: { ...(id?.labels ?? route.from.labels ?? {}) },
        ...(pod ? { pod: pod.pod } : {}),
        ...(route.from.selector !== undefined ? { selector: route.from.selector } : {}),
      },
      to: { ...route.to },
    };
  }

  /** Removes every probe client this run applied; the result says what was removed or what failed. */
  async close(
    timeoutMs: number,
    log: (line: string) => void,
  ): Promise<{ failed: string[]; removed: string[] }> {
    const failed: string[] = [];
    const removed: string[] = [];
    if (!this.driver || this.deployed.length === 0) return { failed, removed };
    const signal = AbortSignal.timeout(timeoutMs);
    for (const { spec, name } of [...this.deployed].reverse()) {
      log(`cleanup: remove probe client ${spec.namespace}/${name}`);
      try {
        await this.driver.removeClient(spec, name, signal);
        removed.push(`${spec.namespace}/${name}`);
      } catch (e) {
        failed.push(`probe client ${spec.namespace}/${name}: ${errText(e)}`);
      }
    }
    return { failed, removed };
  }
}
