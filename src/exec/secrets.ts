import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import type { Log } from './log.js';

/** kubeconfig fields that hold a credential (users[].user, auth-provider config). */
const SECRET_KEYS = new Set([
  'token',
  'password',
  'client-key-data',
  'client-certificate-data',
  'id-token',
  'refresh-token',
  'access-token',
  'client-secret',
]);

function collect(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) collect(n, out);
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (SECRET_KEYS.has(k) && typeof v === 'string' && v.trim()) {
      out.add(v.trim());
      if (k.endsWith('-data')) {
        // The decoded PEM shows up when a tool prints it: mask that form too.
        const pem = Buffer.from(v.trim(), 'base64').toString('utf8');
        if (pem.includes('-----BEGIN')) out.add(pem.trim());
      }
    } else {
      collect(v, out);
    }
  }
}

/**
 * Every credential in a kubeconfig's text: a JSON kubeconfig is walked, a YAML one (kind writes block
 * style) gives up its `token:` and `*-data:` values line by line, so a damaged file is not a way
 * around the mask either. No YAML parser: the post step loads this, and it must stay small.
 */
export function kubeconfigSecrets(text: string): string[] {
  const out = new Set<string>();
  try {
    collect(JSON.parse(text), out);
  } catch {
    // Not JSON: the line scan below covers YAML.
  }
  for (const m of text.matchAll(
    /^\s*(?:token|password|client-key-data|client-certificate-data|id-token|refresh-token|access-token|client-secret):\s*["']?([^\s"']+)/gm,
  )) {
    out.add(m[1]!);
    if (/-data:/.test(m[0])) {
      const pem = Buffer.from(m[1]!, 'base64').toString('utf8');
      if (pem.includes('-----BEGIN')) out.add(pem.trim());
    }
  }
  return [...out].filter((s) => s.length >= 8);
}

/**
 * Registers the credentials of a kubeconfig with the log (and so with the runner's masking). A missing
 * file is not an error: kind may not have written it yet, a user may have none.
 */
export async function maskKubeconfig(path: string, log: Pick<Log, 'mask'>): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return false;
  }
  for (const s of kubeconfigSecrets(text)) log.mask(s);
  return true;
}

/** The kubeconfig files kubectl reads for the current context (KUBECONFIG list, else ~/.kube/config). */
export function userKubeconfigs(env: NodeJS.ProcessEnv, home: string): string[] {
  const list = (env.KUBECONFIG ?? '').split(':').filter(Boolean);
  return list.length > 0 ? list : [`${home}/.kube/config`];
}

/**
 * Re-reads a kubeconfig only when it changed (kind writes it mid-command) and masks each new credential.
 * Synchronous, so it can run before every streamed output line is logged.
 */
export function kubeconfigWatcher(path: string | undefined, log: Pick<Log, 'mask'>): () => void {
  let seen = '';
  return () => {
    if (!path) return;
    let key: string;
    try {
      const st = statSync(path);
      key = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return;
    }
    if (key === seen) return;
    seen = key;
    try {
      // Ours (kind's, in a private dir): readable by this user only.
      chmodSync(path, 0o600);
      for (const s of kubeconfigSecrets(readFileSync(path, 'utf8'))) log.mask(s);
    } catch {
      seen = '';
    }
  };
}

const PRIVATE_PREFIX = 'cic-kube-';

/** A fresh directory only this user can read (mkdtemp makes it 0700), for the kind kubeconfig. */
export async function privateKubeconfigPath(root: string): Promise<string> {
  const dir = await mkdtemp(join(root, PRIVATE_PREFIX));
  await chmod(dir, 0o700);
  return join(dir, 'kubeconfig');
}

/** Removes a kubeconfig, and its directory when it is one of ours (never a user's own folder). */
export async function removeKubeconfig(path: string): Promise<void> {
  if (!path) return;
  await rm(path, { force: true });
  const dir = dirname(path);
  if (basename(dir).startsWith(PRIVATE_PREFIX)) await rm(dir, { recursive: true, force: true });
}
