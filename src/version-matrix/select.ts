import { InputError, parseCellConfig, type InputProblem } from '../config/cell-config.js';
import { cliNaming, type InputName, type InputNaming } from '../config/inputs.js';
import { compareVersions, minorOf, parseVersion, stripV } from '../util/version.js';
import {
  CALICO_RELEASES,
  DEFAULT_KUBERNETES,
  ISTIO_RELEASES,
  MIN_KUBERNETES,
  knownKubernetesVersions,
  lookupCalico,
  lookupIstio,
  lookupNodeImage,
  type Lookup,
} from '../catalog/index.js';
import { resolveCell, worstSupport, type SupportStatus } from '../resolve/cell.js';

/**
 * Version ranges for `versions --matrix`, one per axis (Calico, Istio, Kubernetes):
 *
 *   3.29 | v3.29      exact minor: its newest known patch
 *   v3.29.5 | 1.28.1  exact patch (any patch up to the newest the catalog knows)
 *   >=3.29  <=1.28    every catalog minor at or above / at or below the bound
 *   1.22-1.28         inclusive range (A ≤ B)
 *   *                 every minor in the catalog
 *   a,b,c             union of any of the above
 *
 * A bound without a patch compares minors; with a patch it compares the newest patch of each minor.
 * Ranges select among catalog minors, each as its newest patch (Kubernetes: the newest pinned kind
 * node image). The `v` prefix is optional everywhere. Omitted: every Calico, every Istio, Kubernetes
 * DEFAULT_KUBERNETES.
 */
export type Axis = 'calico' | 'istio' | 'kubernetes';

export interface MatrixRanges {
  readonly calico?: string;
  readonly istio?: string;
  readonly kubernetes?: string;
}

/** One job of the GitHub Actions matrix. */
export interface MatrixEntry {
  readonly id: string;
  readonly kubernetes: string;
  readonly calico: string;
  readonly istio: string;
  /** Every component within its window and free of known defects. */
  readonly supported: boolean;
  /** The worst standing of any component: known-defect > outside-window > supported. */
  readonly support: SupportStatus;
  /** Id of the known defect the cell carries, or ''. */
  readonly knownDefect: string;
  /** The known defect as the report shows it (the report reads no catalog). */
  readonly defect?: { readonly id: string; readonly title: string; readonly issue: string };
  /** Each component's standing, one line each, as the report shows a cell without a result. */
  readonly notes: readonly {
    readonly component: string;
    readonly status: SupportStatus;
    readonly detail: string;
  }[];
}

export interface ActionsMatrix {
  readonly include: MatrixEntry[];
}

/** GitHub refuses a matrix with more jobs than this. */
export const MAX_MATRIX_JOBS = 256;

export const RANGE_SYNTAX: Readonly<Record<Axis, string>> = {
  calico: "3.29, v3.31.7, '>=3.29', '<=3.31', 3.29-3.31, '*' or a comma list of these",
  istio: "1.28, 1.28.1, '>=1.22', '<=1.28', 1.22-1.28, '*' or a comma list of these",
  kubernetes: "1.34, 1.34.3, '>=1.33', '<=1.34', 1.32-1.34, '*' or a comma list of these",
};

const INPUT_OF: Readonly<Record<Axis, InputName>> = {
  calico: 'calico-version',
  istio: 'istio-version',
  kubernetes: 'kubernetes-version',
};

interface Axes {
  readonly candidates: () => string[];
  readonly exact: (spec: string) => Lookup<string>;
  readonly label: string;
}

function newestPatchPerMinor(versions: readonly string[]): string[] {
  const best = new Map<string, string>();
  for (const v of versions) {
    const p = parseVersion(v);
    if (!p) continue;
    const m = minorOf(p);
    const cur = best.get(m);
    if (!cur || compareVersions(v, cur) > 0) best.set(m, v);
  }
  return [...best.values()];
}

const mapLookup = <T, U>(res: Lookup<T>, f: (v: T) => U): Lookup<U> =>
  res.ok ? { ok: true, value: f(res.value) } : res;

const AXES: Readonly<Record<Axis, Axes>> = {
  calico: {
    label: 'Calico',
    candidates: () => CALICO_RELEASES.map((r) => r.latest),
    exact: (s) => mapLookup(lookupCalico(s), (v) => v.version),
  },
  istio: {
    label: 'Istio',
    candidates: () => ISTIO_RELEASES.map((r) => r.latest),
    exact: (s) => mapLookup(lookupIstio(stripV(s)), (v) => v.version),
  },
  kubernetes: {
    label: 'Kubernetes',
    candidates: () =>
      newestPatchPerMinor(knownKubernetesVersions()).filter(
        (v) => compareVersions(minorOf(parseVersion(v)!), MIN_KUBERNETES) >= 0,
      ),
    exact: (s) => mapLookup(lookupNodeImage(stripV(s)), (v) => v.kubernetes),
  },
};

type Term = { kind: 'all' } | { kind: 'exact'; text: string } | { kind: 'range'; min?: string; max?: string };

/** Compares a candidate's full version with a bound, at the bound's precision. */
function cmpBound(candidate: string, bound: string): number {
  const b = parseVersion(bound)!;
  return b.patch === undefined
    ? compareVersions(minorOf(parseVersion(candidate)!), minorOf(b))
    : compareVersions(candidate, bound);
}

class RangeProblem extends Error {}

