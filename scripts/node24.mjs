// Runs a command under Node 24, the product's runtime, fetching it from the npm registry when the
// machine's node is older (the package node-linux-<arch>@24 ships the binary; its integrity is pinned).
//   node scripts/node24.mjs CMD [ARGS...]   run CMD with Node 24 first on PATH
//   node scripts/node24.mjs --bin-dir       print the directory holding Node 24's `node`
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '24.21.0';
// npm's `dist.integrity` of each package at VERSION.
const INTEGRITY = {
  x64: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function binDir() {
  if (Number(process.versions.node.split('.')[0]) >= 24) return dirname(process.execPath);
  const integrity = INTEGRITY[process.arch];
  if (process.platform !== 'linux' || !integrity) {
    throw new Error(
      `Node 24 is needed; no pinned bootstrap for ${process.platform}/${process.arch}: install Node 24`,
    );
  }
  const cache = join(root, '.cache', `node-${VERSION}-${process.arch}`);
  const bin = join(cache, 'package', 'bin');
  if (existsSync(join(bin, 'node'))) return bin;
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const pkg = `node-linux-${process.arch}@${VERSION}`;
  const packed = spawnSync('npm', ['pack', '--silent', pkg], {
    cwd: cache,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (packed.status !== 0) throw new Error(`npm pack ${pkg} failed`);
  const tgz = readdirSync(cache).find((f) => f.endsWith('.tgz'));
  const got = `sha512-${createHash('sha512')
    .update(readFileSync(join(cache, tgz)))
    .digest('base64')}`;
  if (got !== integrity) {
    rmSync(cache, { recursive: true, force: true });
    throw new Error(`${pkg}: integrity mismatch (expected ${integrity}, got ${got}); nothing was extracted`);
  }
  const tar = spawnSync('tar', ['-xzf', join(cache, tgz), '-C', cache], { stdio: 'inherit' });
  if (tar.status !== 0) throw new Error(`extracting ${tgz} failed`);
  return bin;
}

const [cmd, ...args] = process.argv.slice(2);
try {
  const dir = binDir();
  if (cmd === '--bin-dir') {
    process.stdout.write(`${dir}\n`);
  } else if (!cmd) {
    throw new Error('usage: node scripts/node24.mjs CMD [ARGS...] | --bin-dir');
  } else {
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` };
    const r = spawnSync(cmd, args, { stdio: 'inherit', env });
    process.exitCode = r.status ?? 1;
  }
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
