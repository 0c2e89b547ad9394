// Shared by the fake kind, kubectl, istioctl and docker: the transcript, the scenario and the cluster
// state they keep between calls (a JSON file), so later calls answer from what earlier ones did.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { loadAll } from 'js-yaml';

export const BOUTIQUE_SERVICES = [
  'adservice',
  'cartservice',
  'checkoutservice',
  'currencyservice',
  'emailservice',
  'frontend',
  'paymentservice',
  'productcatalogservice',
  'recommendationservice',
  'shippingservice',
];
export const CANARY = 'dikastes-gateway-canary';

/** The scenario ($FAKE_SCENARIO, JSON): what goes wrong, how fast time runs, what versions the tools report. */
export function scenario() {
  const file = process.env.FAKE_SCENARIO;
  const s = file && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  return {
    timeScale: 0.001,
    versions: { kind: 'v0.32.0', kubectl: 'v1.34.8', istioctl: '1.28.1' },
    ...s,
    stateDir: s.stateDir ?? (file ? join(dirname(file), 'state') : join(process.cwd(), '.fake-state')),
  };
}

export function record(tool, argv, stdin = '') {
  const file = process.env.FAKE_TRANSCRIPT;
  if (!file) return;
  const line = {
    tool,
    argv,
    stdin,
    cwd: process.cwd(),
    kubeconfig: process.env.KUBECONFIG ?? null,
    bin: process.argv[1],
    at: Date.now(),
  };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

const EMPTY = {
  clusters: {},
  kindCreateAttempts: 0,
  objects: {},
  felix: {},
  istio: null,
  legacyPatch: false,
  namespaceLabels: {},
  boutique: false,
  canary: false,
  policies: {},
};

function stateFile(s) {
  return join(s.stateDir, 'state.json');
}

export function readState(s = scenario()) {
  const f = stateFile(s);
  if (!existsSync(f)) return structuredClone({ ...EMPTY, ...(s.initialState ?? {}) });
  return JSON.parse(readFileSync(f, 'utf8'));
}

function holderGone(lock) {
  try {
    process.kill(Number(readFileSync(join(lock, 'pid'), 'utf8')), 0);
    return false;
  } catch (e) {
    return e.code === 'ESRCH';
  }
}

/**
 * Read, change, write atomically (rename), under a lock held across processes (mkdir is atomic): fake
 * tools run concurrently, and like a real API server the fake cluster must not lose an update.
 */
export function updateState(fn, s = scenario()) {
  mkdirSync(s.stateDir, { recursive: true });
  const lock = `${stateFile(s)}.lock`;
  const tick = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; ; waited += 2) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      // A holder killed mid-update (a cancelled kubectl exec) is gone: its lock is taken over at once.
      if (holderGone(lock)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      // A holder that died leaves the lock behind: after 10 s it is taken over.
      if (waited > 10_000) break;
      Atomics.wait(tick, 0, 0, 2);
    }
  }
  try {
    const state = readState(s);
    fn(state);
    const tmp = `${stateFile(s)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state, null, 2));
    renameSync(tmp, stateFile(s));
    return state;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function docsOf(file) {
  return loadAll(readFileSync(file, 'utf8')).filter((d) => d && typeof d === 'object' && d.kind);
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export function readStdin() {
  if (process.stdin.isTTY) return Promise.resolve('');
  return new Promise((resolve) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c) => (data += c));
    process.stdin.on('end', () => resolve(data));
    process.stdin.on('error', () => resolve(data));
  });
}

export function fail(message, code = 1) {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  process.exit(code);
}

/** Flags of the form --name=value or --name value, and the positional words. */
export function parseArgs(argv, valued = []) {
  const flags = {};
  const words = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--') && a.includes('=')) {
      const eq = a.indexOf('=');
      flags[a.slice(2, eq)] = a.slice(eq + 1);
    } else if (a.startsWith('-') && valued.includes(a)) {
      flags[a.replace(/^-+/, '')] = argv[++i];
    } else if (a.startsWith('-')) {
      flags[a.replace(/^-+/, '')] = true;
    } else words.push(a);
  }
  return { flags, words };
}

/** `--timeout=900s` scaled by the scenario, in ms. */
export function scaledTimeout(value, s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(value ?? '30s'));
  const n = m ? Number(m[1]) : 30;
  const ms = !m || m[2] === 's' || !m[2] ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
  return Math.max(1, ms * s.timeScale);
}
