import { resolve } from 'node:path';
import type { Plan } from '../plan/types.js';

/** plan.env holds paths relative to the plan directory; commands get them absolute. */
export function planEnv(plan: Plan, planDir: string): Record<string, string> {
  return Object.fromEntries(Object.entries(plan.env).map(([k, v]) => [k, resolve(planDir, v)]));
}
