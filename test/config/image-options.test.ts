import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { InputError, parseCellConfig } from '../../src/config/cell-config.js';
import { actionNaming, type RawInputs } from '../../src/config/inputs.js';

function refusal(raw: RawInputs): string {
  try {
    parseCellConfig(raw, actionNaming);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).message;
  }
  throw new Error('accepted');
}

describe('images and image-mirror inputs', () => {
  it('reads one image per line and one mirror rule per line', () => {
    const c = parseCellConfig(
      {
        images: 'calico/dikastes:dev\n\nlocalhost:5000/calico/node:pr-1\ncalico/dikastes:dev',
        'image-mirror': 'docker.io=https://mirror.example/\nquay.io = https://quay.mirror.example:8443',
      },
      actionNaming,
    );
    expect(c.images).toEqual(['calico/dikastes:dev', 'localhost:5000/calico/node:pr-1']);
    expect(c.imageMirrors).toEqual([
      { registry: 'docker.io', mirror: 'https://mirror.example' },
      { registry: 'quay.io', mirror: 'https://quay.mirror.example:8443' },
    ]);
    const insecure = parseCellConfig(
      { 'image-mirror': 'docker.io=http://10.0.0.5:5000', 'allow-insecure-mirrors': 'true' },
      actionNaming,
    );
    expect(insecure.imageMirrors).toEqual([{ registry: 'docker.io', mirror: 'http://10.0.0.5:5000' }]);
  });

  it.each([
    [
      { images: 'calico/dikastes:dev\n--help' },
      ['input "images"', '"--help"', '(line 2)', 'read as an option'],
    ],
    [{ images: 'Calico/Dikastes:dev' }, ['"Calico/Dikastes:dev"', 'not an image reference']],
    [{ images: 'calico/dikastes:dev; rm -rf /' }, ['not an image reference']],
    [
      { images: 'calico/dikastes:dev', cluster: 'existing', 'ingress-url': 'http://127.0.0.1:1' },
      ['kind nodes only'],
    ],
    [{ 'image-mirror': 'docker.io' }, ['input "image-mirror"', '(line 1)', 'not a REGISTRY=URL pair']],
    [
      { 'image-mirror': 'quay.io=https://q.example\nhttps://docker.io=https://m.example' },
      ['(line 2)', 'with a scheme'],
    ],
    [
      { 'image-mirror': 'docker.io=http://m.example' },
      ['(line 1)', 'http:// mirror', 'allow-insecure-mirrors: true'],
    ],
    [{ 'image-mirror': 'docker.io=https://u:secret@m.example' }, ['credentials', '//***@m.example']],
    [{ 'image-mirror': 'docker.io=mirror.example' }, ['not an http(s) URL']],
    [
      { 'image-mirror': 'docker.io=https://a.example\ndocker.io=https://b.example' },
      ['(line 2)', 'repeats the registry docker.io'],
    ],
    [{ 'image-mirror': 'docker io=https://a.example' }, ['does not name a registry host']],
  ] as [RawInputs, string[]][])('%o is refused', (raw, fragments) => {
    const message = refusal(raw);
    for (const f of fragments) expect(message).toContain(f);
    expect(message).not.toContain('secret');
  });

  it('the CLI plan says which images it loads and which mirrors it uses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cic-image-opts-'));
    try {
      const out: string[] = [];
      const code = await runCli(
        [
          'plan',
          '--out',
          join(dir, 'plan'),
          '--image',
          'calico/dikastes:dev',
          '--image-mirror',
          'docker.io=https://m.example',
        ],
        { out: (t) => void out.push(t), err: () => undefined },
      );
      expect(code).toBe(0);
      expect(out.join('')).toContain('images loaded from this Docker: calico/dikastes:dev');
      expect(out.join('')).toContain('image mirror: docker.io → https://m.example');
      expect(existsSync(join(dir, 'plan/manifests/containerd/certs.d/docker.io/hosts.toml'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the CLI refuses a bad --image-mirror with exit 2 before writing anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cic-image-opts-'));
    try {
      const err: string[] = [];
      const code = await runCli(
        [
          'plan',
          '--out',
          join(dir, 'plan'),
          '--image',
          'calico/dikastes:dev',
          '--image-mirror',
          'https://docker.io=https://m.example',
        ],
        { out: () => undefined, err: (t) => void err.push(t) },
      );
      expect(code).toBe(2);
      expect(err.join('')).toContain(
        'Invalid --image-mirror: "https://docker.io=https://m.example" (line 1) names the registry with a scheme',
      );
      expect(existsSync(join(dir, 'plan'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
