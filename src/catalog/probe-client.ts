/**
 * The probe client a suite deploys as a source inside the mesh: a container that idles and runs one
 * HTTP request per `kubectl exec`, beside its own Istio sidecar.
 *
 * The image is Istio's own proxy image at the cell's Istio version: its default (debug) variant is
 * built on `istio/base`, which installs curl (istio `docker/Dockerfile.base` and
 * `pilot/docker/Dockerfile.proxyv2` at 1.10.6, 1.15.7, 1.22.8 and 1.28.1: ubuntu + `curl`). The node
 * already pulls it for Istio, so the client adds no pull. Istio publishes it by tag only: the
 * reference is NOT pinned by digest, as the rest of Istio's images here; results record the image ID
 * the node ran. (Online Boutique's images are distroless and carry no client; the busybox its
 * loadgenerator pins by digest has a wget that drops the body of an error answer, which the classifier
 * needs to tell a connect timeout from a TLS fault.)
 */
export const PROBE_CLIENT = {
  /** `{istio}` is replaced by the cell's Istio version. */
  imageTemplate: 'docker.io/istio/proxyv2:{istio}',
  pinned: false,
  pinNote: 'pinned by tag only: Istio publishes proxyv2 by tag, no upstream digest to pin',
  container: 'client',
  /** Idles until exec'd (coreutils sleep of the ubuntu base). */
  command: ['sleep', '2147483647'],
  /**
   * Not 1337: the sidecar's iptables rules let UID 1337 (Envoy itself) bypass the redirect
   * (istio `tools/istio-iptables/pkg/constants/constants.go` DefaultProxyUID, 1.28.1), so a client running as
   * 1337 would skip its own sidecar and present no identity.
   */
  runAsUser: 1000,
  /** The HTTP client in the image and its exit code for "operation timed out" (curl's CURLE_OPERATION_TIMEDOUT). */
  http: { binary: 'curl', timeoutExit: 28 },
  resources: { cpu: '10m', memory: '16Mi' },
} as const;
