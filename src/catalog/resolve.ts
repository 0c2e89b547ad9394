import type { CellConfig } from '../config/cell-config.js';
import { compareVersions, minorInRange, parseVersion, minorOf, stripV } from '../util/version.js';
import type { CalicoRelease, KnownDefect } from './calico.js';
import { defectFor, knownKindVersions, lookupCalico, lookupIstio, lookupNodeImage } from './index.js';
import type { IstioRelease } from './istio.js';
import { describeWindow, type KubeWindow } from './types.js';

export type SupportStatus = 'supported' | 'outside-window' | 'known-defect';

/** One component's standing in this cell, with the evidence a reader needs. */
export interface SupportEntry {
  readonly component: 'calico' | 'istio';
  readonly version: string;
  readonly status: SupportStatus;
  readonly detail: string;
  readonly window?: string;
  readonly defect?: KnownDefect;
}

/** A cell with every version exact and every quirk decided. */
export interface ResolvedCell {
  readonly id: string;
  readonly kubernetes: { readonly version: string; readonly minor: string };
  readonly kind: { readonly version: string; readonly nodeImage: string; readonly customImage: boolean };
  readonly calico: {
    readonly version: string;
    readonly release: CalicoRelease;
    readonly dikastesImage: string;
    readonly defect?: KnownDefect;
  };
  readonly istio: { readonly version: string; readonly release: IstioRelease };
  readonly support: readonly SupportEntry[];
  readonly config: CellConfig;
}

function must<T>(res: { ok: true; value: T } | { ok: false; why: string }, what: string): T {
  if (!res.ok) throw new Error(`${what}: ${res.why} (the config was validated: this is a bug)`);
  return res.value;
}

function windowEntry(
  component: 'calico' | 'istio',
  version: string,
  window: KubeWindow,
  k8sMinor: string,
): SupportEntry {
  const w = describeWindow(window);
  if (minorInRange(k8sMinor, window.min, window.max)) {
    return {
      component,
      version,
      status: 'supported',
      window: w,
      detail: `Kubernetes ${k8sMinor} is within ${w}`,
    };
  }
  return {
    component,
    version,
    status: 'outside-window',
    window: w,
    detail: `Kubernetes ${k8sMinor} is outside window ${w}`,
  };
}

function newestKind(): string {
  return [...knownKindVersions()].sort(compareVersions).at(-1)!;
}

export function cellId(k8s: string, calico: string, istio: string): string {
  return `k8s-${k8s}_calico-${calico}_istio-${istio}`;
}

/** Config → exact versions and support status. Unsupported cells still resolve: they are reported, not skipped. */
export function resolveCell(config: CellConfig): ResolvedCell {
  const calico = must(lookupCalico(config.calico), 'calico');
  const istio = must(lookupIstio(config.istio), 'istio');

  let kind: ResolvedCell['kind'];
  let k8sVersion: string;
  if (config.nodeImage) {
    const tag = /:v?(\d+\.\d+\.\d+)@/.exec(config.nodeImage)?.[1];
    k8sVersion = tag ?? config.kubernetes;
    // A custom image still needs a kind binary: the one asked for, else the newest we know.
    kind = {
      version: config.kindVersion ?? newestKind(),
      nodeImage: config.nodeImage,
      customImage: true,
    };
  } else {
    const choice = must(lookupNodeImage(config.kubernetes, config.kindVersion), 'kubernetes');
    k8sVersion = choice.kubernetes;
    kind = { version: choice.kind, nodeImage: choice.image, customImage: false };
  }
  const k8sMinor = minorOf(parseVersion(k8sVersion)!);

  const defect = defectFor(calico.version);
  const calicoEntry: SupportEntry = defect
    ? {
        component: 'calico',
        version: calico.version,
        status: 'known-defect',
        window: describeWindow(calico.release.kubernetes),
        detail: `${calico.version} carries known defect ${defect.id} (${defect.from}–${defect.to}): ${defect.title}; ${windowEntry('calico', calico.version, calico.release.kubernetes, k8sMinor).detail}`,
        defect,
      }
    : windowEntry('calico', calico.version, calico.release.kubernetes, k8sMinor);

  const istioEntry = windowEntry('istio', istio.version, istio.release.kubernetes, k8sMinor);

  return {
    id: cellId(k8sVersion, calico.version, istio.version),
    kubernetes: { version: k8sVersion, minor: k8sMinor },
    kind,
    calico: {
      version: calico.version,
      release: calico.release,
      dikastesImage: `${calico.release.dikastesImage}:${calico.version}`,
      ...(defect ? { defect } : {}),
    },
    istio,
    support: [calicoEntry, istioEntry],
    config,
  };
}

/** True when every component is within its window and free of known defects. */
export function isSupported(cell: ResolvedCell): boolean {
  return cell.support.every((s) => s.status === 'supported');
}

export { compareVersions, stripV };
