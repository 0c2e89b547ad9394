// Runs a command under Node 24, the product's runtime, fetching it from the npm registry when the
// machine's node is older (the package node-linux-<arch>@<version> ships the binary; its integrity is
// pinned). Node 22 (the oldest the CLI supports) and Node 20 (one it refuses) come the same way, for tests.
//   node scripts/node24.mjs CMD [ARGS...]            run CMD with Node 24 first on PATH
//   node scripts/node24.mjs --bin-dir                print the directory holding Node 24's `node`
//   node scripts/node24.mjs --node 22 --bin-dir      the same for Node 22 (or 20)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// npm's `dist.integrity` of each package at its version.
const RELEASES = {
  24: {
    version: '24.21.0',
    integrity: {
      x64: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
    },
  },
  22: {
    version: '22.23.5',
    integrity: {
      x64: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
    },
  },
  20: {
    version: '20.20.2',
    integrity: {
      x64: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
    },
  },
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function binDir(major) {
  const release = RELEASES[major];
  if (!release) throw new Error(`no pinned Node ${major}; known: ${Object.keys(RELEASES).join(', ')}`);
  // Node 24 is the runtime: any 24+ will do. Other majors are for tests: exactly that one.
  const running = Number(process.versions.node.split('.')[0]);
  if (major === 24 ? running >= 24 : process.versions.node === release.version) {
    return dirname(process.execPath);
  }
  const VERSION = release.version;
  const integrity = release.integrity[process.arch];
  if (process.platform !== 'linux' || !integrity) {
    throw new Error(
      `Node ${major} is needed; no pinned bootstrap for ${process.platform}/${process.arch}: install Node ${major}`,
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

const argv = process.argv.slice(2);
let major = 24;
if (argv[0] === '--node') {
  major = Number(argv[1]);
  argv.splice(0, 2);
}
const [cmd, ...args] = argv;
try {
  const dir = binDir(major);
  if (cmd === '--bin-dir') {
    process.stdout.write(`${dir}\n`);
  } else if (!cmd) {
    throw new Error('usage: node scripts/node24.mjs [--node 24|22|20] CMD [ARGS...] | --bin-dir');
  } else {
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` };
    const r = spawnSync(cmd, args, { stdio: 'inherit', env });
    process.exitCode = r.status ?? 1;
  }
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
