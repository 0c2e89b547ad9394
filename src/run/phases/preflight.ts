import type { CellResult } from '../../result/schema.js';
import type { CellRun } from '../cell-run.js';
import type { CellPhase } from '../phase-runner.js';

interface DockerInfo {
  readonly ServerVersion?: string;
  readonly Driver?: string;
  readonly NCPU?: number;
  readonly MemTotal?: number;
  readonly Architecture?: string;
}

const ARM64 = new Set(['aarch64', 'arm64']);

function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join(' ').slice(0, 400);
}

/** `docker info` as JSON, or why no engine answered. */
async function dockerInfo(run: CellRun): Promise<{ info: DockerInfo } | { why: string }> {
  // `--format json` (Docker 23+): the whole info as one JSON object.
  const r = await run.deps.runner.run(['docker', 'info', '--format', 'json'], {
    timeoutMs: run.bounds.dockerInfoMs,
    signal: run.signal,
  });
  if (r.exitCode !== 0 || r.timedOut || r.cancelled) {
    const how = r.timedOut
      ? `did not answer within ${run.bounds.dockerInfoMs / 1000} s`
      : r.exitCode === null
        ? 'could not run (is the docker CLI installed?)'
        : `exited ${r.exitCode}`;
    return { why: `docker info ${how}${r.stderr || r.stdout ? `: ${tail(r.stderr || r.stdout)}` : ''}` };
  }
  try {
    return { info: JSON.parse(r.stdout) as DockerInfo };
  } catch {
    // An engine answered but is too old for `--format json`: nothing to compare, nothing to refuse.
    run.log.warn('docker info printed no JSON (Docker before 23?): host CPU, memory and arch not checked');
    return { info: {} };
  }
}

/** The user's images that this runner's Docker does not hold (`docker image inspect` exits non-zero). */
async function missingImages(run: CellRun, images: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const image of images) {
    const r = await run.deps.runner.run(['docker', 'image', 'inspect', '--format', '{{.Id}}', image], {
      timeoutMs: run.bounds.dockerInfoMs,
      signal: run.signal,
    });
    if (r.exitCode !== 0 || r.timedOut || r.cancelled) missing.push(image);
  }
  return missing;
}

const mib = (bytes: number) => Math.floor(bytes / (1024 * 1024));

/**
 * Phase `preflight` (kind clusters): before any download or cluster, a Docker engine must answer,
 * an arm64 host cannot run amd64-only images (the cell is `unsupported`), and the host must hold the
 * plan's summed requests: a kind node's allocatable is the Docker host's CPUs and memory (kind sets
 * no reservations), so pods that do not fit would stay Pending until the rollout times out. The
 * user's local images must be in Docker before a cluster is made to load them into.
 */
export const preflightPhase: CellPhase = {
  name: 'preflight',
  stage: 'main',
  async run(run) {
    const { facts } = run.plan;
    if (!facts.clusterName) return;
    const got = await dockerInfo(run);
    if ('why' in got) {
      run.stop = {
        verdict: 'error',
        reason: `No Docker engine answers (${got.why}). kind needs one: start Docker (or give this user access to its socket), or run against a cluster you have with cluster "existing".`,
      };
      return;
    }
    const { info } = got;
    const host: NonNullable<CellResult['host']> = {
      ...(info.ServerVersion ? { dockerVersion: info.ServerVersion } : {}),
      ...(info.Driver ? { storageDriver: info.Driver } : {}),
      ...(typeof info.NCPU === 'number' ? { cpus: info.NCPU } : {}),
      ...(typeof info.MemTotal === 'number' ? { memoryMiB: mib(info.MemTotal) } : {}),
      ...(info.Architecture ? { arch: info.Architecture } : {}),
    };
    run.host = host;
    run.log.info(
      `Docker ${host.dockerVersion ?? '?'} (${host.storageDriver ?? '?'}), ${host.cpus ?? '?'} CPUs, ${host.memoryMiB ?? '?'} MiB, ${host.arch ?? '?'}`,
    );
    const arm = (info.Architecture && ARM64.has(info.Architecture)) || run.deps.arch === 'arm64';
    if (arm && facts.amd64Only.length > 0) {
      run.stop = {
        verdict: 'unsupported',
        reason: `This runner is arm64 and ${facts.amd64Only.join(', ')} publish amd64 images only: the pods could never start. Run this cell on an amd64 runner.`,
      };
      return;
    }
    const need = facts.capacity;
    const missing: string[] = [];
    if (host.cpus !== undefined && host.cpus * 1000 < need.cpuMillis) {
      missing.push(`CPU: requests sum to ${need.cpuMillis}m, the Docker host has ${host.cpus * 1000}m`);
    }
    if (host.memoryMiB !== undefined && host.memoryMiB < need.memoryMiB) {
      missing.push(
        `memory: requests sum to ${need.memoryMiB} MiB, the Docker host has ${host.memoryMiB} MiB`,
      );
    }
    if (missing.length) {
      const parts = need.parts.map((p) => `${p.what} ${p.cpuMillis}m/${p.memoryMiB}Mi`).join(', ');
      run.stop = {
        verdict: 'error',
        reason: `The cell does not fit this runner, its pods would stay Pending: ${missing.join('; ')} (${parts}). Use a runner with more CPU/memory.`,
      };
      return;
    }
    run.log.info(
      `Capacity: requests ${need.cpuMillis}m CPU / ${need.memoryMiB} MiB fit ${host.cpus ?? '?'} CPUs / ${host.memoryMiB ?? '?'} MiB`,
    );
    const missingLocal = await missingImages(run, facts.localImages ?? []);
    if (missingLocal.length) {
      run.stop = {
        verdict: 'error',
        reason: `images names ${missingLocal.length === 1 ? 'an image' : 'images'} this runner's Docker does not have: ${missingLocal.join(', ')}. Build or pull ${missingLocal.length === 1 ? 'it' : 'them'} first (docker image inspect must find ${missingLocal.length === 1 ? 'it' : 'each'}), or drop ${missingLocal.length === 1 ? 'it' : 'them'} from images.`,
      };
      return;
    }
  },
};
