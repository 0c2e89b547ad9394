import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { junitXml } from '../../src/report/junit.js';
import { loadResults } from '../../src/report/load-results.js';
import type { CellResult } from '../../src/result/schema.js';
import { FIXTURES, REPO_ROOT } from './golden.js';

interface Case {
  '@_classname': string;
  '@_name': string;
  '@_time': string;
  failure?: { '@_message': string; '#text': string };
  error?: { '@_message': string; '#text': string };
  skipped?: { '@_message': string };
}
interface Suite {
  '@_name': string;
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

/** What the JUnit must say about a result, tallied straight from results.json. */
function tally(r: CellResult) {
  const phases = r.phases.filter((p) => p.status === 'failed' || p.status === 'timed-out');
  const steps = r.suite?.steps ?? [];
  const exps = steps.flatMap((s) => s.expectations.map((e) => ({ s, e })));
  const judged = exps.filter(({ s }) => s.status !== 'skipped');
  let tests = phases.length + r.checks.length + exps.length;
  let failures =
    r.checks.filter((c) => c.status === 'fail').length + judged.filter(({ e }) => e.status === 'fail').length;
  const errors = phases.length + judged.filter(({ e }) => e.status === 'unavailable').length;
  let skipped = r.checks.filter((c) => c.status === 'skip').length + (exps.length - judged.length);
  if (tests === 0) {
    tests = 1;
    if (r.verdict === 'unsupported') skipped++;
  }
  if (r.verdict === 'fail' && failures + errors === 0) {
    failures++;
    tests++;
  }
  return {
    tests,
    failures,
    errors,
    skipped,
    failingExpectations: judged.filter(({ e }) => e.status !== 'pass'),
  };
}

const { results } = await loadResults([FIXTURES], REPO_ROOT);

describe('JUnit parsed back', () => {
  it('has one testsuite per cell result and totals that add up', () => {
    const doc = parse(junitXml(results.map((l) => l.result)));
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s) => s['@_name'])).toEqual(results.map((l) => l.result.cell.id));
    for (const key of ['tests', 'failures', 'errors', 'skipped'] as const) {
      const sum = suites.reduce((n, s) => n + Number(s[`@_${key}`]), 0);
      expect(Number(doc.testsuites[`@_${key}`]), key).toBe(sum);
    }
  });

  it.each(results.map((l) => [l.file, l.result] as const))(
    '%s: counts and messages match the result',
    (_f, r) => {
      const suite = parse(junitXml([r])).testsuites.testsuite[0]!;
      const t = tally(r);
      expect({
        tests: Number(suite['@_tests']),
        failures: Number(suite['@_failures']),
        errors: Number(suite['@_errors']),
        skipped: Number(suite['@_skipped']),
      }).toEqual({ tests: t.tests, failures: t.failures, errors: t.errors, skipped: t.skipped });
      expect(suite.testcase).toHaveLength(t.tests);
      expect(suite['@_time']).toBe(String(r.durationMs / 1000));
      for (const c of suite.testcase) {
        expect(c['@_classname'].startsWith(`${r.cell.id}.`)).toBe(true);
        expect(Number.isFinite(Number(c['@_time']))).toBe(true);
      }

      const bad = suite.testcase.filter((c) => c.failure ?? c.error);
      for (const { s, e } of t.failingExpectations) {
        const tc = bad.find((c) => c['@_name'] === `${s.name} › ${e.name}`);
        expect(tc, `${s.name} › ${e.name}`).toBeDefined();
        const f = (tc!.failure ?? tc!.error)!;
        expect(f['@_message']).toContain(`${e.request.method} ${e.request.path} expected ${e.expected}`);
        if (e.observed)
          expect(f['@_message']).toContain(`observed ${e.observed.verdict === 'allowed' ? 'allowed' : ''}`);
        if (e.message) expect(f['@_message']).toContain(e.message);
        if (e.observed?.bodyExcerpt) expect(f['#text']).toContain(`body: ${e.observed.bodyExcerpt}`);
        if (r.knownDefect?.symptomObserved) expect(f['@_message']).toContain(r.knownDefect.issue);
      }
      for (const p of r.phases.filter((x) => x.status === 'timed-out' || x.status === 'failed')) {
        const tc = bad.find((c) => c['@_name'] === `${p.phase}: ${p.title}`);
        expect(tc?.error?.['@_message']).toContain(p.error ?? p.title);
      }
    },
  );

  it('keeps text that looks like markup as text', () => {
    const r = results.find((l) => l.file === 'test/fixtures/results/fail/results.json')!.result;
    const xml = junitXml([r]);
    expect(xml).not.toContain('<script>');
    const body = r.suite!.steps.flatMap((s) => s.expectations).find((e) => e.status === 'fail')!.observed!
      .bodyExcerpt!;
    expect(body).toContain('<script>');
    const tc = parse(xml).testsuites.testsuite[0]!.testcase.find((c) => c.failure)!;
    expect(tc.failure!['#text']).toContain(body);
  });

  it('replaces characters XML cannot carry instead of throwing', () => {
    const r = structuredClone(
      results.find((l) => l.file === 'test/fixtures/results/pass/results.json')!.result,
    );
    r.checks[0]!.status = 'fail';
    r.checks[0]!.evidence = 'log line with a NUL \u0000 and an escape \u001b[31m';
    const tc = parse(junitXml([r])).testsuites.testsuite[0]!.testcase.find((c) => c.failure)!;
    expect(tc.failure!['@_message']).toContain('log line with a NUL');
    expect(tc.failure!['@_message']).not.toContain('\u0000');
  });
});
