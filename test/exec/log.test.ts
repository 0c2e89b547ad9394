import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { actionsLog, streamLog, type Log } from '../../src/exec/log.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function collect(): { out: Writable; lines: () => string[] } {
  let buf = '';
  const out = new Writable({
    write(c: Buffer, _e, cb) {
      buf += c.toString();
      cb();
    },
  });
  return { out, lines: () => buf.trimEnd().split('\n') };
}

/** Three overlapping groups: A starts first and ends last; B and C run inside its lifetime. */
async function overlapping(log: Log): Promise<void> {
  await Promise.all([
    log.group('A', async () => {
      log.info('a1');
      await tick(60);
      log.info('a2');
    }),
    log.group('B', async () => {
      await tick(10);
      log.info('b1');
      await tick(10);
      log.warn('b2');
    }),
    log.group('C', async () => {
      log.info('c1');
      await tick(90);
      log.info('c2');
    }),
  ]);
}

describe('grouped logs', () => {
  it('never interleaves concurrent groups (stream)', async () => {
    const { out, lines } = collect();
    await overlapping(streamLog(out));
    expect(lines()).toEqual(['── A', 'a1', 'a2', '── B', 'b1', 'warning: b2', '── C', 'c1', 'c2']);
  });

  it('emits non-overlapping ::group:: blocks for Actions, with secrets masked and registered', async () => {
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(chunk.toString());
      return true;
    }) as typeof process.stdout.write;
    try {
      const log = actionsLog();
      log.mask('hunter2');
      await overlapping(log);
      await log.group('D hunter2', async () => log.info('pw=hunter2'));
    } finally {
      process.stdout.write = original;
    }
    const lines = written.join('').trimEnd().split('\n');
    expect(lines).toEqual([
      '::add-mask::hunter2',
      '::group::A',
      'a1',
      'a2',
      '::endgroup::',
      '::group::B',
      'b1',
      '::warning::b2',
      '::endgroup::',
      '::group::C',
      'c1',
      'c2',
      '::endgroup::',
      '::group::D ***',
      'pw=***',
      '::endgroup::',
    ]);
  });

  it('makes a waiting group live when the open one ends while it still runs', async () => {
    const { out, lines } = collect();
    const log = streamLog(out);
    const seen: string[][] = [];
    await Promise.all([
      log.group('first', async () => {
        await tick(20);
      }),
      log.group('second', async () => {
        log.info('early');
        await tick(60);
        // By now "second" is the open group, so this line is printed at once.
        seen.push(lines());
        log.info('late');
      }),
    ]);
    expect(seen[0]).toEqual(['── first', '── second', 'early']);
    expect(lines()).toEqual(['── first', '── second', 'early', 'late']);
  });

  it('redacts every registered secret, longest first', () => {
    const { out, lines } = collect();
    const log = streamLog(out);
    log.mask('abc');
    log.mask('abcdef');
    log.mask('');
    log.info('x abcdef y abc');
    expect(lines()).toEqual(['x *** y ***']);
    expect(log.redact?.('abcdef')).toBe('***');
  });
});
