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
} as const;
