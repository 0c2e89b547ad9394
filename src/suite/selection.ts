import type { ExpectSpec, SuiteSpec } from './schema.js';

/**
 * `--test` / input `test`: choosing which expectations of a suite are probed, as cilium-cli's
 * `connectivity test --test` chooses scenarios (cilium/cilium-cli @ v0.19.7, vendored
 * cilium-cli/cli/connectivity.go: a comma-separated string slice, `!` prefix → SkipTests, each
 * compiled as a regexp; connectivity/check/check.go `testEnabled`; check/test.go `scenarioName`).
 * Every filter is an unanchored regular expression; a leading `!` makes it an exclusion; an exclusion
 * that matches wins; otherwise any inclusion that matches selects; with no inclusions everything not
 * excluded is selected. The name matched is `step/expectation` (cilium: `test/scenario`), so
 * `baseline` selects a whole step and `/GET /product` one expectation in every step.
 */

/** Bounds on the filter list: it is a handful of names, and every regex runs against every name. */
export const SELECTION_LIMITS = { filters: 50, filterChars: 200 } as const;

export interface TestSelection {
  /** The filters as given, for the results. */
  readonly filters: readonly string[];
  readonly include: readonly RegExp[];
  readonly exclude: readonly RegExp[];
}

/** One refused filter: the text and why. */
export interface FilterProblem {
  readonly filter: string;
  readonly why: string;
}

/** `a,b` and one filter per line both work (cilium's flag is a comma-separated string slice). */
export function splitTestFilters(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Compiles the filters, or lists every one that is not a usable regular expression. */
export function compileTestFilters(
  filters: readonly string[],
): { ok: true; selection: TestSelection } | { ok: false; problems: FilterProblem[] } {
  const problems: FilterProblem[] = [];
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  if (filters.length > SELECTION_LIMITS.filters)
    problems.push({ filter: filters.join(','), why: `lists more than ${SELECTION_LIMITS.filters} filters` });
  for (const filter of filters) {
    const negated = filter.startsWith('!');
    const source = negated ? filter.slice(1) : filter;
    if (filter.length > SELECTION_LIMITS.filterChars) {
      problems.push({ filter, why: `is longer than ${SELECTION_LIMITS.filterChars} characters` });
      continue;
    }
    if (source === '') {
      problems.push({ filter, why: 'is empty after `!`' });
      continue;
    }
    try {
      (negated ? exclude : include).push(new RegExp(source, 'u'));
    } catch (e) {
      problems.push({
        filter,
        why: `is not a regular expression (${e instanceof Error ? e.message : String(e)})`,
      });
    }
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, selection: { filters: [...filters], include, exclude } };
}

/** The name an expectation is reported and selected by: its own, or `METHOD /path`. */
export function expectationName(e: Pick<ExpectSpec, 'name' | 'request'>): string {
  return e.name ?? `${e.request.method} ${e.request.path}`;
}

/** cilium's `testEnabled`: an exclusion wins, then any inclusion; no inclusions means everything. */
export function testEnabled(sel: TestSelection, name: string): boolean {
  if (sel.exclude.some((re) => re.test(name))) return false;
  if (sel.include.some((re) => re.test(name))) return true;
  return sel.include.length === 0;
}

/** Which expectations of each step are selected (by index), and counts for messages. */
export interface SuiteSelection {
  readonly steps: readonly { readonly name: string; readonly selected: readonly boolean[] }[];
  readonly selectedSteps: number;
  readonly selectedExpectations: number;
  readonly totalExpectations: number;
  /** Index of the last step with a selected expectation, -1 when nothing is selected. */
  readonly lastSelectedStep: number;
}

export function selectSuite(spec: Pick<SuiteSpec, 'steps'>, sel: TestSelection | undefined): SuiteSelection {
  const steps = spec.steps.map((step) => ({
    name: step.name,
    selected: step.expect.map((e) => !sel || testEnabled(sel, `${step.name}/${expectationName(e)}`)),
  }));
  const count = (xs: readonly boolean[]) => xs.filter(Boolean).length;
  return {
    steps,
    selectedSteps: steps.filter((s) => s.selected.some(Boolean)).length,
    selectedExpectations: steps.reduce((n, s) => n + count(s.selected), 0),
    totalExpectations: steps.reduce((n, s) => n + s.selected.length, 0),
    lastSelectedStep: steps.findLastIndex((s) => s.selected.some(Boolean)),
  };
}

/** How a selection is named in messages: `--test baseline,!deny`. */
export const describeFilters = (filters: readonly string[]) => filters.join(',');
