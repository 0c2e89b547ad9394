import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_LABEL } from '../../src/report/matrix-model.js';
import { writeReport } from '../../src/report/write-report.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { FIXED_NOW, GENERATOR, REPO_ROOT, VALID_FIXTURES } from './golden.js';

const ARTIFACTS = join(REPO_ROOT, 'test-results');

const withChromium = chromiumAvailable('the matrix.html browser test');

describe.skipIf(!withChromium)('matrix.html in headless Chromium', () => {
  let browser: Browser;
  let tmp: string;
  let url: string;
  let cells: { id: string; status: keyof typeof STATUS_LABEL; anchor: string }[];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'cic-html-'));
    const { files, report } = await writeReport({
      inputs: [...VALID_FIXTURES.map((f) => `test/fixtures/results/${f}`)],
      outDir: join(tmp, 'report'),
      cwd: REPO_ROOT,
      previousFile: 'test/fixtures/results/previous-matrix.json',
      generator: GENERATOR,
      now: FIXED_NOW,
    });
    url = pathToFileURL(files.matrixHtml).href;
    cells = report.cells.map((c) => ({ id: c.id, status: c.status, anchor: c.anchor }));
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function open(viewport: { width: number; height: number }) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 2, javaScriptEnabled: false });
    // Every URL the page asked for, seen by the router and by the request listener; foreign ones are aborted.
    const seen = new Set<string>();
    await context.route('**/*', (route) => {
      seen.add(route.request().url());
      return route.request().url() === url ? route.continue() : route.abort();
    });
    const page = await context.newPage();
    page.on('request', (r) => void seen.add(r.url()));
    const requests = () => [...seen];
    await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
    return { context, page, requests };
  }

  it('shows every cell with its status, each linking to its details; loads nothing but itself', async () => {
    const { context, page, requests } = await open({ width: 1280, height: 900 });
    try {
      for (const c of cells) {
        const slot = page.locator(`a.cell[data-cell-id="${c.id}"]`);
        await expect.poll(() => slot.isVisible(), { timeout: 2000 }).toBe(true);
        expect(await slot.innerText()).toContain(STATUS_LABEL[c.status]);
        expect(await slot.getAttribute('href')).toBe(`#${c.anchor}`);
        expect(await page.locator(`section.detail[id="${c.anchor}"]`).count()).toBe(1);
      }
      const conflict = cells.find((c) => c.status === 'conflict')!;
      await page.locator(`a.cell[data-cell-id="${conflict.id}"]`).click();
      expect(new URL(page.url()).hash).toBe(`#${conflict.anchor}`);
      expect(await page.locator(`section.detail[id="${conflict.anchor}"]`).isVisible()).toBe(true);
      expect(await page.locator(`section.detail[id="${conflict.anchor}"] tbody tr`).count()).toBe(2);
      expect(await page.locator('#changes').innerText()).toContain('Newly failing (3)');
      await page.screenshot({ path: join(ARTIFACTS, 'matrix-desktop.png'), fullPage: true });
      expect(requests()).toEqual([url]);
    } finally {
      await context.close();
    }
  });

  it('is readable on a phone: the page never scrolls sideways, wide tables scroll in their box', async () => {
    const { context, page, requests } = await open({ width: 375, height: 740 });
    try {
      const m = (await page.evaluate(`(() => ({
        viewport: window.innerWidth,
        page: document.documentElement.scrollWidth,
        body: document.body.scrollWidth,
        boxes: [...document.querySelectorAll('.matrix .scroll')].map((b) => ({
          client: b.clientWidth,
          overflowX: getComputedStyle(b).overflowX,
        })),
        fontSize: parseFloat(getComputedStyle(document.body).fontSize),
      }))()`)) as {
        viewport: number;
        page: number;
        body: number;
        boxes: { client: number; overflowX: string }[];
        fontSize: number;
      };
      expect(m.viewport).toBe(375);
      expect(m.page).toBeLessThanOrEqual(m.viewport);
      expect(m.body).toBeLessThanOrEqual(m.viewport);
      expect(m.fontSize).toBeGreaterThanOrEqual(14);
      for (const b of m.boxes) {
        expect(b.client).toBeLessThanOrEqual(m.viewport);
        expect(b.overflowX).toBe('auto');
      }
      await page.screenshot({ path: join(ARTIFACTS, 'matrix-phone.png'), fullPage: true });
      await page.screenshot({ path: join(ARTIFACTS, 'matrix-phone-first-screen.png') });
      expect(requests()).toEqual([url]);
    } finally {
      await context.close();
    }
  });
});
