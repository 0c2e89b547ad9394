import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Fetcher } from '../exec/fetch.js';
import { entries } from './write.js';
import { ChecksumMismatchError } from '../exec/fetch.js';
import type { Log } from '../exec/log.js';
import type { ProcessRunner } from '../exec/process.js';
import { installTool, type Arch, type ToolCache, type ToolName } from '../tools/install.js';
import { toYaml } from '../render/yaml.js';
import { renderBundleRunbook, type BundledTool } from './bundle-runbook.js';
import {
  BUNDLE_INDEX,
  BUNDLE_SUMS,
  rootKustomization,
  stageKustomization,
  type BundleFile,
  type BundleSpec,
} from './bundle.js';
import { PlanDirError } from './write.js';

/** What a bundle directory holds; anything else there is the user's and is never overwritten. */
export const BUNDLE_OWNED = [
  BUNDLE_INDEX,
  BUNDLE_SUMS,
  'runbook.sh',
  'plan.json',
  'kustomization.yaml',
  'kind-config.yaml',
  'stages',
  'sources',
  'bin',
  'kubeconfig',
  'results',
  '.gitignore',
];

/** A bundle could not be built (a download, a checksum, a tool): nothing was written to the directory. */
export class BundleError extends Error {
  override name = 'BundleError';
}

/**
 * Refused before anything happens: a directory holding files a bundle did not write (a bundle lives in
 * a repository: regenerating it must never delete the user's files). An earlier bundle is replaced.
 */
export async function checkBundleDir(dir: string, flag: string): Promise<void> {
  const present = await entries(dir);
  const foreign = present.filter((e) => !BUNDLE_OWNED.includes(e));
  if (foreign.length) {
    throw new PlanDirError(
      `${flag} ${dir} holds files a bundle did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}): choose an empty directory or one an earlier bundle wrote`,
    );
  }
  if (present.length && !present.includes(BUNDLE_INDEX)) {
    throw new PlanDirError(
      `${flag} ${dir} is not empty and holds no ${BUNDLE_INDEX} (not a bundle): choose an empty directory or one an earlier bundle wrote`,
    );
  }
}

