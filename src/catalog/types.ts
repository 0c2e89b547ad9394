/** A Kubernetes minor window, inclusive; `max` absent when upstream states none. */
export interface KubeWindow {
  readonly min: string;
  readonly max?: string;
}

export function describeWindow(w: KubeWindow): string {
  return w.max ? `${w.min}–${w.max}` : `${w.min}+`;
}
