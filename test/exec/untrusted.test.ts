import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { streamLog } from '../../src/exec/log.js';
import {
  kubeconfigSecrets,
  kubeconfigWatcher,
  maskKubeconfig,
  removeKubeconfig,
  userKubeconfigs,
} from '../../src/exec/secrets.js';
import { isWorkflowCommand, neutralise } from '../../src/exec/untrusted.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('neutralise', () => {
  it.each([
    ['::error::x', ': :error::x'],
    ['  ::add-mask::x', '  : :add-mask::x'],
    ['ok\n::stop-commands::t\r::endgroup::', 'ok\n: :stop-commands::t\r: :endgroup::'],
    ['see ##[set-output name=a;]b', 'see ## [set-output name=a;]b'],
    ['a::b stays', 'a::b stays'],
  ])('%j → %j', (input, want) => {
    expect(neutralise(input)).toBe(want);
    for (const line of neutralise(input).split(/\r\n|\r|\n/)) expect(isWorkflowCommand(line)).toBe(false);
  });
});

describe('kubeconfig secrets', () => {
  const key = Buffer.from(
    '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKeyMaterialLine1\n-----END EC PRIVATE KEY-----\n',
  ).toString('base64');
  const text = [
    'users:',
    '- name: u',
    '  user:',
    `    client-key-data: ${key}`,
    '    token: abcdefgh12345678',
    '- name: v',
    '  user:',
    '    auth-provider:',
    '      config:',
    '        id-token: idtok-12345678',
  ].join('\n');

  it('finds tokens, keys (encoded and decoded) and auth-provider tokens', () => {
    const got = kubeconfigSecrets(text);
    expect(got).toEqual(expect.arrayContaining([key, 'abcdefgh12345678', 'idtok-12345678']));
    expect(got.some((s) => s.includes('MHcCAQEEIKeyMaterialLine1'))).toBe(true);
  });

  it('still finds a token in a file that is not valid YAML', () => {
    expect(kubeconfigSecrets('users: [\n  token: broken-12345678\n')).toContain('broken-12345678');
  });

  it('the watcher masks each new credential, line by line for a PEM, and makes the file private', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cic-secrets-'));
    dirs.push(dir);
    let out = '';
    const log = streamLog(
      new Writable({
        write(c: Buffer, _e, cb) {
          out += c.toString();
          cb();
        },
      }),
    );
    const file = join(dir, 'kubeconfig');
    const check = kubeconfigWatcher(file, log);
    check(); // no file yet: nothing to do
    await writeFile(file, text);
    await chmod(file, 0o644);
    check();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    log.info('token abcdefgh12345678 and MHcCAQEEIKeyMaterialLine1 and idtok-12345678');
    expect(out).toBe('token *** and *** and ***\n');
  });

  it('an existing cluster: the user’s kubeconfig files are read for masking, never changed or removed', async () => {
    expect(userKubeconfigs({ KUBECONFIG: '/a:/b' }, '/home/u')).toEqual(['/a', '/b']);
    expect(userKubeconfigs({}, '/home/u')).toEqual(['/home/u/.kube/config']);
    const dir = await mkdtemp(join(tmpdir(), 'cic-user-'));
    dirs.push(dir);
    const file = join(dir, 'config');
    await writeFile(file, 'users:\n- user:\n    token: user-token-123456\n');
    await chmod(file, 0o644);
    const masked: string[] = [];
    expect(await maskKubeconfig(file, { mask: (s) => masked.push(s) })).toBe(true);
    expect(masked).toEqual(['user-token-123456']);
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    // Only a directory of ours (cic-kube-*) is removed with its kubeconfig.
    await removeKubeconfig(join(dir, 'other'));
    expect((await stat(file)).isFile()).toBe(true);
    expect(await maskKubeconfig(join(dir, 'missing'), { mask: () => undefined })).toBe(false);
  });
});
