import {
  CALICO_DEFECTS,
  CALICO_RELEASES,
  DEFAULT_CALICO,
  DEFAULT_ISTIO,
  DEFAULT_KUBERNETES,
  ISTIO_RELEASES,
  KIND_RELEASES,
  defectFor,
  describeWindow,
} from '../catalog/index.js';

/** The catalog as plain data, for `versions --json`. */
export function catalogJson() {
  return {
    defaults: { kubernetes: DEFAULT_KUBERNETES, calico: DEFAULT_CALICO, istio: DEFAULT_ISTIO },
    calico: CALICO_RELEASES.map((r) => ({
      minor: r.minor,
      latest: r.latest,
      kubernetes: describeWindow(r.kubernetes),
      dikastesImage: `${r.dikastesImage}:${r.latest}`,
      operatorManifests: [...r.operatorManifests, 'custom-resources.yaml'],
      apiServerNamespace: r.apiServerNamespace,
    })),
    istio: ISTIO_RELEASES.map((r) => ({
      minor: r.minor,
      latest: r.latest,
      ...(r.recommended ? { recommended: r.recommended } : {}),
      kubernetes: describeWindow(r.kubernetes),
      flavour: r.profile.flavour,
    })),
    kind: KIND_RELEASES.map((r) => ({ version: r.version, kubernetes: Object.keys(r.images) })),
    defects: CALICO_DEFECTS,
  };
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function catalogTable(): string {
  const c = catalogJson();
  return [
    `Default cell: Kubernetes ${c.defaults.kubernetes}, Calico ${c.defaults.calico}, Istio ${c.defaults.istio}`,
    '',
    'Calico',
    table(
      ['minor', 'latest', 'kubernetes', 'dikastes image', 'operator manifests', 'known defect'],
      c.calico.map((r) => [
        r.minor,
        r.latest,
        r.kubernetes,
        r.dikastesImage,
        r.operatorManifests.join(' → '),
        defectFor(r.latest)?.id ?? '',
      ]),
    ),
    '',
    'Istio',
    table(
      ['minor', 'latest', 'recommended', 'kubernetes', 'install flavour'],
      c.istio.map((r) => [r.minor, r.latest, r.recommended ?? '', r.kubernetes, r.flavour]),
    ),
    '',
    'kind',
    table(
      ['release', 'kindest/node images (pinned by digest)'],
      c.kind.map((r) => [r.version, r.kubernetes.join(', ')]),
    ),
    '',
    'Known defects',
    table(
      ['id', 'range', 'symptom', 'upstream'],
      c.defects.map((d) => [d.id, `${d.from}–${d.to}`, d.symptom, d.issue]),
    ),
    '',
  ].join('\n');
}
