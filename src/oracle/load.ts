import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { loadAll, YAMLException } from 'js-yaml';
import { YamlPositions, type YamlPath } from '../suite/yaml-positions.js';
import {
  VERDICTS,
  type Case,
  type Endpoint,
  type NamedPort,
  type Policy,
  type Tier,
  type Verdict,
  type World,
} from './model.js';
import { cidr, parseObject, type ObjectProblem } from './objects.js';
import type { Labels } from './selector.js';

/** One thing wrong with the input: file, line, field, what. */
export interface OracleProblem {
  readonly file: string;
  readonly line?: number;
  readonly field: string;
  readonly message: string;
}

export class OracleInputError extends Error {
  constructor(readonly problems: readonly OracleProblem[]) {
    super(problems.map(formatOracleProblem).join('\n'));
    this.name = 'OracleInputError';
  }
}

export function formatOracleProblem(p: OracleProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return `${where}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

export function formatField(path: YamlPath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

/** The Istio ingress gateway, the source a case gets when it names none (the harness probes through it). */
export const DEFAULT_FROM: Endpoint = {
  namespace: 'istio-system',
  labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
  serviceAccount: 'istio-ingressgateway-service-account',
  ip: '10.1.0.9',
  ports: [],
};

export interface LoadedCases {
  readonly file: string;
  /** `calico:` as written, and its line; the CLI resolves it (with --calico first). */
  readonly calico?: { readonly spec: string; readonly line: number };
  readonly world: World;
  readonly cases: readonly Case[];
  /** Source line of each case, for errors found while evaluating it. */
  readonly lineOf: (caseIndex: number, field: readonly (string | number)[]) => number;
  readonly ignored: readonly string[];
}

const TOP = ['calico', 'mtls', 'policies', 'objects', 'namespaces', 'cases'];
const ENDPOINT = ['namespace', 'labels', 'serviceAccount', 'ip', 'ports'];
const MAX_BYTES = 8 * 1024 * 1024;
const REQUEST_PATH_RE = /^\/[^\s#]*$/;
const METHOD_RE = /^[A-Z]+$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isObj(v)) return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Documents of a YAML text, each with the line positions of its nodes. */
function documents(text: string, file: string): { doc: unknown; lineFor: (p: YamlPath) => number }[] {
  let docs: unknown[];
  try {
    docs = loadAll(text, { filename: file });
  } catch (e) {
    if (e instanceof YAMLException)
      throw new OracleInputError([
        {
          file,
          ...(e.mark ? { line: e.mark.line + 1 } : {}),
          field: '',
          message: `not valid YAML: ${e.reason}`,
        },
      ]);
    throw e;
  }
  // Split at `---` lines so each document gets its own positions (YamlPositions reads the first).
  const lines = text.split('\n');
  const starts: number[] = [];
  lines.forEach((l, i) => {
    if (/^---(\s|$)/.test(l)) starts.push(i);
  });
  const chunks: { text: string; offset: number }[] = [];
  let from = 0;
  for (const s of starts) {
    if (lines.slice(from, s).some((l) => l.trim() && !l.trim().startsWith('#')))
      chunks.push({ text: lines.slice(from, s).join('\n'), offset: from });
    from = s + 1;
  }
  chunks.push({ text: lines.slice(from).join('\n'), offset: from });
  const real = docs.filter((d) => d !== null && d !== undefined);
  return real.map((doc, i) => {
    const chunk = chunks[i];
    const positions = chunk ? new YamlPositions(chunk.text) : undefined;
    return { doc, lineFor: (p: YamlPath) => (positions && chunk ? positions.lineFor(p) + chunk.offset : 1) };
  });
}

async function readText(abs: string, shown: string): Promise<string> {
  try {
    const st = await stat(abs);
    if (st.isFile() && st.size > MAX_BYTES)
      throw new OracleInputError([{ file: shown, field: '', message: 'is larger than 8 MiB' }]);
    return await readFile(abs, 'utf8');
  } catch (e) {
    if (e instanceof OracleInputError) throw e;
    const code = (e as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory'
          : `cannot be read (${code ?? String(e)})`;
    throw new OracleInputError([{ file: shown, field: '', message: why }]);
  }
}

async function yamlFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await yamlFilesUnder(p)));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

class Collector {
  readonly problems: OracleProblem[] = [];
  constructor(
    readonly file: string,
    readonly lineFor: (p: YamlPath) => number,
  ) {}
  fail(path: YamlPath, message: string): undefined {
    this.problems.push({ file: this.file, line: this.lineFor(path), field: formatField(path), message });
    return undefined;
  }
  keys(o: Obj, path: YamlPath, accepted: readonly string[]): void {
    for (const k of Object.keys(o))
      if (!accepted.includes(k)) this.fail([...path, k], `unknown field; accepted: ${accepted.join(', ')}`);
  }
  labels(v: unknown, path: YamlPath): Labels {
    if (v === undefined) return {};
    if (!isObj(v)) return this.fail(path, `must be a mapping of label to value, got ${typeName(v)}`) ?? {};
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val === 'string') out[k] = val;
      else if (typeof val === 'number' || typeof val === 'boolean')
        this.fail([...path, k], `must be a string (quote it: "${String(val)}")`);
      else this.fail([...path, k], `must be a string, got ${typeName(val)}`);
    }
    return out;
  }
  str(v: unknown, path: YamlPath, fallback: string): string {
    if (v === undefined) return fallback;
    if (typeof v === 'string' && v !== '') return v;
    return this.fail(path, `must be a non-empty string, got ${typeName(v)}`) ?? fallback;
  }
}

function endpoint(
  c: Collector,
  v: unknown,
  path: YamlPath,
  fallback: Endpoint | undefined,
): Endpoint | undefined {
  if (v === undefined) return fallback;
  if (!isObj(v))
    return c.fail(
      path,
      `must be a mapping {namespace, labels, serviceAccount, port, ip}, got ${typeName(v)}`,
    );
  const isTo = path.at(-1) === 'to';
  c.keys(v, path, isTo ? [...ENDPOINT, 'port'] : ENDPOINT);
  if (v.namespace === undefined) c.fail([...path, 'namespace'], 'is required');
  const namespace = c.str(v.namespace, [...path, 'namespace'], 'default');
  if (!DNS_LABEL_RE.test(namespace))
    c.fail([...path, 'namespace'], `${JSON.stringify(namespace)} is not a namespace name`);
  const ip = v.ip === undefined ? undefined : c.str(v.ip, [...path, 'ip'], '');
  if (ip !== undefined && (!cidr(ip) || ip.includes('/')))
    c.fail([...path, 'ip'], `${JSON.stringify(ip)} is not an IPv4 address`);
  const ports: NamedPort[] = [];
  if (v.ports !== undefined) {
    if (!Array.isArray(v.ports)) c.fail([...path, 'ports'], 'must be a list of {name, port, protocol}');
    else
      for (const [i, p] of v.ports.entries()) {
        const at = [...path, 'ports', i];
        if (!isObj(p) || typeof p.name !== 'string' || !Number.isInteger(p.port)) {
          c.fail(at, 'must be {name: http, port: 8080, protocol: TCP} (protocol optional)');
          continue;
        }
        c.keys(p, at, ['name', 'port', 'protocol']);
        ports.push({
          name: p.name,
          port: p.port as number,
          protocol: typeof p.protocol === 'string' ? p.protocol : 'TCP',
        });
      }
  }
  return {
    namespace,
    labels: c.labels(v.labels, [...path, 'labels']),
    serviceAccount: c.str(v.serviceAccount, [...path, 'serviceAccount'], 'default'),
    ...(ip ? { ip } : {}),
    ports,
  };
}

function parseCase(c: Collector, v: unknown, i: number): Case | undefined {
  const path = ['cases', i];
  if (!isObj(v))
    return c.fail(path, `must be a mapping {name, to, from, request, expect}, got ${typeName(v)}`);
  c.keys(v, path, ['name', 'to', 'from', 'request', 'expect']);
  if (v.name === undefined) c.fail([...path, 'name'], 'is required');
  const name = c.str(v.name, [...path, 'name'], `case ${i + 1}`);
  if (v.to === undefined)
    return c.fail([...path, 'to'], 'is required: the target pod {namespace, labels, port}');
  const to = endpoint(c, v.to, [...path, 'to'], undefined);
  const from = endpoint(c, v.from, [...path, 'from'], DEFAULT_FROM);
  const port = isObj(v.to) ? v.to.port : undefined;
  if (port !== undefined && !(Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535))
    c.fail([...path, 'to', 'port'], `must be a port 1-65535, got ${typeName(port)}`);
  const req = v.request === undefined ? {} : v.request;
  if (!isObj(req))
    return c.fail([...path, 'request'], `must be a mapping {method, path, protocol}, got ${typeName(req)}`);
  c.keys(req, [...path, 'request'], ['method', 'path', 'protocol']);
  const method = c.str(req.method, [...path, 'request', 'method'], 'GET');
  if (!METHOD_RE.test(method))
    c.fail(
      [...path, 'request', 'method'],
      `${JSON.stringify(method)} is not an HTTP method such as GET or POST`,
    );
  const reqPath = c.str(req.path, [...path, 'request', 'path'], '/');
  if (!REQUEST_PATH_RE.test(reqPath))
    c.fail(
      [...path, 'request', 'path'],
      `${JSON.stringify(reqPath)} must start with "/" and hold no space or "#" (what a client sends)`,
    );
  const protocol = c.str(req.protocol, [...path, 'request', 'protocol'], 'TCP').toUpperCase();
  if (!['TCP', 'UDP', 'SCTP'].includes(protocol))
    c.fail([...path, 'request', 'protocol'], `must be TCP, UDP or SCTP, got ${JSON.stringify(req.protocol)}`);
  let expect: Verdict | undefined;
  if (v.expect !== undefined) {
    if (VERDICTS.includes(v.expect as Verdict)) expect = v.expect as Verdict;
    else c.fail([...path, 'expect'], `must be one of ${VERDICTS.join(', ')}, got ${typeName(v.expect)}`);
  }
  if (!to || !from) return undefined;
  return {
    name,
    to: { ...to, port: typeof port === 'number' ? port : 8080 },
    from,
    request: { method, path: reqPath, protocol },
    ...(expect ? { expect } : {}),
  };
}

interface Sink {
  policies: Policy[];
  tiers: Map<string, Tier>;
  namespaces: Map<string, Labels>;
  serviceAccounts: Map<string, Labels>;
  ignored: string[];
  problems: OracleProblem[];
  seen: Map<string, string>;
}

function addObject(
  sink: Sink,
  doc: unknown,
  file: string,
  where: string,
  lineFor: (p: YamlPath) => number,
  base: YamlPath,
): void {
  const { parsed, problems } = parseObject(doc, where);
  const toProblem = (p: ObjectProblem): OracleProblem => ({
    file,
    line: lineFor([...base, ...p.path]),
    field: formatField([...base, ...p.path]),
    message: p.message,
  });
  sink.problems.push(...problems.map(toProblem));
  if (!parsed) return;
  const dup = (key: string, what: string) => {
    const before = sink.seen.get(key);
    if (before) {
      sink.problems.push(
        toProblem({ path: ['metadata', 'name'], message: `${what} is defined twice (first in ${before})` }),
      );
      return true;
    }
    sink.seen.set(key, where);
    return false;
  };
  switch (parsed.type) {
    case 'policy': {
      const p = parsed.policy;
      if (
        !dup(
          `${p.kind}/${p.namespace ?? ''}/${p.name}`,
          `${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name}`,
        )
      )
        sink.policies.push(p);
      break;
    }
    case 'tier':
      if (!dup(`Tier/${parsed.tier.name}`, `Tier ${parsed.tier.name}`))
        sink.tiers.set(parsed.tier.name, parsed.tier);
      break;
    case 'namespace':
      sink.namespaces.set(parsed.name, { ...sink.namespaces.get(parsed.name), ...parsed.labels });
      break;
    case 'serviceAccount':
      sink.serviceAccounts.set(`${parsed.namespace}/${parsed.name}`, parsed.labels);
      break;
    case 'ignored':
      sink.ignored.push(`${where}: ${parsed.why}`);
  }
}

/** Reads CASES.yaml and every policy file it names; no side effects. Bad input → OracleInputError. */
export async function loadCases(casesFile: string, cwd = process.cwd()): Promise<LoadedCases> {
  const abs = resolve(cwd, casesFile);
  const shown = relative(cwd, abs) || abs;
  const text = await readText(abs, shown);
  const docs = documents(text, shown);
  if (docs.length !== 1)
    throw new OracleInputError([
      {
        file: shown,
        line: 1,
        field: '',
        message: docs.length
          ? `holds ${docs.length} YAML documents; a cases file holds one`
          : 'is empty; expected calico, policies, cases…',
      },
    ]);
  const { doc, lineFor } = docs[0]!;
  const c = new Collector(shown, lineFor);
  if (!isObj(doc))
    throw new OracleInputError([
      { file: shown, line: 1, field: '', message: `must be a mapping with cases, got ${typeName(doc)}` },
    ]);
  c.keys(doc, [], TOP);

  let calico: LoadedCases['calico'];
  if (doc.calico !== undefined) {
    if (typeof doc.calico === 'string') calico = { spec: doc.calico, line: lineFor(['calico']) };
    else c.fail(['calico'], `must be a Calico version such as v3.32.1, got ${typeName(doc.calico)}`);
  }
  let mtls = true;
  if (doc.mtls !== undefined) {
    if (typeof doc.mtls === 'boolean') mtls = doc.mtls;
    else c.fail(['mtls'], `must be true or false, got ${typeName(doc.mtls)}`);
  }

  const sink: Sink = {
    policies: [],
    tiers: new Map(),
    namespaces: new Map(),
    serviceAccounts: new Map(),
    ignored: [],
    problems: c.problems,
    seen: new Map(),
  };

  if (doc.namespaces !== undefined) {
    if (!isObj(doc.namespaces))
      c.fail(['namespaces'], `must be a mapping of namespace to {labels}, got ${typeName(doc.namespaces)}`);
    else
      for (const [ns, v] of Object.entries(doc.namespaces)) {
        const at = ['namespaces', ns];
        if (!isObj(v)) {
          c.fail(at, `must be {labels: {...}}, got ${typeName(v)}`);
          continue;
        }
        c.keys(v, at, ['labels']);
        sink.namespaces.set(ns, c.labels(v.labels, [...at, 'labels']));
      }
  }

  if (doc.objects !== undefined) {
    if (!Array.isArray(doc.objects))
      c.fail(['objects'], `must be a list of objects, got ${typeName(doc.objects)}`);
    else
      doc.objects.forEach((o, i) =>
        addObject(sink, o, shown, `${shown} objects[${i}]`, lineFor, ['objects', i]),
      );
  }

  if (doc.policies !== undefined) {
    const list = Array.isArray(doc.policies) ? doc.policies : [doc.policies];
    for (const [i, entry] of list.entries()) {
      const at: YamlPath = Array.isArray(doc.policies) ? ['policies', i] : ['policies'];
      if (typeof entry !== 'string' || entry === '') {
        c.fail(at, `must be a file or directory path, got ${typeName(entry)}`);
        continue;
      }
      const target = resolve(dirname(abs), entry);
      const st = await stat(target).catch(() => undefined);
      if (!st) {
        c.fail(at, `${entry} does not exist (paths are relative to ${shown})`);
        continue;
      }
      const files = st.isDirectory() ? await yamlFilesUnder(target) : [target];
      if (files.length === 0) c.fail(at, `${entry} holds no .yaml or .yml files`);
      for (const f of files) {
        const fShown = relative(cwd, f) || f;
        const fText = await readText(f, fShown);
        try {
          for (const d of documents(fText, fShown)) addObject(sink, d.doc, fShown, fShown, d.lineFor, []);
        } catch (e) {
          if (e instanceof OracleInputError) sink.problems.push(...e.problems);
          else throw e;
        }
      }
    }
  }

  const cases: Case[] = [];
  if (doc.cases === undefined) c.fail(['cases'], 'is required: a list of {name, to, from, request, expect}');
  else if (!Array.isArray(doc.cases) || doc.cases.length === 0) c.fail(['cases'], 'must be a non-empty list');
  else
    doc.cases.forEach((v, i) => {
      const k = parseCase(c, v, i);
      if (k) cases.push(k);
    });

  // Every tier a policy names must exist (Calico refuses a policy in an unknown tier).
  for (const p of sink.policies)
    if (p.tier !== 'default' && !sink.tiers.has(p.tier))
      sink.problems.push({
        file: p.source.split(' ')[0]!,
        field: 'spec.tier',
        message: `policy ${p.name} names tier ${p.tier}, which no Tier object defines`,
      });

  if (sink.problems.length) throw new OracleInputError(sink.problems);
  return {
    file: shown,
    ...(calico ? { calico } : {}),
    world: {
      policies: sink.policies,
      tiers: sink.tiers,
      namespaces: sink.namespaces,
      serviceAccounts: sink.serviceAccounts,
      mtls,
    },
    cases,
    lineOf: (i, field) => lineFor(['cases', i, ...field]),
    ignored: sink.ignored,
  };
}
