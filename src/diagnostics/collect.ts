import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ProcessRunner } from '../exec/process.js';
import { Kubectl } from '../kube/kubectl.js';
import { firstLine, hasContainer, livePods, podReady, podsOf, type Pod } from '../kube/objects.js';

/** What went into the diagnostics folder, one entry per command; failures are recorded, never thrown. */
export interface DiagnosticEntry {
  readonly file: string;
  readonly argv: readonly string[];
  readonly ok: boolean;
  readonly detail?: string;
}

export interface DiagnosticsRequest {
  /** results-dir/diagnostics */
  readonly dir: string;
  /** results-dir/diagnostics.tar.gz */
  readonly archive: string;
  readonly kubectl?: string;
  /** kind binary and cluster name, for `kind export logs` (kind clusters only). */
  readonly kind?: { readonly path: string; readonly cluster: string };
  /** istioctl, for the Envoy listeners; a failed install is recorded as such. */
  readonly istioctl?: () => Promise<string>;
  readonly env: Record<string, string>;
  readonly namespace: string;
  /** Where the injector ConfigMap lives (the plan's facts). */
  readonly istioNamespace: string;
  /** The pod behind the gateway (frontend), when the checks found it. */
  readonly targetPod?: string;
  readonly targetLabel?: string;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  /**
   * Cluster-wide collection (`get all -A`, every event, `describe nodes`): on a kind cluster the run
   * created, or when the user opted in. Otherwise only `namespaces` (and the Calico/Istio objects the
   * checks read) are collected, so an archive from a user's own cluster shows nothing else of it.
   */
  readonly clusterWide?: boolean;
  /** Namespaces the harness used, besides `namespace` (istio-system, calico-system, …). */
  readonly namespaces?: readonly string[];
  /** Masks known secrets in what is written (the files go into an archive meant for upload). */
  readonly redact?: (text: string) => string;
}

export interface DiagnosticsResult {
  readonly dir: string;
  readonly archive?: string;
  readonly entries: readonly DiagnosticEntry[];
}

const MAX_FILE_BYTES = 8 * 1024 * 1024;

interface Job {
  readonly file: string;
  readonly argv: () => Promise<string[]>;
  readonly timeoutMs?: number;
  /** Commands that write their own files (kind export logs). */
  readonly writesItself?: boolean;
}

/** The namespaces a scoped collection covers, deduplicated, in a stable order. */
export function touchedNamespaces(req: Pick<DiagnosticsRequest, 'namespace' | 'namespaces'>): string[] {
  return [...new Set([req.namespace, ...(req.namespaces ?? [])])].filter(Boolean);
}

async function pool<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

/**
 * Collects what a person needs to see why a cell failed, each command bounded, then packs the folder into
 * one archive with the system tar. Runs with its own signal: the run's may already be aborted.
 */
