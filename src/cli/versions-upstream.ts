import { parseMirrorRules } from '../util/mirror.js';
import type { HttpGet } from '../exec/fetch.js';
import type { CliIo } from './index.js';

export interface VersionsUpstreamOptions {
  readonly checkUpstream?: boolean;
  readonly mirror?: readonly string[];
  readonly allowInsecureMirrors?: boolean;
  readonly json?: boolean;
}

/** A refused option: the CLI exits 2 (matched by name in runCli). */
class UpstreamOptionError extends Error {
  override name = 'InputError';
}

/** `versions --check-upstream`: the report (or JSON), exit 1 when a feed could not be read. */
export async function versionsUpstream(
  opts: VersionsUpstreamOptions,
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
  get?: HttpGet,
): Promise<void> {
  const { rules, problems } = parseMirrorRules(
    (opts.mirror ?? []).join('\n'),
    opts.allowInsecureMirrors ?? false,
  );
  if (problems.length) {
    throw new UpstreamOptionError(
      problems
        .map(
          (p) =>
            `Invalid --mirror: ${JSON.stringify(p.text)} (rule ${p.line}) ${p.why}. Accepted: FROM=TO URL prefixes, like https://api.github.com=https://mirror.example/github-api.`,
        )
        .join('\n'),
    );
  }
  const [{ checkUpstream, catalogPatch, formatReport, hasUpdates }, { httpGet }] = await Promise.all([
    import('./check-upstream.js'),
    import('../exec/fetch.js'),
  ]);
  const token = env.GITHUB_TOKEN?.trim() || undefined;
  const report = await checkUpstream({
    get: get ?? httpGet,
    mirrors: rules,
    ...(token ? { githubToken: token } : {}),
  });
  io.out(
    opts.json
      ? `${JSON.stringify({ hasUpdates: hasUpdates(report), report, patch: catalogPatch(report) }, null, 2)}\n`
      : formatReport(report),
  );
  if (report.errors.length)
    throw new Error(
      `${report.errors.length} upstream feed(s) could not be read: ${report.errors.join('; ')}`,
    );
}
