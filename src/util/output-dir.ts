import { statfs, stat, access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Pseudo filesystems no output belongs on (Linux magic numbers); `mkdir -p` under /proc never returns. */
const PSEUDO_FS: Readonly<Record<number, string>> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x73636673: 'securityfs',
};

/** An output path that cannot be used; the message is a sentence naming the flag or input. */
export class OutputPathError extends Error {
  override name = 'OutputPathError';
}

const WHY: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the filesystem is read-only',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENOSPC: 'the disk is full',
  EEXIST: 'a file of that name is in the way',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'the path has a symlink loop',
};

/** A one-sentence reason for a filesystem error code. */
export function fsReason(code: string | undefined): string {
  return (code && WHY[code]) ?? `the system refused it (${code ?? 'unknown error'})`;
}

/**
 * Checks, without creating anything, that `dir` can be an output directory: it is a writable
 * directory, or its nearest existing ancestor is one on a real filesystem.
 */
export async function checkOutputDir(dir: string, name: string): Promise<void> {
  const target = resolve(dir);
  let probe = target;
  for (;;) {
    const st = await stat(probe).catch((e: NodeJS.ErrnoException) => e);
    if (!(st instanceof Error)) {
      if (!st.isDirectory()) {
        throw new OutputPathError(
          probe === target
            ? `${name} ${target} is a file, not a directory.`
            : `${name} ${target} cannot be created: ${probe} is a file, not a directory.`,
        );
      }
      break;
    }
    if (st.code !== 'ENOENT') {
      throw new OutputPathError(`${name} ${target} cannot be used: ${fsReason(st.code)} (${probe}).`);
    }
    const up = dirname(probe);
    if (up === probe) break;
    probe = up;
  }
  const fs = await statfs(probe).catch(() => undefined);
  const pseudo = fs ? PSEUDO_FS[fs.type] : undefined;
  if (pseudo) {
    throw new OutputPathError(
      `${name} ${target} is on the ${pseudo} pseudo-filesystem (${probe}); choose a directory on a disk.`,
    );
  }
  try {
    await access(probe, constants.W_OK);
  } catch (e) {
    throw new OutputPathError(
      `${name} ${target} cannot be written: ${fsReason((e as NodeJS.ErrnoException).code)} (${probe}).`,
    );
  }
}
