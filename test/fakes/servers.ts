import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UPSTREAM_DIR } from '../support/upstream.js';

export const FAKES_DIR = resolve(import.meta.dirname);

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A downloadable "binary": a node script that runs the fake from its real place (so its imports resolve). */
function wrapper(tool: string): Buffer {
  const target = pathToFileURL(join(FAKES_DIR, tool)).href;
  return Buffer.from(`#!/usr/bin/env node\nawait import(${JSON.stringify(target)});\n`);
}

/** Operator manifests the catalog does not pin: small stand-ins with the same kinds. */
export function standIn(file: string): string {
  const stem = file
    .replace(/\.ya?ml$/, '')
    .replace(/[^a-z0-9]+/gi, '-')
    .toLowerCase();
  return [
    'apiVersion: apiextensions.k8s.io/v1',
    'kind: CustomResourceDefinition',
    'metadata:',
    `  name: ${stem}s.operator.tigera.io`,
    '---',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${stem}`,
    '  namespace: tigera-operator',
    `# stand-in for ${file}`,
    '',
  ].join('\n');
}

export interface ServerOptions {
  /** Serve a wrong published checksum for this tool. */
  readonly badChecksum?: 'kind' | 'kubectl' | 'istioctl';
  readonly workDir: string;
}

/**
 * One local HTTP server for everything a run downloads: the tools (fake binaries with their sha256
 * files, istioctl as a tar.gz) and the upstream manifests (the workplace's verbatim copies, so the
 * catalog's pinned digests verify). `mirrors` points the run at it.
 */
export async function startDownloadServer(opts: ServerOptions) {
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  const tool = (
    urlPath: string,
    body: Buffer,
    name: 'kind' | 'kubectl' | 'istioctl',
    sumSuffix: string,
    sumName?: string,
  ) => {
    files.set(urlPath, body);
    const hex = opts.badChecksum === name ? 'f'.repeat(64) : sha256(body);
    files.set(`${urlPath}${sumSuffix}`, Buffer.from(sumName ? `${hex}  ${sumName}\n` : `${hex}\n`));
  };
  tool('/kind/v0.32.0/kind-linux-amd64', wrapper('kind'), 'kind', '.sha256sum', 'kind-linux-amd64');
  tool('/k8s/release/v1.34.8/bin/linux/amd64/kubectl', wrapper('kubectl'), 'kubectl', '.sha256');
  // The legacy cell the runbook test plans (Kubernetes 1.32, Istio 1.15).
  tool('/kind/v0.31.0/kind-linux-amd64', wrapper('kind'), 'kind', '.sha256sum', 'kind-linux-amd64');
  tool('/k8s/release/v1.32.11/bin/linux/amd64/kubectl', wrapper('kubectl'), 'kubectl', '.sha256');
  const istioDir = join(opts.workDir, 'istioctl-archive');
  mkdirSync(istioDir, { recursive: true });
  writeFileSync(join(istioDir, 'istioctl'), wrapper('istioctl'));
  chmodSync(join(istioDir, 'istioctl'), 0o755);
  const tgz = join(opts.workDir, 'istioctl.tar.gz');
  execFileSync('tar', ['-czf', tgz, '-C', istioDir, 'istioctl']);
  for (const v of ['1.28.1', '1.15.7'])
    tool(
      `/istio/${v}/istioctl-${v}-linux-amd64.tar.gz`,
      readFileSync(tgz),
      'istioctl',
      '.sha256',
      `istioctl-${v}-linux-amd64.tar.gz`,
    );

  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    requests.push(path);
    let body = files.get(path);
    const calico = /^\/raw\/projectcalico\/calico\/(v[\d.]+)\/manifests\/(.+)$/.exec(path);
    const boutique = /^\/raw\/GoogleCloudPlatform\/microservices-demo\/(v[\d.]+)\/release\/(.+)$/.exec(path);
    if (!body && calico) {
      const local = join(UPSTREAM_DIR, 'calico', calico[1]!, calico[2]!);
      body = existsSync(local) ? readFileSync(local) : Buffer.from(standIn(calico[2]!));
    }
    if (!body && boutique) {
      const local = join(UPSTREAM_DIR, 'microservices-demo', boutique[1]!, boutique[2]!);
      if (existsSync(local)) body = readFileSync(local);
    }
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    mirrors: [
      `https://kind.sigs.k8s.io/dl=${url}/kind`,
      `https://dl.k8s.io=${url}/k8s`,
      `https://github.com/istio/istio/releases/download=${url}/istio`,
      `https://raw.githubusercontent.com=${url}/raw`,
    ],
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A route of the feed server: a body (200), or a status with no body. */
export type FeedRoute = string | Buffer | { readonly status: number };

/**
 * A local server imitating upstream release feeds (GitHub's releases and tags API, raw files, release
 * downloads): the test gives each path its answer; every request is kept with its headers.
 */
export async function startFeedServer(routes: Readonly<Record<string, FeedRoute>>) {
  const requests: { path: string; headers: Record<string, string | string[] | undefined> }[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    requests.push({ path, headers: { ...req.headers } });
    const route = routes[path];
    if (route === undefined)
      return void res.writeHead(404, { 'content-type': 'text/plain' }).end('404: Not Found');
    if (typeof route === 'object' && !Buffer.isBuffer(route)) return void res.writeHead(route.status).end();
    const body = Buffer.isBuffer(route) ? route : Buffer.from(route);
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
