import type { CellResult } from '../result/schema.js';

/** Where the cell ran, from the process and the CI environment. */
export function runnerInfo(env: NodeJS.ProcessEnv = process.env): CellResult['runner'] {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run, RUNNER_NAME: name } = env;
  return {
    os: process.platform,
    arch: process.arch,
    node: process.version,
    ci: env.CI === 'true' || env.GITHUB_ACTIONS === 'true',
    ...(server && repo && run ? { githubRunUrl: `${server}/${repo}/actions/runs/${run}` } : {}),
    ...(name ? { runnerName: name } : {}),
  };
}
