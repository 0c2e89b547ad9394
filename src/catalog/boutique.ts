/** Online Boutique, pinned: the blog used the moving main branch, a conformance run never does. */
export const BOUTIQUE = {
  version: 'v0.10.6',
  manifestUrl:
    'https://raw.githubusercontent.com/GoogleCloudPlatform/microservices-demo/v0.10.6/release/kubernetes-manifests.yaml',
  sha256: '41a4736597543ee562c673c0c0446e2cc4bddf2b816c294690e83b38cfcc66a2',
  imageRepository: 'us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo',
  services: [
    'adservice',
    'cartservice',
    'checkoutservice',
    'currencyservice',
    'emailservice',
    'frontend',
    'paymentservice',
    'productcatalogservice',
    'recommendationservice',
    'shippingservice',
  ],
  /** Dropped on kind: loadgenerator needs CPU we lack; frontend-external is a LoadBalancer that never binds. */
  drop: [
    { apiVersion: 'apps/v1', kind: 'Deployment', name: 'loadgenerator' },
    { apiVersion: 'v1', kind: 'ServiceAccount', name: 'loadgenerator' },
    { apiVersion: 'v1', kind: 'Service', name: 'frontend-external' },
  ],
  amd64Only: true,
  /**
   * Deployments the cell keeps, as `release/kubernetes-manifests.yaml` v0.10.6 declares them: the
   * container, its gRPC probe port (native `grpc:` liveness/readiness, UPSTREAM.md §6 "Probes") and its
   * CPU/memory requests (millicores, MiB).
   */
  workloads: [
    { name: 'frontend', container: 'server', cpuMillis: 100, memoryMiB: 64 },
    { name: 'adservice', container: 'server', grpcPort: 9555, cpuMillis: 200, memoryMiB: 180 },
    { name: 'currencyservice', container: 'server', grpcPort: 7000, cpuMillis: 100, memoryMiB: 64 },
    { name: 'cartservice', container: 'server', grpcPort: 7070, cpuMillis: 200, memoryMiB: 64 },
    { name: 'redis-cart', container: 'redis', cpuMillis: 70, memoryMiB: 200 },
    { name: 'recommendationservice', container: 'server', grpcPort: 8080, cpuMillis: 100, memoryMiB: 220 },
    { name: 'checkoutservice', container: 'server', grpcPort: 5050, cpuMillis: 100, memoryMiB: 64 },
    { name: 'emailservice', container: 'server', grpcPort: 8080, cpuMillis: 100, memoryMiB: 64 },
    { name: 'paymentservice', container: 'server', grpcPort: 50051, cpuMillis: 100, memoryMiB: 64 },
    { name: 'shippingservice', container: 'server', grpcPort: 50051, cpuMillis: 100, memoryMiB: 64 },
    { name: 'productcatalogservice', container: 'server', grpcPort: 3550, cpuMillis: 100, memoryMiB: 64 },
  ],
  /**
   * Moving tags in the release file, pinned: `redis:alpine` by the digest upstream's own Helm chart pins
   * (microservices-demo `helm-chart/values.yaml`, main 2026-08, UPSTREAM.md §6).
   */
  pinnedImages: {
    'redis:alpine': 'redis:alpine@sha256:8096655e437712b07503796fb64d81359256cfcff0ab29d95a7da72863786efb',
  },
  /** Our lowered CPU request per kept container: the default cell fits a 2-vCPU runner (UPSTREAM.md §6 "Capacity"). */
  loweredCpuMillis: 25,
} as const;

/**
 * Who each kept Deployment's pods are, as release/kubernetes-manifests.yaml v0.10.6 declares them
 * (template labels, serviceAccountName, the app container's first port): the policy oracle's target
 * when `suite check` runs without a cluster.
 */
export const BOUTIQUE_PODS = [
  { labels: { app: 'frontend' }, serviceAccount: 'frontend', port: 8080 },
  { labels: { app: 'adservice' }, serviceAccount: 'adservice', port: 9555 },
  { labels: { app: 'currencyservice' }, serviceAccount: 'currencyservice', port: 7000 },
  { labels: { app: 'cartservice' }, serviceAccount: 'cartservice', port: 7070 },
  { labels: { app: 'redis-cart' }, serviceAccount: 'default', port: 6379 },
  { labels: { app: 'recommendationservice' }, serviceAccount: 'recommendationservice', port: 8080 },
  { labels: { app: 'checkoutservice' }, serviceAccount: 'checkoutservice', port: 5050 },
  { labels: { app: 'emailservice' }, serviceAccount: 'emailservice', port: 8080 },
  { labels: { app: 'paymentservice' }, serviceAccount: 'paymentservice', port: 50051 },
  { labels: { app: 'shippingservice' }, serviceAccount: 'shippingservice', port: 50051 },
  { labels: { app: 'productcatalogservice' }, serviceAccount: 'productcatalogservice', port: 3550 },
] as const;

/**
 * Online Boutique's Services as release/kubernetes-manifests.yaml v0.10.6 declares them: each selects
 * `app: <name>` and forwards its one port to the targetPort (only emailservice differs: 5000 → 8080).
 * The policy oracle's service targets (`to: {service, port}`) when `suite check` runs without a cluster.
 */
export const BOUTIQUE_SERVICE_PORTS = [
  { name: 'frontend', port: 80, targetPort: 8080 },
  { name: 'adservice', port: 9555, targetPort: 9555 },
  { name: 'currencyservice', port: 7000, targetPort: 7000 },
  { name: 'cartservice', port: 7070, targetPort: 7070 },
  { name: 'redis-cart', port: 6379, targetPort: 6379 },
  { name: 'recommendationservice', port: 8080, targetPort: 8080 },
  { name: 'checkoutservice', port: 5050, targetPort: 5050 },
  { name: 'emailservice', port: 5000, targetPort: 8080 },
  { name: 'paymentservice', port: 50051, targetPort: 50051 },
  { name: 'shippingservice', port: 50051, targetPort: 50051 },
  { name: 'productcatalogservice', port: 3550, targetPort: 3550 },
] as const;
