import type { Arch, ToolName } from '../catalog/tools.js';

/**
 * sha256 digests of tool downloads pinned in the catalog, keyed `tool version arch` (for istioctl, the
 * .tar.gz). A pinned digest is checked instead of the published checksum file, so a mirror cannot
 * serve a matching binary/checksum pair.
 *
 * Empty on purpose: these digests live only in the release assets (kind's `.sha256sum`, dl.k8s.io's
 * `.sha256`, Istio's `.sha256`), not in any upstream repository this project could read them from,
 * and a digest is never written down from memory or a third party. Until one is added from upstream,
 * the result says the checksum came from the download's own source (`checksumSource: "published"`).
 */
export const PINNED_TOOL_SHA256: Readonly<Record<string, string>> = {};

export const pinKey = (tool: ToolName, version: string, arch: Arch): string => `${tool} ${version} ${arch}`;