export async function collectDiagnostics(
  runner: ProcessRunner,
  req: DiagnosticsRequest,
  signal: AbortSignal,
): Promise<DiagnosticsResult> {
  const timeoutMs = req.timeoutMs ?? 60_000;
  const redact = req.redact ?? ((t: string) => t);
  await mkdir(req.dir, { recursive: true });
  const entries: DiagnosticEntry[] = [];
  const ns = req.namespace;
  const run = (argv: readonly string[], t = timeoutMs) =>
    runner.run(argv, { env: req.env, timeoutMs: t, signal });

  let pods: Pod[] = [];
  const jobs: Job[] = [];
  if (req.kubectl) {
    const k = req.kubectl;
    // Reads that are interpreted go through the one kubectl facade; the rest is written as it comes.
    const kubectl = new Kubectl({ runner, path: k, env: req.env, timeoutMs });
    const listing = await kubectl.getJson(['get', 'pods', '-n', ns], signal);
    pods = listing.ok ? livePods(podsOf(listing.value)) : [];
    const fixed = (file: string, args: string[]): Job => ({ file, argv: async () => [k, ...args] });
    if (req.clusterWide) {
      jobs.push(
        fixed('get-all.txt', ['get', 'all', '-A', '-o', 'wide']),
        fixed('events.txt', ['get', 'events', '-A', '--sort-by=.lastTimestamp']),
        fixed('nodes.txt', ['describe', 'nodes']),
      );
    } else {
      for (const n of touchedNamespaces(req)) {
        jobs.push(
          fixed(`get-all.${n}.txt`, ['get', 'all', '-n', n, '-o', 'wide']),
          fixed(`events.${n}.txt`, ['get', 'events', '-n', n, '--sort-by=.lastTimestamp']),
        );
      }
    }
    jobs.push(
      fixed('injector-configmap.yaml', [
        'get',
        'configmap',
        'istio-sidecar-injector',
        '-n',
        req.istioNamespace,
        '-o',
        'yaml',
      ]),
      fixed('felixconfiguration.yaml', [
        'get',
        'felixconfigurations.projectcalico.org',
        'default',
        '-o',
        'yaml',
      ]),
      fixed('tigerastatus.yaml', ['get', 'tigerastatus', '-o', 'yaml']),
    );
    for (const p of pods.filter((p) => !podReady(p))) {
      jobs.push(fixed(`describe/${p.metadata.name}.txt`, ['describe', 'pod', p.metadata.name, '-n', ns]));
    }
    for (const p of pods) {
      const name = p.metadata.name;
      if (hasContainer(p, 'dikastes'))
        jobs.push(fixed(`logs/${name}.dikastes.log`, ['logs', name, '-c', 'dikastes', '-n', ns]));
      const proxy = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].some(
        (c) => c.name === 'istio-proxy',
      );
      if (proxy)
        jobs.push(fixed(`logs/${name}.istio-proxy.log`, ['logs', name, '-c', 'istio-proxy', '-n', ns]));
    }
  }
  const label = req.targetLabel ?? 'app=frontend';
  const [lk, lv] = label.split('=');
  const frontend = req.targetPod ?? pods.find((p) => lk && p.metadata.labels?.[lk] === lv)?.metadata.name;
  if (frontend && req.istioctl) {
    const istioctl = req.istioctl;
    jobs.push({
      file: `envoy-listeners.${frontend}.json`,
      argv: async () => [await istioctl(), 'proxy-config', 'listeners', `${frontend}.${ns}`, '-o', 'json'],
    });
  }
  if (req.kind) {
    const { path, cluster } = req.kind;
    jobs.push({
      file: 'kind-logs',
      argv: async () => [path, 'export', 'logs', join(req.dir, 'kind-logs'), '--name', cluster],
      timeoutMs: Math.max(timeoutMs, 180_000),
      writesItself: true,
    });
  }

  await pool(jobs, req.concurrency ?? 4, async (job) => {
    let argv: string[] = [];
    try {
      argv = await job.argv();
      const r = await run(argv, job.timeoutMs);
      const ok = r.exitCode === 0;
      const detail = ok
        ? undefined
        : r.timedOut
          ? `timed out after ${job.timeoutMs ?? timeoutMs} ms`
          : `exit ${r.exitCode ?? 'none'}: ${firstLine(r.stderr || r.stdout)}`;
      if (!job.writesItself) {
        const path = join(req.dir, job.file);
        await mkdir(dirname(path), { recursive: true });
        const raw = ok ? r.stdout : `${r.stdout}\n--- stderr ---\n${r.stderr}`;
        const body = redact(raw);
        await writeFile(
          path,
          body.length > MAX_FILE_BYTES ? `${body.slice(0, MAX_FILE_BYTES)}\n[truncated]\n` : body,
        );
      }
      entries.push({ file: job.file, argv, ok, ...(detail ? { detail: redact(detail) } : {}) });
    } catch (e) {
      entries.push({
        file: job.file,
        argv,
        ok: false,
        detail: firstLine(e instanceof Error ? e.message : String(e)),
      });
    }
  });
  entries.sort((a, b) => a.file.localeCompare(b.file));
  await writeFile(join(req.dir, 'index.json'), `${JSON.stringify(entries, null, 2)}\n`);

  const tar = await runner.run(['tar', '-czf', req.archive, '-C', dirname(req.dir), basename(req.dir)], {
    timeoutMs: 120_000,
    signal,
  });
  if (tar.exitCode !== 0) {
    entries.push({
      file: basename(req.archive),
      argv: tar.argv,
      ok: false,
      detail: firstLine(tar.stderr) || `exit ${tar.exitCode}`,
    });
    return { dir: req.dir, entries };
  }
  return { dir: req.dir, archive: req.archive, entries };
}
