import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CellResult } from '../result/schema.js';
import { capStrings } from './bounded-text.js';
import { cellSummaryMarkdown } from './cell-summary.js';
import { junitXml } from './junit.js';

/**
 * The per-cell reports the engine writes beside results.json: `junit.xml` in `dir`, and the job
 * summary markdown returned for the caller to hand to core.summary (or print).
 */
export async function writeCellReports(
  result: CellResult,
  dir: string,
): Promise<{ junitFile: string; summaryMarkdown: string }> {
  await mkdir(dir, { recursive: true });
  const junitFile = join(dir, 'junit.xml');
  // Texts from the cluster (bodies, evidence, kubectl output) shown capped; results.json keeps them.
  const shown = capStrings(result);
  await writeFile(junitFile, junitXml([shown]));
  return { junitFile, summaryMarkdown: cellSummaryMarkdown(shown) };
}
