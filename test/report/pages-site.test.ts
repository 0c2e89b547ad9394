import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { History } from '../../src/report/history.js';
import { writeReport } from '../../src/report/write-report.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { FIXTURES, GENERATOR } from './golden.js';

interface Window {
  getComputedStyle(e: unknown): { backgroundColor: string };
}

/**
 * The Pages site as the reusable workflow builds it, three nights in a row: each night's report
 * reads the history.json the previous night published. The pass cell passes, then fails twice.
 */
const CELL = 'k8s-1.34.8_calico-v3.32.1_istio-1.28.10';
const NIGHTS = ['2026-07-12T03:17:00.000Z', '2026-07-13T03:17:00.000Z', '2026-07-14T03:17:00.000Z'];
const VERDICTS = ['pass', 'fail', 'fail'] as const;

const tmp = await mkdtemp(join(tmpdir(), 'cic-site-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function night(n: number, historyNights = 30): Promise<string> {
  const artifacts = join(tmp, `night-${n}`, 'artifacts');
  await cp(join(FIXTURES, 'pass'), join(artifacts, 'results-pass'), { recursive: true });
  await cp(join(FIXTURES, 'fail'), join(artifacts, 'results-fail'), { recursive: true });
  const file = join(artifacts, 'results-pass', 'results.json');
  const r = JSON.parse(await readFile(file, 'utf8'));
  r.verdict = VERDICTS[n];
  // A failing night carries its evidence: the report refuses a verdict its own checks contradict.
  if (r.verdict === 'fail') r.checks[0].status = 'fail';
  await writeFile(file, JSON.stringify(r));
  const site = join(tmp, `site-${n}-${historyNights}`);
  const previous = n > 0 ? join(tmp, `site-${n - 1}-${historyNights}`) : undefined;
  // As the workflow does: the published nights/ comes along into the new site.
  if (previous) await cp(join(previous, 'nights'), join(site, 'nights'), { recursive: true });
  await writeReport({
    inputs: [artifacts],
    outDir: site,
    cwd: tmp,
    ...(previous
      ? { previousFile: join(previous, 'matrix.json'), historyFile: join(previous, 'history.json') }
      : {}),
    historyNights,
    generator: GENERATOR,
    now: () => new Date(NIGHTS[n]!),
  });
  return site;
}

const sites: string[] = [];
for (let n = 0; n < 3; n++) sites.push(await night(n));

describe('the Pages site over three nights', () => {
  it('keeps each night in history.json, oldest first', async () => {
    const h = JSON.parse(await readFile(join(sites[2]!, 'history.json'), 'utf8')) as History;
    expect(h.nights.map((x) => [x.generatedAt, x.cells[CELL]])).toEqual([
      [NIGHTS[0], 'pass'],
      [NIGHTS[1], 'fail'],
      [NIGHTS[2], 'fail'],
    ]);
  });

  it('keeps a bounded number of nights', async () => {
    for (let n = 0; n < 3; n++) await night(n, 2);
    const h = JSON.parse(await readFile(join(tmp, 'site-2-2', 'history.json'), 'utf8')) as History;
    expect(h.nights.map((x) => x.generatedAt)).toEqual([NIGHTS[1], NIGHTS[2]]);
    // Each kept night's matrix.json is on the site, and only those.
    const kept = (await readdir(join(tmp, 'site-2-2', 'nights'))).sort();
    expect(kept.map((f) => `nights/${f}`)).toEqual(h.nights.map((x) => x.matrix));
    const second = JSON.parse(await readFile(join(tmp, 'site-2-2', h.nights[0]!.matrix!), 'utf8'));
    expect(second.generatedAt).toBe(NIGHTS[1]);
  });
});

describe.skipIf(!chromiumAvailable('the history strip browser test'))('the history strip in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows each night as a coloured mark and the night the cell turned red', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      javaScriptEnabled: false,
    });
    try {
      const page = await context.newPage();
      await page.goto(pathToFileURL(join(sites[2]!, 'matrix.html')).href, { waitUntil: 'load' });
      const detail = page.locator(`section.detail:has(h3:text-is("${CELL}"))`);
      const marks = detail.locator('ol.strip li');
      expect(await marks.count()).toBe(3);
      const seen = await marks.evaluateAll((els) =>
        els.map((e) => ({
          status: e.getAttribute('data-status'),
          title: e.getAttribute('title'),
          // Runs in the page; the test's types have no DOM globals.
          background: (globalThis as unknown as Window).getComputedStyle(e).backgroundColor,
          width: e.getBoundingClientRect().width,
        })),
      );
      expect(seen.map((s) => s.status)).toEqual(['pass', 'fail', 'fail']);
      expect(seen[0]!.title).toBe(`${NIGHTS[0]}: pass`);
      // Pass and fail are told apart by colour, and each mark is visible.
      expect(seen[0]!.background).not.toBe(seen[1]!.background);
      expect(seen[1]!.background).toBe(seen[2]!.background);
      for (const s of seen) expect(s.width).toBeGreaterThan(5);
      const since = detail.locator('.red-since');
      expect(await since.isVisible()).toBe(true);
      expect(await since.innerText()).toBe('failing since 2026-07-13');
    } finally {
      await context.close();
    }
  });
});
