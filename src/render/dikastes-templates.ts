import { toYaml } from './yaml.js';

/** The Calico guide's `dikastes` (uid 999) and `dikastes-gateway` (root) injection templates, image pinned. */
export type DikastesTemplateName = 'dikastes' | 'dikastes-gateway';

const USERS: Record<DikastesTemplateName, { uid: number; nonRoot: boolean }> = {
  dikastes: { uid: 999, nonRoot: true },
  'dikastes-gateway': { uid: 0, nonRoot: false },
};

const probe = (mode: 'liveness' | 'readiness') => ({
  exec: { command: ['/healthz', mode] },
  initialDelaySeconds: 3,
  periodSeconds: 3,
});

/** The template as an object: a strategic-merge overlay on the pod (containers merge by name). */
export function dikastesTemplate(name: DikastesTemplateName, image: string) {
  const user = USERS[name];
  return {
    spec: {
      containers: [
        {
          name: 'dikastes',
          image,
          args: ['server', '-l', '/var/run/dikastes/dikastes.sock', '-d', '/var/run/felix/nodeagent/socket'],
          securityContext: {
            allowPrivilegeEscalation: false,
            runAsGroup: user.uid,
            runAsNonRoot: user.nonRoot,
            runAsUser: user.uid,
          },
          livenessProbe: probe('liveness'),
          readinessProbe: probe('readiness'),
          volumeMounts: [
            { mountPath: '/var/run/dikastes', name: 'dikastes-sock' },
            { mountPath: '/var/run/felix', name: 'felix-sync' },
          ],
        },
      ],
      // Envoy (a native sidecar, so an init container) reaches Dikastes over this socket.
      initContainers: [
        { name: 'istio-proxy', volumeMounts: [{ mountPath: '/var/run/dikastes', name: 'dikastes-sock' }] },
      ],
      volumes: [
        { name: 'dikastes-sock', emptyDir: { medium: 'Memory' } },
        { name: 'felix-sync', csi: { driver: 'csi.tigera.io' } },
      ],
    },
  };
}

const isTemplateName = (n: string): n is DikastesTemplateName => n in USERS;

/** Istio wants each template as a YAML string; `names` are the profile's templates. */
export function dikastesTemplates(image: string, names: readonly string[]): Record<string, string> {
  const unknown = names.filter((n) => !isTemplateName(n));
  if (unknown.length) throw new Error(`no Dikastes template named ${unknown.join(', ')}`);
  return Object.fromEntries(names.filter(isTemplateName).map((n) => [n, toYaml(dikastesTemplate(n, image))]));
}
