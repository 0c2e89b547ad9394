import { makeBadge } from 'badge-maker';
import type { Badge } from './matrix-model.js';

/**
 * The shields.io endpoint document (https://shields.io/badges/endpoint-badge). Shields rejects
 * unknown keys, so only these are ever written.
 */
export interface ShieldsEndpoint {
  readonly schemaVersion: 1;
  readonly label: string;
  readonly message: string;
  readonly color: string;
  readonly cacheSeconds?: number;
}

/** Shields' floor: smaller values are raised to it anyway. */
export const CACHE_SECONDS = 3600;

export function badgeJson(b: Badge): ShieldsEndpoint {
  return {
    schemaVersion: 1,
    label: b.label,
    message: b.message,
    color: b.color,
    cacheSeconds: CACHE_SECONDS,
  };
}

/** A standalone SVG of the same badge (badge-maker escapes the text). */
export function badgeSvg(b: Badge): string {
  return makeBadge({ label: b.label, message: b.message, color: b.color, style: 'flat' });
}
