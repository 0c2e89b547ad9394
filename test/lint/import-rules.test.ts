import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../contract/harness.js';

/** Lints `code` as if it were the file at `path` of the project, with the project's own config. */
async function importErrors(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import rules (npm run lint)', () => {
  it.each([
    ['src/catalog/x.ts', "import { INPUTS } from '../config/inputs.js';", 'the catalog is data'],
    ['src/catalog/x.ts', "import { buildPlan } from '../plan/build.js';", 'the catalog is data'],
    ['src/report/x.ts', "import { CALICO_RELEASES } from '../catalog/index.js';", 'reports read results'],
    [
      'src/report/x.ts',
      "import { parseCellConfig } from '../config/cell-config.js';",
      'reports read results',
    ],
    ['src/report/x.ts', "import { runCell } from '../run/engine.js';", 'reports read results'],
    [
      'src/run/phases/x.ts',
      "import { WORKLOAD_NAMESPACE } from '../../render/constants.js';",
      'never the renderers',
    ],
    ['src/verify/x.ts', "import { toYaml } from '../render/yaml.js';", 'never the renderers'],
    ['src/suite/x.ts', "import { toYaml } from '../render/yaml.js';", 'never the renderers'],
    ['src/diagnostics/x.ts', "import { toYaml } from '../render/yaml.js';", 'never the renderers'],
    ['src/suite/x.ts', "import { defectFor } from '../catalog/index.js';", 'or the catalog'],
    ['src/run/x.ts', "import type { KnownDefect } from '../catalog/calico.js';", 'or the catalog'],
    ['src/plan/x.ts', "import { runCli } from '../cli/index.js';", 'only the entry points'],
    ['src/run/x.ts', "import { main } from '../action/main.js';", 'only the entry points'],
    [
      'src/oracle/x.ts',
      "import { defectFor } from '../catalog/index.js';",
      'the oracle is pure policy semantics',
    ],
    [
      'src/oracle/x.ts',
      "import { resolveCell } from '../resolve/cell.js';",
      'the oracle is pure policy semantics',
    ],
    ['src/oracle/x.ts', "import { toYaml } from '../render/yaml.js';", 'the oracle is pure policy semantics'],
    ['src/oracle/x.ts', "import { runCli } from '../cli/index.js';", 'only the entry points'],
  ])('%s: %s is refused', async (path, code, why) => {
    const errors = await importErrors(path, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(why);
  });

  it.each([
    ['src/plan/x.ts', "import { toYaml } from '../render/yaml.js';"],
    ['src/resolve/x.ts', "import { CALICO_RELEASES } from '../catalog/index.js';"],
    ['src/cli/x.ts', "import { main } from '../action/main.js';"],
    ['src/report/x.ts', "import type { CellResult } from '../result/schema.js';"],
    ['src/oracle/x.ts', "import { YamlPositions } from '../suite/yaml-positions.js';"],
  ])('%s: %s is allowed', async (path, code) => {
    expect(await importErrors(path, code)).toEqual([]);
  });
});