function parseTerm(raw: string): Term {
  const t = raw.trim();
  const version = (s: string, whole: string) => {
    const v = s.trim();
    if (!parseVersion(v))
      throw new RangeProblem(
        `is not a range: in ${JSON.stringify(whole)}, ${JSON.stringify(v)} is not a version`,
      );
    return v;
  };
  if (t === '') throw new RangeProblem('has an empty term (a stray comma?)');
  if (t === '*') return { kind: 'all' };
  if (t.startsWith('>=')) return { kind: 'range', min: version(t.slice(2), t) };
  if (t.startsWith('<=')) return { kind: 'range', max: version(t.slice(2), t) };
  if (t.includes('-')) {
    const parts = t.split('-');
    if (parts.length !== 2)
      throw new RangeProblem(`is not a range: ${JSON.stringify(t)} is not of the form A-B`);
    const min = version(parts[0]!, t);
    const max = version(parts[1]!, t);
    if (compareVersions(min, max) > 0)
      throw new RangeProblem(`is not a range: ${JSON.stringify(t)} has its bounds reversed`);
    return { kind: 'range', min, max };
  }
  return { kind: 'exact', text: version(t, t) };
}

/** The full versions a range selects on one axis, ascending; throws RangeProblem with the reason. */
function select(axis: Axis, text: string): string[] {
  const ax = AXES[axis];
  const candidates = ax.candidates();
  const chosen = new Set<string>();
  for (const raw of text.split(',')) {
    const term = parseTerm(raw);
    if (term.kind === 'all') {
      candidates.forEach((c) => chosen.add(c));
    } else if (term.kind === 'exact') {
      const found = ax.exact(term.text);
      if (!found.ok) {
        const whole = raw.trim() === text.trim();
        throw new RangeProblem(whole ? found.why : `${found.why} (term ${JSON.stringify(raw.trim())})`);
      }
      chosen.add(found.value);
    } else {
      const hits = candidates.filter(
        (c) =>
          (term.min === undefined || cmpBound(c, term.min) >= 0) &&
          (term.max === undefined || cmpBound(c, term.max) <= 0),
      );
      if (hits.length === 0)
        throw new RangeProblem(
          `matches no ${ax.label} release in the catalog with ${JSON.stringify(raw.trim())}`,
        );
      hits.forEach((c) => chosen.add(c));
    }
  }
  return [...chosen].sort(compareVersions);
}

/** Versions one axis selects; throws InputError naming the option. */
export function selectVersions(axis: Axis, text: string, naming: InputNaming = cliNaming): string[] {
  try {
    return select(axis, text);
  } catch (e) {
    if (!(e instanceof RangeProblem)) throw e;
    throw new InputError([problem(axis, text, e.message)], naming);
  }
}

function problem(axis: Axis, value: string, why: string): InputProblem {
  const known = AXES[axis].candidates().sort(compareVersions).join(', ');
  return { input: INPUT_OF[axis], value, why, accepted: `${RANGE_SYNTAX[axis]}; catalog: ${known}` };
}

/**
 * The GitHub Actions matrix (`{"include": [...]}`) of every Kubernetes × Calico × Istio cell the
 * ranges select, each resolved through the same config validation and catalog as a run.
 * Bad ranges (every axis checked) throw one InputError.
 */
export function actionsMatrix(ranges: MatrixRanges, naming: InputNaming = cliNaming): ActionsMatrix {
  const texts: Record<Axis, string> = {
    calico: ranges.calico ?? '*',
    istio: ranges.istio ?? '*',
    kubernetes: ranges.kubernetes ?? DEFAULT_KUBERNETES,
  };
  const problems: InputProblem[] = [];
  const picked = {} as Record<Axis, string[]>;
  for (const axis of ['kubernetes', 'calico', 'istio'] as const) {
    try {
      picked[axis] = select(axis, texts[axis]);
    } catch (e) {
      if (!(e instanceof RangeProblem)) throw e;
      problems.push(problem(axis, texts[axis], e.message));
    }
  }
  if (problems.length > 0) throw new InputError(problems, naming);

  const include: MatrixEntry[] = [];
  for (const kubernetes of picked.kubernetes)
    for (const calico of picked.calico)
      for (const istio of picked.istio) {
        const cell = resolveCell(
          parseCellConfig(
            { 'kubernetes-version': kubernetes, 'calico-version': calico, 'istio-version': istio },
            naming,
          ),
        );
        const worst = worstSupport(cell);
        include.push({
          id: cell.id,
          kubernetes: cell.kubernetes.version,
          calico: cell.calico.version,
          istio: cell.istio.version,
          supported: worst === 'supported',
          support: worst,
          knownDefect: cell.calico.defect?.id ?? '',
          ...(cell.calico.defect
            ? {
                defect: {
                  id: cell.calico.defect.id,
                  title: cell.calico.defect.title,
                  issue: cell.calico.defect.issue,
                },
              }
            : {}),
          notes: cell.support.map((s) => ({ component: s.component, status: s.status, detail: s.detail })),
        });
      }
  if (include.length > MAX_MATRIX_JOBS) {
    // Blame a range the user gave (a default is not theirs to narrow), the widest of those.
    const given = (['kubernetes', 'calico', 'istio'] as const).filter((a) => ranges[a] !== undefined);
    const widest = (given.length > 0 ? given : (['kubernetes', 'calico', 'istio'] as const)).reduce((a, b) =>
      picked[b].length > picked[a].length ? b : a,
    );
    const why = `with the other ranges selects ${include.length} cells (${picked.kubernetes.length} Kubernetes × ${picked.calico.length} Calico × ${picked.istio.length} Istio), more than the ${MAX_MATRIX_JOBS} jobs GitHub runs per matrix`;
    throw new InputError(
      [{ input: INPUT_OF[widest], value: texts[widest], why, accepted: 'narrower ranges' }],
      naming,
    );
  }
  return { include };
}
