import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { INPUTS } from '../../src/config/inputs.js';
import { ROOT } from '../contract/harness.js';

const readme = readFileSync('README.md', 'utf8');
const action = load(readFileSync('action.yml', 'utf8')) as any;

/** Rows of the markdown table whose header starts with `| first |`. */
function tableRows(first: string): string[][] {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  if (start < 0) throw new Error(`no table headed "${first}" in README.md`);
  const rows: string[][] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(
      l
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

describe('README', () => {
  it('names the two commands, and the main job’s runs as written (after npm ci)', () => {
    const main = 'node scripts/node24.mjs node dist/cli.js plan --out plan';
    expect(readme).toContain(`npm ci && ${main}`);
    expect(readme).toContain('npm ci && npm test');
    const dir = mkdtempSync(join(tmpdir(), 'cic-readme-'));
    try {
      // As written, from a working directory of its own (so ./plan lands there).
      const args = main
        .split(' ')
        .slice(1)
        .map((a) => (/^(scripts|dist)\//.test(a) ? join(ROOT, a) : a));
      const out = execFileSync('node', args, { cwd: dir, encoding: 'utf8' });
      expect(out).toMatch(/^Planned cell k8s-1\.34\.8_calico-v3\.32\.1_istio-1\.28\.1: \d+ steps/);
      expect(existsSync(join(dir, 'plan', 'plan.json'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists every action input with its CLI flag and default', () => {
    const rows = tableRows('input');
    expect(rows.map((r) => r[0]!.replaceAll('`', '')).sort()).toEqual(Object.keys(action.inputs).sort());
    for (const i of INPUTS) {
      const row = rows.find((r) => r[0] === `\`${i.name}\``)!;
      expect(row[1], i.name).toBe(`\`--${i.flag}\``);
      expect(row[2], i.name).toBe(i.default ? `\`${i.default}\`` : '(empty)');
    }
  });

  it('lists every action output', () => {
    const rows = tableRows('output');
    expect(rows.map((r) => r[0]!.replaceAll('`', '')).sort()).toEqual(Object.keys(action.outputs).sort());
  });
});
