import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { junitCases, junitGroups, junitXml, MESSAGE_MAX, SETUP_FILE } from '../../src/report/junit.js';
import { loadResults } from '../../src/report/load-results.js';
import type { CellResult } from '../../src/result/schema.js';
import { FIXTURES, REPO_ROOT } from './golden.js';

interface Case {
  '@_classname': string;
  '@_name': string;
  '@_time': string;
  failure?: { '@_message': string; '#text': string };
  error?: { '@_message': string; '#text': string };
  skipped?: { '@_message': string; '#text'?: string };
}
interface Suite {
  '@_name': string;
  '@_file': string;
  '@_package': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  '@_skipped': string;
  '@_time': string;
  testcase: Case[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseAttributeValue: false,
  trimValues: false,
  isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
});

function parse(xml: string): { testsuites: Record<string, string> & { testsuite: Suite[] } } {
  return parser.parse(xml);
}

const { results } = await loadResults([FIXTURES], REPO_ROOT);
const fixture = (name: string) =>
  structuredClone(results.find((l) => l.file === `test/fixtures/results/${name}/results.json`)!.result);

/** What the JUnit must say about a result, tallied straight from results.json. */
function tally(r: CellResult) {
  const phases = r.phases.filter((p) => p.status === 'failed' || p.status === 'timed-out');
  const steps = r.suite?.steps ?? [];
  const exps = steps.flatMap((s) => s.expectations.map((e) => ({ s, e })));
  const judged = exps.filter(({ s }) => s.status !== 'skipped');
  const broken = steps.filter(
    (s) => s.expectations.length === 0 && (s.status === 'error' || s.status === 'fail'),
  );
  let tests = phases.length + r.checks.length + exps.length + broken.length;
  let failures =
    r.checks.filter((c) => c.status === 'fail').length + judged.filter(({ e }) => e.status === 'fail').length;
  let errors = phases.length + broken.length + judged.filter(({ e }) => e.status === 'unavailable').length;
  let skipped = r.checks.filter((c) => c.status === 'skip').length + (exps.length - judged.length);
  if (tests === 0) {
    tests = 1;
    if (r.verdict === 'unsupported') skipped++;
  } else if ((r.verdict === 'fail' || r.verdict === 'error') && failures + errors === 0) {
    if (r.verdict === 'fail') failures++;
    else errors++;
    tests++;
  }
  if (r.verdict === 'fail' && r.knownDefect?.symptomObserved) {
    skipped += failures + errors;
    failures = 0;
    errors = 0;
  }
  return { tests, failures, errors, skipped };
}

