import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { loadAll, YAMLException } from 'js-yaml';
import type { z } from 'zod';
import { InputError } from '../config/cell-config.js';
import type { InputNaming } from '../config/inputs.js';
import { SUITE_LIMITS, SuiteSchema, type SuiteSpec } from './schema.js';
import { YamlPositions, type YamlPath } from './yaml-positions.js';

/** One thing wrong with a suite file: where, which field, what. */
export interface SuiteProblem {
  readonly file: string;
  /** 1-based; absent when the file could not be read at all. */
  readonly line?: number;
  /** Dotted field path such as `steps[1].expect[0].verdict`; empty for the whole file. */
  readonly field: string;
  readonly message: string;
}

export class SuiteError extends Error {
  constructor(readonly problems: readonly SuiteProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'SuiteError';
  }
}

export function formatProblem(p: SuiteProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return `${where}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

export interface LoadedSuite {
  /** Absolute path of the suite file. */
  readonly file: string;
  readonly spec: SuiteSpec;
  /** Manifest path as written in the suite → absolute path. */
  readonly manifests: ReadonlyMap<string, string>;
}

export function formatPath(path: YamlPath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  element?: { _zod: { def: SchemaDef } };
  innerType?: { _zod: { def: SchemaDef } };
  in?: { _zod: { def: SchemaDef } };
  valueType?: { _zod: { def: SchemaDef } };
}

/** Field names a mapping at `path` accepts, read from the schema itself. */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let def = (SuiteSchema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  const unwrap = () => {
    for (let i = 0; i < 10; i++) {
      const next = def.innerType ?? def.in;
      if (!next) return;
      def = next._zod.def;
    }
  };
  unwrap();
  for (const p of path) {
    const next =
      def.type === 'object'
        ? def.shape?.[String(p)]
        : def.type === 'array'
          ? def.element
          : def.type === 'record'
            ? def.valueType
            : undefined;
    if (!next) return [];
    def = next._zod.def;
    unwrap();
  }
  return def.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

function issueMessage(issue: z.core.$ZodIssue, data: unknown): string {
  const value = valueAt(data, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined
        ? `is required (${issue.expected})`
        : `must be ${issue.expected}, got ${typeName(value)}`;
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
      const want = issue.values.length === 1 ? allowed : `one of ${allowed}`;
      return value === undefined ? `is required: ${want}` : `must be ${want}, got ${typeName(value)}`;
    }
    case 'too_small':
      if (issue.origin === 'array')
        return issue.message.startsWith('must')
          ? issue.message
          : `needs at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be at least ${String(issue.minimum)}, got ${typeName(value)}`;
    case 'invalid_key':
      return `field name ${issue.issues.map((i) => i.message).join('; ')}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}, got ${typeName(value)}`;
    default:
      return issue.message;
  }
}

/** zod issues → problems with lines; an unknown field is reported at its own line, one problem per key. */
export function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  data: unknown,
  positions: YamlPositions,
  file: string,
): SuiteProblem[] {
  const out: SuiteProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const accepted = knownKeys(path);
      for (const key of issue.keys) {
        out.push({
          file,
          line: positions.lineFor([...path, key]),
          field: formatPath([...path, key]),
          message: `unknown field${accepted.length ? `; accepted: ${accepted.join(', ')}` : ''}`,
        });
      }
      continue;
    }
    out.push({
      file,
      line: positions.lineFor(path),
      field: formatPath(path),
      message: issueMessage(issue, data),
    });
  }
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** Parses and validates suite text (no file access); `file` only names it in errors. */
export function parseSuiteText(text: string, file: string): { spec: SuiteSpec; positions: YamlPositions } {
  if (Buffer.byteLength(text) > SUITE_LIMITS.fileBytes) throw new SuiteError([tooBig(file)]);
  let docs: unknown[];
  try {
    docs = loadAll(text, { filename: file });
  } catch (e) {
    if (e instanceof YAMLException) {
      throw new SuiteError([
        {
          file,
          ...(e.mark ? { line: e.mark.line + 1 } : {}),
          field: '',
          message: `not valid YAML: ${e.reason}`,
        },
      ]);
    }
    throw e;
  }
  const real = docs.filter((d) => d !== null && d !== undefined);
  if (real.length === 0)
    throw new SuiteError([{ file, line: 1, field: '', message: 'is empty; expected a Suite' }]);
  if (docs.length > 1) {
    throw new SuiteError([
      { file, line: 1, field: '', message: `holds ${docs.length} YAML documents; a suite file holds one` },
    ]);
  }
  const data = real[0];
  const positions = new YamlPositions(text);
  const parsed = SuiteSchema.safeParse(data);
  if (!parsed.success) throw new SuiteError(problemsFromIssues(parsed.error.issues, data, positions, file));
  return { spec: parsed.data, positions };
}

function tooBig(file: string): SuiteProblem {
  return {
    file,
    field: '',
    message: `is larger than ${SUITE_LIMITS.fileBytes / 1024 / 1024} MiB; a suite is a short list of steps`,
  };
}

/** Whether path is dir itself or inside it. */
function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Reads, validates and resolves a suite file; every manifest it names must exist. No side effects. */
export async function loadSuite(suiteFile: string): Promise<LoadedSuite> {
  const file = resolve(suiteFile);
  const shown = relative(process.cwd(), file) || file;
  let text: string;
  try {
    // Sized before it is read: an oversize file is refused without holding it in memory.
    const st = await stat(file);
    if (st.isFile() && st.size > SUITE_LIMITS.fileBytes) throw new SuiteError([tooBig(shown)]);
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof SuiteError) throw e;
    const code = (e as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory, not a suite file'
          : `cannot be read (${code ?? String(e)})`;
    throw new SuiteError([{ file: shown, field: '', message: why }]);
  }
  const { spec, positions } = parseSuiteText(text, shown);
  const dir = dirname(file);
  // Symlinks count: a manifest must really live in the suite's folder.
  const realDir = await realpath(dir).catch(() => dir);
  const manifests = new Map<string, string>();
  const problems: SuiteProblem[] = [];
  for (const [i, step] of spec.steps.entries()) {
    for (const list of ['apply', 'delete'] as const) {
      for (const [j, rel] of step[list].entries()) {
        const abs = resolve(dir, rel);
        if (manifests.has(rel)) continue;
        const st = await stat(abs).catch(() => undefined);
        if (!st?.isFile()) {
          problems.push({
            file: shown,
            line: positions.lineFor(['steps', i, list, j]),
            field: formatPath(['steps', i, list, j]),
            message: `manifest ${rel} ${st ? 'is not a file' : 'does not exist'} (looked for ${abs})`,
          });
          continue;
        }
        const real = await realpath(abs).catch(() => abs);
        if (!inside(dir, abs) || !inside(realDir, real)) {
          problems.push({
            file: shown,
            line: positions.lineFor(['steps', i, list, j]),
            field: formatPath(['steps', i, list, j]),
            message: `manifest ${rel} is outside the suite's folder ${dir} (it resolves to ${real})`,
          });
          continue;
        }
        manifests.set(rel, abs);
      }
    }
  }
  if (problems.length) throw new SuiteError(problems);
  return { file, spec, manifests };
}

/**
 * The `suite` input checked as `run` would check it, for commands that only plan: a missing or invalid
 * suite is an input error (exit 2), not a plan that fails later.
 */
export async function validateSuiteInput(
  suite: string | undefined,
  cwd: string,
  naming: InputNaming,
): Promise<void> {
  if (!suite) return;
  try {
    await loadSuite(resolve(cwd, suite));
  } catch (e) {
    throw new InputError(
      [
        {
          input: 'suite',
          value: suite,
          why: `is not a valid suite: ${e instanceof Error ? e.message : String(e)}`,
          accepted: 'a suite YAML file (apiVersion calico-istio-conformance/v1, kind Suite)',
        },
      ],
      naming,
    );
  }
}
