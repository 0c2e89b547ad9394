/**
 * The `setImage` of a fetch command, as a pure text edit: every `image:` line whose repository ends
 * in `/<name>` (or is `<name>`), with a tag or digest, gets the new image. Calico's legacy patches
 * name Dikastes so (`image: quay.io/calico/dikastes:v3.32.1`, `:master` on master) in both the
 * sidecar and gateway templates (manifests/alp/istio-inject-configmap-1.15.yaml @ v3.32.1).
 */
export function setImageLines(text: string, name: string, image: string): { text: string; replaced: number } {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(
    `^(\\s*(?:-\\s+)?image:\\s*)(["']?)(?:[^\\s"'@]*/)?${escaped}(?::[\\w][\\w.-]*)?(?:@sha256:[a-f0-9]{64})?\\2(\\s*)$`,
    'gm',
  );
  let replaced = 0;
  const out = text.replace(re, (_m, head: string, quote: string, tail: string) => {
    replaced++;
    return `${head}${quote}${image}${quote}${tail}`;
  });
  return { text: out, replaced };
}
