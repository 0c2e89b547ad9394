import { describe, expect, it } from 'vitest';
import { executePlan } from '../../src/exec/executor.js';
import { execaRunner, type RunOptions } from '../../src/exec/process.js';
import type { PlanStep } from '../../src/plan/types.js';
import { deps, FakeRunner, memoryLog } from './fakes.js';

const node = process.execPath;
const step = (commands: PlanStep['commands']): PlanStep => ({
  id: 'load-images',
  title: 'Load',
  phase: 'cluster',
  commands,
  manifests: [],
  timeoutSeconds: 30,
  dependsOn: [],
});
const opts = {
  planDir: process.cwd(),
  env: {},
  tools: {},
  signal: new AbortController().signal,
  drainSeconds: 1,
};

describe('a command with a fallback pipe', () => {
  it('runs the pipe only when the program fails, and passes when the pipe does', async () => {
    const pipes: (readonly (readonly string[])[])[] = [];
    const runner = Object.assign(
      new FakeRunner((argv) =>
        argv[1] === 'load' ? { exitCode: 1, stderr: 'ctr: content digest sha256:5: not found' } : {},
      ),
      {
        pipe: async (argvs: readonly (readonly string[])[], _o: RunOptions) => {
          pipes.push(argvs);
          return {
            argv: argvs.flat(),
            exitCode: 0,
            stdout: '',
            stderr: '',
            timedOut: false,
            cancelled: false,
            durationMs: 1,
          };
        },
      },
    );
    const { log, text } = memoryLog();
    const [ok] = await executePlan(
      [
        step([
          { exec: ['kind', 'version'], orElse: [{ pipe: [['never'], ['run']] }] },
          {
            exec: ['kind', 'load', 'docker-image', 'x'],
            orElse: [
              {
                pipe: [
                  ['docker', 'save', 'x'],
                  ['docker', 'exec', '-i', 'n', 'ctr'],
                ],
              },
            ],
          },
        ]),
      ],
      opts,
      deps(runner, log),
    );
    expect(ok!.status).toBe('passed');
    expect(pipes).toEqual([
      [
        ['docker', 'save', 'x'],
        ['docker', 'exec', '-i', 'n', 'ctr'],
      ],
    ]);
    expect(text()).toContain('falling back to docker save x | docker exec -i n ctr');
  });

  it('a failing fallback fails the step, keeping both programs’ errors', async () => {
    const runner = execaRunner();
    const { log } = memoryLog();
    const [r] = await executePlan(
      [
        step([
          {
            exec: [node, '-e', "console.error('kind load: content digest not found'); process.exit(1)"],
            orElse: [
              {
                pipe: [
                  [node, '-e', "process.stdout.write('archive')"],
                  [node, '-e', "console.error('ctr: unrecognized image format'); process.exit(1)"],
                ],
              },
            ],
          },
        ]),
      ],
      opts,
      deps(runner, log),
    );
    expect(r!.status).toBe('failed');
    expect(r!.error).toContain('(the fallback)');
    expect(r!.error).toContain('content digest not found');
    expect(r!.error).toContain('unrecognized image format');
  });

  it('a runner that cannot pipe fails the step with that reason', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 1 }));
    const { log } = memoryLog();
    const [r] = await executePlan(
      [step([{ exec: ['kind', 'load'], orElse: [{ pipe: [['a'], ['b']] }] }])],
      opts,
      deps(runner, log),
    );
    expect(r!.status).toBe('failed');
    expect(r!.error).toContain('cannot pipe');
  });
});
