import { existsSync, readFileSync } from 'node:fs';
import { Parser as Xml2jsParser } from 'xml2js';
import { xml2json } from 'xml-js';
import { validateXML } from 'xmllint-wasm';
import { describe, expect, it } from 'vitest';
import { junitXml, SETUP_FILE } from '../../src/report/junit.js';
import { loadResults } from '../../src/report/load-results.js';
import { upstream, UPSTREAM_DIR } from '../support/upstream.js';
import { FIXTURES, REPO_ROOT } from './golden.js';

/**
 * junit.xml as its consumers read it: libxml2's XSD validation (xmllint compiled to wasm) against
 * Jenkins' junit-10.xsd and Ant's schema, and the parsing paths of dorny/test-reporter (xml2js) and
 * mikepenz/action-junit-report (xml-js), restated on the libraries they use.
 */
/**
 * The schemas are third-party reference data: they belong in the workplace's shared upstream folder
 * (as `junit/junit-10.xsd`, Jenkins xunit-plugin, and `junit/ant-junit.xsd`, the Ant JUnit task's
 * format), never in this repository. Until they are there these tests say so and do not run.
 */
const SCHEMAS = ['junit-10.xsd', 'ant-junit.xsd'].map((f) => upstream('junit', f));
const schemasPresent = SCHEMAS.every((f) => existsSync(f));
if (!schemasPresent)
  console.warn(
    `skipping JUnit XSD validation: ${UPSTREAM_DIR}/junit/{junit-10.xsd,ant-junit.xsd} not provided`,
  );
const { results } = await loadResults([FIXTURES], REPO_ROOT);
const xml = junitXml(results.map((l) => l.result));

async function validate(doc: string, xsd: string) {
  const r = await validateXML({
    xml: { fileName: 'junit.xml', contents: doc },
    schema: { fileName: xsd, contents: readFileSync(upstream('junit', xsd), 'utf8') },
  });
  return r.errors.map((e) => e.message);
}

describe.runIf(schemasPresent)('junit.xml against the schemas', () => {
  it('is valid against Jenkins junit-10.xsd', async () => {
    expect(await validate(xml, 'junit-10.xsd')).toEqual([]);
  });

  it('the validation rejects what the schema rejects (skipped on <testsuites>, file on <testcase>)', async () => {
    const bad = xml
      .replace('<testsuites name=', '<testsuites skipped="1" name=')
      .replace('<testcase name=', '<testcase file="x.ts" name=');
    const errors = await validate(bad, 'junit-10.xsd');
    expect(errors.join('\n')).toMatch(/skipped.*not allowed/);
    expect(errors.join('\n')).toMatch(/file.*not allowed/);
  });

  // Ant's schema predates both extensions reporters rely on: totals on <testsuites> and a suite's
  // `file`. Everything else (package, id, zone-less timestamp, system-out/err) must hold as is.
  it('is valid against the Ant JUnit schema once the two extensions it predates are removed', async () => {
    const ant = xml.replace(/<testsuites [^>]*>/, '<testsuites>').replace(/ file="[^"]*"/g, '');
    expect(await validate(ant, 'ant-junit.xsd')).toEqual([]);
  });
});

describe('dorny/test-reporter (java-junit parser on xml2js)', async () => {
  // JavaJunitParser.getTestRunResult/getGroups/getTestCaseResult, in the same order and with the same
  // fields: suites by name, groups by classname unless equal to the suite name, failure|error → failed.
  const ju = (await new Xml2jsParser().parseStringPromise(xml)) as any;
  const suites = (ju.testsuites.testsuite ?? []).map((ts: any) => ({
    name: ts.$.name.trim(),
    time: parseFloat(ts.$.time) * 1000,
    tests: (ts.testcase ?? []).map((tc: any) => ({
      group: tc.$.classname === ts.$.name ? '' : tc.$.classname,
      name: tc.$.name.trim(),
      result: tc.failure || tc.error ? 'failed' : tc.skipped ? 'skipped' : 'success',
      time: parseFloat(tc.$.time) * 1000,
    })),
  }));

  it('counts what junit.xml declares, per suite and in total', () => {
    const declared = [
      ...xml.matchAll(
        /<testsuite name="[^"]*" tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="(\d+)"/g,
      ),
    ];
    expect(suites).toHaveLength(declared.length);
    suites.forEach((s: any, i: number) => {
      const [, tests, failures, errors, skipped] = declared[i]!.map(Number);
      expect(s.tests).toHaveLength(tests!);
      expect(s.tests.filter((t: any) => t.result === 'failed')).toHaveLength(failures! + errors!);
      expect(s.tests.filter((t: any) => t.result === 'skipped')).toHaveLength(skipped!);
      expect(Number.isNaN(s.time)).toBe(false);
      for (const t of s.tests) expect(Number.isNaN(t.time)).toBe(false);
    });
  });

  it('shows each cell’s id in suite, group and test names', () => {
    for (const s of suites) {
      const id = s.name.split(' ')[0];
      expect(results.some((l) => l.result.cell.id === id)).toBe(true);
      for (const t of s.tests) {
        expect(t.group.startsWith(`${id}.`)).toBe(true);
        expect(t.name.startsWith(`[${id}] `)).toBe(true);
      }
    }
  });
});

describe('mikepenz/action-junit-report (testParser on xml-js)', () => {
  // parseFile → parseSuite → createTestCaseAnnotation: the file is the testcase's, the issue's or the
  // suite's `file`, else the last dot-segment of the classname (then globbed in the workspace); the
  // title is `${fileName}.${name}` when they differ.
  const report = JSON.parse(xml2json(xml, { compact: true })) as any;
  const asArray = (x: any) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
  const annotations = asArray(report.testsuites.testsuite).flatMap((suite: any) => {
    const suiteFile = suite._attributes?.file ?? null;
    return asArray(suite.testcase).map((tc: any) => {
      const issue = tc.failure ?? tc.error;
      const file = tc._attributes.file || issue?._attributes?.file || suiteFile;
      const fileName = file ? file : tc._attributes.classname.split('.').slice(-1)[0];
      const title =
        fileName !== tc._attributes.name ? `${fileName}.${tc._attributes.name}` : tc._attributes.name;
      const message = (
        issue?._attributes?.message ||
        (issue?._text ?? '').toString().trim() ||
        tc._attributes.name
      ).trim();
      const status = tc.skipped ? 'skipped' : issue ? 'failure' : 'success';
      return { fileName, title, message, status };
    });
  });

  it('files every testcase under action.yml or the suite file, never a classname glob', () => {
    const suiteFiles = new Set(results.map((l) => l.result.suite?.file).filter(Boolean));
    expect(annotations.length).toBeGreaterThan(20);
    for (const a of annotations)
      expect(a.fileName === SETUP_FILE || suiteFiles.has(a.fileName), a.fileName).toBe(true);
    expect(annotations.some((a: any) => a.fileName !== SETUP_FILE)).toBe(true);
  });

  it('titles every annotation with the cell id, and keeps messages to one line', () => {
    for (const a of annotations) {
      expect(a.title).toMatch(/\[k8s-[^\]]+_calico-[^\]]+_istio-[^\]]+\]/);
      expect(a.message).not.toMatch(/\n/);
    }
    const failures = annotations.filter((a: any) => a.status === 'failure');
    expect(failures.length).toBeGreaterThan(0);
  });
});
