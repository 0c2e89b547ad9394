import { actionsMatrix, type MatrixRanges } from '../version-matrix/select.js';

export interface VersionsMatrixOptions {
  readonly calico?: string;
  readonly istio?: string;
  readonly kubernetes?: string;
}

/**
 * `versions --matrix`: the GitHub Actions matrix as one compact JSON line, for
 * `echo "matrix=$(…)" >> "$GITHUB_OUTPUT"` and `fromJSON(...)`. Bad ranges throw InputError (exit 2).
 */
export function versionsMatrixLine(opts: VersionsMatrixOptions): string {
  const ranges: MatrixRanges = {
    ...(opts.calico !== undefined ? { calico: opts.calico } : {}),
    ...(opts.istio !== undefined ? { istio: opts.istio } : {}),
    ...(opts.kubernetes !== undefined ? { kubernetes: opts.kubernetes } : {}),
  };
  return `${JSON.stringify(actionsMatrix(ranges))}\n`;
}
