import { describe, expect, it } from 'vitest';
import { SUMMARY_LIMIT_BYTES } from '../../src/report/bounded-text.js';
import { cellSummaryMarkdown } from '../../src/report/cell-summary.js';
import { md } from '../../src/report/escape.js';
import { loadResults } from '../../src/report/load-results.js';
import { buildMatrix } from '../../src/report/matrix-model.js';
import { matrixMarkdown } from '../../src/report/matrix-markdown.js';
import type { CellResult } from '../../src/result/schema.js';
import { FIXTURES, REPO_ROOT } from './golden.js';

const { results } = await loadResults([FIXTURES], REPO_ROOT);
const pass = results.find((l) => l.file.endsWith('/pass/results.json'))!.result;

const HOSTILE =
  '<img src=x onerror=alert(1)> | `code` **bold** [link](javascript:alert(1)) @team #1 \\ ~~x~~\nnext line';

describe('escaping', () => {
  it('leaves no markdown or HTML syntax in text from a run', () => {
    const out = md(HOSTILE);
    const bare = out.replace(/&#?\w+;/g, '');
    for (const ch of ['<', '>', '|', '`', '*', '[', ']', '@', '#', '\\', '~', '\n'])
      expect(bare).not.toContain(ch);
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('escapes every field of a result in the job summary', () => {
    const r: CellResult = structuredClone(pass);
    r.reason = HOSTILE;
    r.checks[0]!.evidence = HOSTILE;
    r.checks[0]!.title = HOSTILE;
    const e = r.suite!.steps[2]!.expectations[0]!;
    e.name = HOSTILE;
    e.request.path = '/x|y<script>';
    e.observed!.reason = HOSTILE;
    r.runner.githubRunUrl = 'javascript:alert(1)';
    const out = cellSummaryMarkdown(r);
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<script');
    expect(out).not.toMatch(/href="(?!https?:)/);
    expect(out).not.toContain('`code`');
    // Rows of the checks table keep their column count: no stray pipes.
    const lines = out.split('\n');
    const header = lines.indexOf('|  | Check | Evidence |');
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 2, header + 2 + r.checks.length);
    expect(rows[0]).toContain('&lt;img');
    for (const row of rows) expect(row.split('|')).toHaveLength(5);
  });
});

describe('size limit', () => {
  it('truncates a huge summary under 1 MiB with a note', () => {
    const r: CellResult = structuredClone(pass);
    const step = r.suite!.steps[2]!;
    const e = step.expectations[0]!;
    step.expectations = Array.from({ length: 12_000 }, (_, i) => ({
      ...e,
      name: `probe ${i} ${'x'.repeat(60)}`,
      message: 'y'.repeat(200),
    }));
    const out = cellSummaryMarkdown(r);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES);
    expect(out).toMatch(
      /\*\*Truncated:\*\* \d+ more lines did not fit the 1024 KiB limit; the full record is in results.json and junit.xml\./,
    );
    expect(out).toContain('| ✅ | allow: GET / and /product, deny POST /cart | probe 0 ');
  });

  it('leaves a normal summary whole', () => {
    const out = cellSummaryMarkdown(pass);
    expect(out).not.toContain('Truncated');
    expect(out).toContain('Propagation latency');
    expect(out).toContain('median 3.0 s, p90 3.5 s, max 3.5 s');
  });

  it('truncates the matrix markdown the same way', () => {
    const report = buildMatrix({ results, generator: 'g', generatedAt: 'now' });
    const out = matrixMarkdown(report, 4096);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(4096);
    expect(out).toMatch(/Truncated:.*matrix\.json/);
  });
});

describe('sources inside the mesh in the reports (issue 16)', () => {
  it('the summary and JUnit name the source identity and the target of an expectation', async () => {
    const { junitXml } = await import('../../src/report/junit.js');
    const r: CellResult = structuredClone(pass);
    const e = r.suite!.steps[2]!.expectations[0]!;
    e.from = {
      kind: 'client',
      namespace: 'boutique',
      serviceAccount: 'frontend',
      labels: { app: 'catalog-client', 'calico-istio-conformance/probe-client': 'cic-probe-frontend-1' },
      pod: 'cic-probe-frontend-1-5c8d7f9b4-q2w3e',
    };
    e.to = { service: 'productcatalogservice', namespace: 'boutique', port: 3550 };
    e.status = 'fail';
    const out = cellSummaryMarkdown(r);
    expect(out).toContain(
      md('from boutique/sa:frontend {app=catalog-client} to productcatalogservice.boutique:3550'),
    );
    const xml = junitXml([r]);
    expect(xml).toContain(
      'from boutique/sa:frontend {app=catalog-client} to productcatalogservice.boutique:3550',
    );
    // The step's truth table names the route beside the request, and so does the matrix's disagreement.
    const truth = out.slice(out.indexOf('#### Truth table'));
    expect(truth).toContain(
      md('GET / from boutique/sa:frontend {app=catalog-client} to productcatalogservice.boutique:3550'),
    );
    const matrix = matrixMarkdown(
      buildMatrix({
        results: [{ ...results.find((l) => l.file.endsWith('/pass/results.json'))!, result: r }],
        generator: 'g',
        generatedAt: 'now',
      }),
    );
    expect(matrix).toContain(md('to productcatalogservice.boutique:3550'));
    // Through the gateway nothing is added.
    expect(cellSummaryMarkdown(pass)).not.toContain(' to productcatalogservice');
  });
});

describe('tool labels', () => {
  it('says a tool from PATH was version-checked, and claims no checksum for it', () => {
    const r: CellResult = structuredClone(pass);
    r.tools = [
      { name: 'kind', version: 'v0.32.0', source: 'path' },
      { name: 'kubectl', version: 'v1.34.8', source: 'download', sha256: 'a'.repeat(64) },
      { name: 'istioctl', version: '1.28.1', source: 'cache', sha256: 'b'.repeat(64) },
    ];
    const tools = cellSummaryMarkdown(r)
      .split('\n')
      .find((l) => l.includes('Tools:'))!;
    expect(tools).toContain('kind v0.32.0 (from PATH, version-checked)');
    expect(tools).toContain('kubectl v1.34.8 (downloaded, sha256-verified)');
    expect(tools).toContain('istioctl 1.28.1 (from the tool cache, sha256-verified when downloaded)');
    expect(tools.match(/sha256-verified/g)).toHaveLength(2);
  });
});

describe('builds the catalog does not pin or know', () => {
  it('says plainly what is not pinned, which facts were inherited, and whose builds ran', () => {
    const r: CellResult = structuredClone(pass);
    r.support = [
      {
        component: 'calico',
        version: 'v3.33.0-0.dev',
        status: 'unknown',
        inheritedFrom: '3.32',
        pinned: false,
        detail: 'Calico build v3.33.0-0.dev: facts inherited from 3.32',
      },
      { ...r.support[1]!, version: '1.28.11', pinned: false },
    ];
    r.provenance = {
      calico: {
        version: 'v3.33.0-0.dev',
        standing: 'label',
        factsFrom: '3.32',
        pinned: false,
        manifests: { source: 'directory', location: '/src/calico/manifests' },
        images: {
          dikastes: 'quay.io/me/dikastes:dev',
          dikastesSource: 'user',
          registry: 'registry.example/',
        },
      },
      istio: {
        version: '1.28.11',
        standing: 'newer-patch',
        factsFrom: '1.28',
        istioctl: { source: 'path', location: '/src/istio/out/istioctl', sha256: 'a'.repeat(64) },
      },
    };
    const out = cellSummaryMarkdown(r);
    expect(out).toContain(
      '**Calico v3.33.0-0.dev: facts inherited from 3.32**, support unknown, not pinned.',
    );
    expect(out).toContain('**Istio 1.28.11 is not pinned**');
    expect(out).toContain('**Calico manifests not pinned**: from the directory /src/calico/manifests');
    expect(out).toContain('Dikastes quay.io/me/dikastes:dev');
    expect(out).toContain('istioctl /src/istio/out/istioctl');
    expect(out).toContain('❔');
  });

  it('adds nothing for a catalog release', () => {
    expect(cellSummaryMarkdown(pass)).not.toContain('not pinned');
  });
});