describe('JUnit parsed back', () => {
  it('totals on <testsuites> add up and carry no `skipped` (junit-10.xsd refuses it)', () => {
    const doc = parse(junitXml(results.map((l) => l.result)));
    const suites = doc.testsuites.testsuite;
    expect(new Set(suites.map((s) => s['@_package']))).toEqual(new Set(results.map((l) => l.result.cell.id)));
    for (const key of ['tests', 'failures', 'errors'] as const) {
      const sum = suites.reduce((n, s) => n + Number(s[`@_${key}`]), 0);
      expect(Number(doc.testsuites[`@_${key}`]), key).toBe(sum);
    }
    expect(doc.testsuites['@_skipped']).toBeUndefined();
  });

  it.each(results.map((l) => [l.file, l.result] as const))('%s: counts, files and names', (_f, r) => {
    const suites = parse(junitXml([r])).testsuites.testsuite;
    const sum = (k: string) => suites.reduce((n, s) => n + Number(s[`@_${k}` as keyof Suite]), 0);
    expect({
      tests: sum('tests'),
      failures: sum('failures'),
      errors: sum('errors'),
      skipped: sum('skipped'),
    }).toEqual(tally(r));
    for (const s of suites) {
      expect(s['@_name'].startsWith(`${r.cell.id} `)).toBe(true);
      // Setup and checks come from the action; expectations from the suite file.
      expect(s['@_file']).toBe(s['@_name'].endsWith(' suite') ? r.suite!.file : SETUP_FILE);
      for (const c of s.testcase) {
        expect(c['@_classname'].startsWith(`${r.cell.id}.`)).toBe(true);
        expect(c['@_name'].startsWith(`[${r.cell.id}] `)).toBe(true);
        expect(Number.isFinite(Number(c['@_time']))).toBe(true);
        const issue = c.failure ?? c.error ?? c.skipped;
        if (issue) {
          expect(issue['@_message']).not.toMatch(/[\r\n]/);
          expect(issue['@_message'].length).toBeLessThanOrEqual(MESSAGE_MAX);
        }
      }
    }
  });

  it('puts the whole text in the body when the message is cut to one line', () => {
    const r = fixture('fail');
    const e = r.suite!.steps.flatMap((s) => s.expectations).find((x) => x.status === 'fail')!;
    e.message = `line one\nline two ${'x'.repeat(5000)}`;
    const tc = parse(junitXml([r]))
      .testsuites.testsuite.flatMap((s) => s.testcase)
      .find((c) => c.failure?.['#text'].includes('line one\nline two'))!;
    expect(tc.failure!['@_message']).toMatch(/line one line two x+…$/);
    expect(tc.failure!['@_message']).toHaveLength(MESSAGE_MAX);
    expect(tc.failure!['#text']).toContain('x'.repeat(5000));
  });

  it('a version 2 `known-defect` verdict is skipped the same way (and counted apart in the matrix)', () => {
    const v1 = fixture('known-defect');
    const r = { ...v1, schemaVersion: 2 as const, verdict: 'known-defect' as const };
    const cases = junitCases(r);
    expect(cases.some((c) => c.outcome.kind === 'failure' || c.outcome.kind === 'error')).toBe(false);
    expect(
      cases.some((c) => c.outcome.kind === 'skipped' && c.outcome.message.includes(v1.knownDefect!.id)),
    ).toBe(true);
  });

  it('skips a known-defect cell’s failures with the defect as the reason', () => {
    const r = fixture('known-defect');
    expect(r.knownDefect?.symptomObserved).toBe(true);
    const cases = junitCases(r);
    expect(cases.some((c) => c.outcome.kind === 'failure' || c.outcome.kind === 'error')).toBe(false);
    const because = cases.filter(
      (c) =>
        c.outcome.kind === 'skipped' &&
        c.outcome.message.startsWith(`known upstream defect ${r.knownDefect!.id}`),
    );
    const failing = r
      .suite!.steps.flatMap((s) => (s.status === 'skipped' ? [] : s.expectations))
      .filter((e) => e.status !== 'pass');
    expect(failing.length).toBeGreaterThan(0);
    expect(because).toHaveLength(failing.length);
  });

  it('gives a check the same testcase identity whether it ran or was skipped, in either Istio flavour', () => {
    const r = fixture('pass');
    const ran = junitCases(r).find((c) => c.name.endsWith('check injector-templates'))!;
    const other = structuredClone(r);
    other.cell.istioFlavour = 'legacy';
    const check = other.checks.find((c) => c.id === 'injector-templates')!;
    check.status = 'skip';
    check.title = 'Legacy injector carries the Dikastes patch';
    const skipped = junitCases(other).find((c) => c.name.endsWith('check injector-templates'))!;
    expect([skipped.classname, skipped.name]).toEqual([ran.classname, ran.name]);
    expect(skipped.outcome.kind).toBe('skipped');
  });

  it('times an expectation by what it measured, not by its last probe', () => {
    const r = fixture('pass');
    const step = r.suite!.steps.find((s) => s.expectations.length > 1) ?? r.suite!.steps[0]!;
    const e = step.expectations[0]!;
    e.durationMs = 61_250;
    const tc = junitCases(r).find((c) => c.name === `[${r.cell.id}] ${step.name} › ${e.name}`)!;
    expect(tc.seconds).toBe(61.25);
    // Without its own duration, a step's only expectation takes the step's.
    const single = structuredClone(fixture('pass'));
    const s1 = single.suite!.steps.find((s) => s.expectations.length === 1)!;
    const t1 = junitCases(single).find(
      (c) => c.name === `[${single.cell.id}] ${s1.name} › ${s1.expectations[0]!.name}`,
    )!;
    expect(t1.seconds).toBe(s1.durationMs / 1000);
  });

  it('keeps text that looks like markup as text', () => {
    const r = fixture('fail');
    const xml = junitXml([r]);
    expect(xml).not.toContain('<script>');
    const body = r.suite!.steps.flatMap((s) => s.expectations).find((e) => e.status === 'fail')!.observed!
      .bodyExcerpt!;
    expect(body).toContain('<script>');
    const tc = parse(xml)
      .testsuites.testsuite.flatMap((s) => s.testcase)
      .find((c) => c.failure)!;
    expect(tc.failure!['#text']).toContain(body);
  });

  it('replaces characters XML cannot carry instead of throwing', () => {
    const r = fixture('pass');
    r.checks[0]!.status = 'fail';
    r.checks[0]!.evidence = 'log line with a NUL \u0000, an escape \u001b[31m and "quotes" & <tags>';
    const xml = junitXml([r]);
    const tc = parse(xml)
      .testsuites.testsuite.flatMap((s) => s.testcase)
      .find((c) => c.failure)!;
    expect(tc.failure!['@_message']).toContain('log line with a NUL');
    expect(tc.failure!['@_message']).toContain('"quotes" & <tags>');
    expect(xml).not.toContain('\u0000');
  });

  it('groups an unsupported cell that never ran into one skipped verdict case', () => {
    const r = fixture('unsupported');
    const groups = junitGroups(r);
    expect(groups.map((g) => [g.file, g.cases.map((c) => c.outcome.kind)])).toEqual([
      [SETUP_FILE, ['skipped']],
    ]);
  });
});
