import { create } from 'xmlbuilder2';
import type { CellResult } from '../result/schema.js';
import { describeExpectation, expectationsOf, failedPhases, nextStep } from './cell-facts.js';

/**
 * JUnit XML in the shape dorny/test-reporter and mikepenz/action-junit-report read: one <testsuite>
 * per cell; a <testcase> per verification check, per suite expectation and per failed setup phase.
 * Assertions that did not hold are <failure>; things that could not be judged (a setup phase that
 * failed, a probe that never got an answer) are <error>.
 */

export type CaseOutcome =
  | { readonly kind: 'passed' }
  | { readonly kind: 'skipped'; readonly message: string }
  | {
      readonly kind: 'failure' | 'error';
      readonly type: string;
      readonly message: string;
      readonly text: string;
    };

export interface JunitCase {
  readonly classname: string;
  readonly name: string;
  readonly seconds: number;
  readonly outcome: CaseOutcome;
}

export interface JunitCounts {
  readonly tests: number;
  readonly failures: number;
  readonly errors: number;
  readonly skipped: number;
}

const secs = (ms: number) => Math.round(ms) / 1000;

/** The test cases of one cell, in report order: failed phases, checks, expectations. */
export function junitCases(result: CellResult): JunitCase[] {
  const id = result.cell.id;
  const cases: JunitCase[] = [];
  const help = nextStep(result);

  for (const p of failedPhases(result)) {
    const what = p.status === 'timed-out' ? 'timed out' : 'failed';
    cases.push({
      classname: `${id}.setup`,
      name: `${p.phase}: ${p.title}`,
      seconds: secs(p.durationMs),
      outcome: {
        kind: 'error',
        type: `phase-${p.status}`,
        message: `Setup step "${p.title}" (${p.id}) ${what} after ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}${p.error ? `: ${p.error}` : ''}`,
        text: [
          `cell: ${id}`,
          `step: ${p.id} (${p.phase})`,
          `status: ${p.status}`,
          p.error ? `error: ${p.error}` : undefined,
          `next: ${help}`,
        ]
          .filter(Boolean)
          .join('\n'),
      },
    });
  }

  for (const c of result.checks) {
    cases.push({
      classname: `${id}.checks`,
      name: `${c.title} [${c.id}]`,
      seconds: 0,
      outcome:
        c.status === 'pass'
          ? { kind: 'passed' }
          : c.status === 'skip'
            ? { kind: 'skipped', message: c.evidence }
            : {
                kind: 'failure',
                type: 'check',
                message: `Check "${c.title}" failed: ${c.evidence}`,
                text: `cell: ${id}\ncheck: ${c.id}\nevidence: ${c.evidence}\nnext: ${help}`,
              },
    });
  }

  for (const { step, expectation: e } of expectationsOf(result)) {
    const seconds = secs(e.observed?.latencyMs ?? 0);
    const name = `${step.name} › ${e.name}`;
    const classname = `${id}.suite`;
    if (step.status === 'skipped') {
      cases.push({
        classname,
        name,
        seconds,
        outcome: { kind: 'skipped', message: step.message ?? 'step skipped' },
      });
      continue;
    }
    if (e.status === 'pass') {
      cases.push({ classname, name, seconds, outcome: { kind: 'passed' } });
      continue;
    }
    const description = describeExpectation(step, e);
    const defect = result.knownDefect?.symptomObserved
      ? ` — matches known upstream defect ${result.knownDefect.id} (${result.knownDefect.issue})`
      : '';
    const body = e.observed?.bodyExcerpt;
    cases.push({
      classname,
      name,
      seconds,
      outcome: {
        kind: e.status === 'unavailable' ? 'error' : 'failure',
        type: e.status === 'unavailable' ? 'unavailable' : 'expectation',
        message: `${description}${defect}`,
        text: [
          `cell: ${id}`,
          `request: ${e.request.method} ${e.request.path}`,
          `expected: ${e.expected}${e.layer ? ` (${e.layer})` : ''}`,
          e.observed
            ? `observed: ${e.observed.verdict}${e.observed.status !== undefined ? ` HTTP ${e.observed.status}` : ''} in ${e.observed.latencyMs} ms`
            : 'observed: nothing',
          body !== undefined ? `body: ${body}` : undefined,
          result.suite?.diagnosis ? `diagnosis: ${result.suite.diagnosis}` : undefined,
          `next: ${help}`,
        ]
          .filter(Boolean)
          .join('\n'),
      },
    });
  }

  // Suite steps that broke before any expectation ran (e.g. a manifest kubectl refused).
  for (const step of result.suite?.steps ?? []) {
    if (step.expectations.length === 0 && (step.status === 'error' || step.status === 'fail')) {
      cases.push({
        classname: `${id}.suite`,
        name: step.name,
        seconds: secs(step.durationMs),
        outcome: {
          kind: 'error',
          type: `step-${step.status}`,
          message: `Suite step "${step.name}" ${step.status === 'error' ? 'errored' : 'failed'}${step.message ? `: ${step.message}` : ''}`,
          text: `cell: ${id}\nstep: ${step.name}\napplied: ${step.applied.join(', ') || '–'}\nnext: ${help}`,
        },
      });
    }
  }

  // The cell's verdict must be visible even when no single case carries it.
  const anyBad = cases.some((c) => c.outcome.kind === 'failure' || c.outcome.kind === 'error');
  if (result.verdict === 'unsupported' && cases.length === 0) {
    cases.push({
      classname: `${id}.cell`,
      name: 'cell',
      seconds: 0,
      outcome: { kind: 'skipped', message: `not run: ${result.reason}` },
    });
  } else if ((result.verdict === 'fail' || result.verdict === 'error') && !anyBad) {
    cases.push({
      classname: `${id}.cell`,
      name: 'cell verdict',
      seconds: secs(result.durationMs),
      outcome: {
        kind: result.verdict === 'error' ? 'error' : 'failure',
        type: `cell-${result.verdict}`,
        message: result.reason,
        text: `cell: ${id}\nverdict: ${result.verdict}\nreason: ${result.reason}\nnext: ${help}`,
      },
    });
  } else if (cases.length === 0) {
    cases.push({
      classname: `${id}.cell`,
      name: 'cell verdict',
      seconds: secs(result.durationMs),
      outcome: { kind: 'passed' },
    });
  }
  return cases;
}