export interface BundleDeps {
  readonly fetcher: Fetcher;
  readonly runner: ProcessRunner;
  readonly log: Log;
  readonly toolCache: ToolCache;
  readonly arch: Arch;
  readonly fromPath: boolean;
  readonly signal: AbortSignal;
  /** Environment of the tools the bundle runs (istioctl, kubectl), merged over process.env. */
  readonly env?: Readonly<Record<string, string>>;
  readonly pathEnv?: string;
  readonly tmpDir?: string;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const TOOL_MS = 180_000;

interface ToolRecord extends BundledTool {
  readonly arch: Arch;
  readonly source: string;
  readonly url?: string;
}

/** The plan's tools, as a run installs them (verified download, cache, or PATH when allowed), into bin/. */
async function installTools(spec: BundleSpec, stage: string, deps: BundleDeps): Promise<ToolRecord[]> {
  await mkdir(join(stage, 'bin'), { recursive: true });
  const out: ToolRecord[] = [];
  for (const t of spec.tools) {
    const name = t.name as ToolName;
    const { path, result } = await installTool(name, t.version, {
      arch: deps.arch,
      mirrors: [],
      cache: deps.toolCache,
      fromPath: deps.fromPath,
      fetcher: deps.fetcher,
      runner: deps.runner,
      log: deps.log,
      signal: deps.signal,
      // plan.tools is already through the mirrors: the installer looks nothing up.
      sourceOf: (_tool, _v, arch) => t.downloads[arch],
      // The user's own build (the istioctl input), as a run uses it.
      givenOf: () => t.given,
      ...(deps.tmpDir ? { tmpDir: deps.tmpDir } : {}),
      ...(deps.pathEnv !== undefined ? { pathEnv: deps.pathEnv } : {}),
    });
    const dest = join(stage, 'bin', t.name);
    await copyFile(path, dest);
    await chmod(dest, 0o755);
    out.push({
      name: t.name,
      version: result.version,
      sha256: sha256(await readFile(dest)),
      arch: deps.arch,
      source:
        result.source === 'path'
          ? `from PATH (${path}): version-checked only, not sha256-verified`
          : `sha256-verified against ${result.checksumSource === 'catalog' ? 'the catalog' : (result.checksumUrl ?? 'its published checksum')}${result.source === 'cache' ? ' (from the tool cache)' : ''}`,
      url: t.downloads[deps.arch].url,
    });
  }
  return out;
}

async function runTool(deps: BundleDeps, argv: string[], what: string): Promise<string> {
  const r = await deps.runner.run(argv, {
    timeoutMs: TOOL_MS,
    signal: deps.signal,
    ...(deps.env ? { env: deps.env } : {}),
  });
  if (r.exitCode !== 0) {
    const why = r.timedOut ? `timed out after ${TOOL_MS / 1000} s` : `exited ${r.exitCode ?? 'by signal'}`;
    throw new BundleError(`${what}: ${argv.join(' ')} ${why}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  }
  return r.stdout;
}

/** One file of the bundle, fetched, rendered or generated into the staging directory. */
async function produce(f: BundleFile, stage: string, deps: BundleDeps): Promise<void> {
  const dest = join(stage, f.path);
  await mkdir(dirname(dest), { recursive: true });
  const s = f.source;
  switch (s.kind) {
    case 'upstream':
      try {
        await deps.fetcher.fetchToFile(s.fetchUrl, dest, {
          ...(s.sha256 ? { sha256: s.sha256 } : {}),
          signal: deps.signal,
        });
      } catch (e) {
        if (e instanceof ChecksumMismatchError)
          throw new BundleError(
            `${f.path}: ${s.fetchUrl} is not the file the catalog pins for ${s.url} (sha256 ${e.expected}, got ${e.actual}); no bundle written`,
            { cause: e },
          );
        throw new BundleError(`${f.path}: download of ${s.fetchUrl} failed: ${(e as Error).message}`, {
          cause: e,
        });
      }
      return;
    case 'rendered':
      await writeFile(dest, f.content ?? '');
      return;
    case 'wrapped': {
      const data = await readFile(join(dirname(dest), s.from), 'utf8');
      // Calico's file is a bare `data:` patch (UPSTREAM.md §1): kustomize needs kind and name to patch.
      const head = toYaml({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio-sidecar-injector', namespace: 'istio-system' },
      });
      await writeFile(dest, `${head}${data}`);
      return;
    }
    case 'istioctl-manifest-generate':
      await writeFile(
        dest,
        await runTool(
          deps,
          [join(stage, 'bin', 'istioctl'), 'manifest', 'generate', '-f', join(stage, s.input)],
          'istio manifests',
        ),
      );
      return;
    case 'kubectl-kustomize':
      await writeFile(
        dest,
        await runTool(
          deps,
          [join(stage, 'bin', 'kubectl'), 'kustomize', join(stage, s.dir)],
          'Online Boutique',
        ),
      );
      return;
  }
}

/** Generated files last: they read what the fetches and renders wrote. */
const ORDER: Record<BundleFile['source']['kind'], number> = {
  upstream: 0,
  rendered: 0,
  wrapped: 1,
  'kubectl-kustomize': 2,
  'istioctl-manifest-generate': 2,
};

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, p)));
    else out.push(p);
  }
  return out;
}

function sourceEntry(f: BundleFile): Record<string, unknown> {
  const s = f.source;
  switch (s.kind) {
    case 'upstream':
      return {
        upstream: s.url,
        ...(s.fetchUrl !== s.url ? { fetchedFrom: s.fetchUrl } : {}),
        pinned: s.sha256 ? 'sha256 pinned in the catalog, verified at download' : 'not pinned in the catalog',
      };
    case 'rendered':
      return { rendered: 'by the plan' };
    case 'wrapped':
      return { wraps: s.from, as: 'ConfigMap istio-system/istio-sidecar-injector patch' };
    case 'istioctl-manifest-generate':
      return { generated: `istioctl manifest generate -f ${s.input}` };
    case 'kubectl-kustomize':
      return { generated: `kubectl kustomize ${s.dir}` };
  }
}

/**
 * Builds the bundle in a staging directory beside `dir` and moves it in place only when every download
 * verified and every tool ran: a failure leaves `dir` as it was. Returns the number of files written.
 */
export async function writeBundle(
  dir: string,
  spec: BundleSpec,
  deps: BundleDeps,
  version: string,
): Promise<{ files: number; stage: string }> {
  await mkdir(dirname(dir), { recursive: true });
  const stage = await mkdtemp(join(dirname(dir), `.${basename(dir)}.partial-`));
  try {
    const tools = await installTools(spec, stage, deps);
    const files = [...spec.files].sort((a, b) => ORDER[a.source.kind] - ORDER[b.source.kind]);
    for (const f of files) await produce(f, stage, deps);
    for (const s of spec.stages)
      await writeFile(join(stage, 'stages', s.dir, 'kustomization.yaml'), toYaml(stageKustomization(s)));
    await writeFile(join(stage, 'kustomization.yaml'), toYaml(rootKustomization(spec.stages)));
    await writeFile(join(stage, 'plan.json'), `${JSON.stringify(spec.plan, null, 2)}\n`);
    // Tools (per machine), the kind kubeconfig (a client key) and run results stay out of git.
    await writeFile(join(stage, '.gitignore'), 'bin/\nkubeconfig\nresults/\n');

    const byPath = new Map(spec.files.map((f) => [f.path, f]));
    const indexed = [];
    for (const p of (await walk(stage)).filter((p) => !p.startsWith('bin/') && p !== '.gitignore')) {
      const f = byPath.get(p);
      const bytes = await readFile(join(stage, p));
      indexed.push({
        path: p,
        sha256: sha256(bytes),
        bytes: bytes.length,
        ...(f ? sourceEntry(f) : { rendered: 'by the bundle (kustomizations, plan)' }),
      });
    }
    const index = {
      schemaVersion: 1,
      generator: spec.plan.generator,
      cell: spec.plan.cell,
      stages: spec.stages.map((s) => ({
        dir: `stages/${s.dir}`,
        title: s.title,
        syncWave: s.wave,
        apply: s.apply,
        why: s.why,
      })),
      tools,
      files: indexed,
      verdict: ['calico-istio-conformance', ...spec.verdict],
    };
    await writeFile(join(stage, BUNDLE_INDEX), `${JSON.stringify(index, null, 2)}\n`);
    await writeFile(join(stage, 'runbook.sh'), renderBundleRunbook(spec, tools, version), { mode: 0o755 });
    const summed = (await walk(stage)).filter(
      (p) => !p.startsWith('bin/') && p !== '.gitignore' && p !== BUNDLE_SUMS,
    );
    const lines = [];
    for (const p of summed) lines.push(`${sha256(await readFile(join(stage, p)))}  ${p}`);
    await writeFile(join(stage, BUNDLE_SUMS), `${lines.join('\n')}\n`);
    const count = summed.length + 1;
    // Only now: the earlier bundle (checked to be one) goes, the new one takes its place.
    await rm(dir, { recursive: true, force: true });
    await rename(stage, dir);
    return { files: count, stage };
  } catch (e) {
    await rm(stage, { recursive: true, force: true });
    throw e;
  }
}
