import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';

/**
 * What the GitHub Marketplace checks before it lists an action: a description under 125
 * characters, and branding with a Feather icon and one of its colours.
 */
const MARKETPLACE_DESCRIPTION_MAX = 124;
const COLORS = ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark'];

function marketplaceProblems(action: {
  description?: unknown;
  branding?: { icon?: unknown; color?: unknown };
}): string[] {
  const out: string[] = [];
  const d = action.description;
  if (typeof d !== 'string' || d.trim() === '') out.push('description is missing');
  else if (d.length > MARKETPLACE_DESCRIPTION_MAX)
    out.push(`description is ${d.length} characters (Marketplace: under 125)`);
  if (typeof action.branding?.icon !== 'string') out.push('branding.icon is missing');
  if (!COLORS.includes(String(action.branding?.color)))
    out.push(`branding.color ${String(action.branding?.color)} is not a Marketplace colour`);
  return out;
}

describe('Marketplace listing', () => {
  const action = load(readFileSync('action.yml', 'utf8')) as Parameters<typeof marketplaceProblems>[0];

  it('action.yml has a description under 125 characters and branding', () => {
    expect(marketplaceProblems(action)).toEqual([]);
  });

  it('the check refuses what the Marketplace refuses', () => {
    expect(marketplaceProblems({ ...action, description: 'x'.repeat(125) })).toEqual([
      'description is 125 characters (Marketplace: under 125)',
    ]);
    expect(marketplaceProblems({ ...action, description: 'x'.repeat(124) })).toEqual([]);
    expect(marketplaceProblems({ description: 'ok', branding: { color: 'pink' } })).toHaveLength(2);
  });
});