export function countCases(cases: readonly JunitCase[]): JunitCounts {
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const c of cases) {
    if (c.outcome.kind === 'failure') failures++;
    else if (c.outcome.kind === 'error') errors++;
    else if (c.outcome.kind === 'skipped') skipped++;
  }
  return { tests: cases.length, failures, errors, skipped };
}

/** One JUnit document holding every given cell, each as its own <testsuite>. */
export function junitXml(results: readonly CellResult[]): string {
  const suites = results.map((r) => ({ result: r, cases: junitCases(r) }));
  const total = suites.reduce(
    (acc, s) => {
      const c = countCases(s.cases);
      return {
        tests: acc.tests + c.tests,
        failures: acc.failures + c.failures,
        errors: acc.errors + c.errors,
        skipped: acc.skipped + c.skipped,
      };
    },
    { tests: 0, failures: 0, errors: 0, skipped: 0 },
  );
  const totalMs = results.reduce((acc, r) => acc + r.durationMs, 0);

  const doc = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '\uFFFD' });
  const root = doc.ele('testsuites', {
    name: 'calico-istio-conformance',
    tests: String(total.tests),
    failures: String(total.failures),
    errors: String(total.errors),
    skipped: String(total.skipped),
    time: String(secs(totalMs)),
  });
  for (const { result: r, cases } of suites) {
    const c = countCases(cases);
    const suite = root.ele('testsuite', {
      name: r.cell.id,
      tests: String(c.tests),
      failures: String(c.failures),
      errors: String(c.errors),
      skipped: String(c.skipped),
      time: String(secs(r.durationMs)),
      timestamp: r.startedAt,
      hostname: r.runner.runnerName ?? r.runner.os,
    });
    const props = suite.ele('properties');
    const prop = (name: string, value: string) => props.ele('property', { name, value });
    prop('verdict', r.verdict);
    prop('reason', r.reason);
    prop('kubernetes', r.cell.kubernetes);
    prop('calico', r.cell.calico);
    prop('istio', r.cell.istio);
    prop('dikastes-image', r.cell.dikastesImage);
    prop('node-image', r.cell.nodeImage);
    for (const s of r.support) prop(`support.${s.component}`, `${s.status}: ${s.detail}`);
    if (r.knownDefect) prop('known-defect', `${r.knownDefect.id} ${r.knownDefect.issue}`);
    if (r.runner.githubRunUrl) prop('run-url', r.runner.githubRunUrl);

    for (const tc of cases) {
      const el = suite.ele('testcase', { classname: tc.classname, name: tc.name, time: String(tc.seconds) });
      const o = tc.outcome;
      if (o.kind === 'skipped') el.ele('skipped', { message: o.message });
      else if (o.kind === 'failure' || o.kind === 'error')
        el.ele(o.kind, { message: o.message, type: o.type }).txt(o.text);
    }
  }
  return `${doc.end({ prettyPrint: true })}\n`;
}
