import type { ImageMirrorRule } from '../util/images.js';

/** Where the node's containerd looks for per-registry `hosts.toml` files. */
export const CERTS_D = '/etc/containerd/certs.d';

/**
 * The containerd config patch kind merges into the node's /etc/containerd/config.toml. kind's node
 * images keep that file at `version = 2` (kind `images/base/files/etc/containerd/config.toml` @
 * v0.27.0, v0.31.0, v0.32.0) while running containerd 2.x (v2.0.2, v2.2.0, v2.3.1, `images/base/Dockerfile`);
 * containerd 2 migrates the v2 key `plugins."io.containerd.grpc.v1.cri".registry` to its images
 * plugin (containerd `plugins/cri/images/plugin.go` @ v2.3.1), so the v2 spelling is the one that
 * merges. kind's own example patches the same key (`site/static/examples/kind-with-registry.sh` @ v0.32.0).
 */
export const CONTAINERD_REGISTRY_PATCH = [
  '[plugins."io.containerd.grpc.v1.cri".registry]',
  `  config_path = "${CERTS_D}"`,
].join('\n');

/** A kind config with the registry patch added: kept apart from renderKindConfig so either can change alone. */
export function withContainerdRegistryPatch<T extends object>(
  config: T,
  rules: readonly ImageMirrorRule[],
): T & { containerdConfigPatches?: string[] } {
  if (rules.length === 0) return config;
  const existing = (config as { containerdConfigPatches?: string[] }).containerdConfigPatches ?? [];
  return { ...config, containerdConfigPatches: [...existing, CONTAINERD_REGISTRY_PATCH] };
}

/**
 * `certs.d/<registry>/hosts.toml`: the mirror first, the upstream registry (`server`) after it, as
 * containerd tries hosts in order and falls back to server (containerd `docs/hosts.md` @ v2.3.1,
 * "Setup a Local Mirror for Docker"). Docker Hub's API host is registry-1.docker.io
 * (`core/remotes/docker/config/hosts.go` @ v2.3.1). `pull` and `resolve`: the mirror also resolves tags.
 */
export function renderHostsToml(rule: ImageMirrorRule): string {
  const server = rule.registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${rule.registry}`;
  return [
    `server = "${server}"`,
    '',
    `[host."${rule.mirror}"]`,
    '  capabilities = ["pull", "resolve"]',
    '',
  ].join('\n');
}

/** Path of a rule's hosts.toml under a certs.d directory: the registry host verbatim, port included (`localhost:5000`). */
export function hostsTomlPath(dir: string, rule: ImageMirrorRule): string {
  return `${dir}/${rule.registry}/hosts.toml`;
}
