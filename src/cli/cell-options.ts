import { Option, type Command } from 'commander';
import { INPUTS, type RawInputs } from '../config/inputs.js';

/** Inputs that take one value per line: the CLI flag repeats. */
const REPEATABLE = new Set<string>(['mirrors', 'test', 'images', 'image-mirror']);

/** Adds one option per cell input (same names as the action's, without `-version`). */
export function addCellOptions(cmd: Command): Command {
  for (const i of INPUTS) {
    const opt = new Option(`--${i.flag} <${i.arg}>`, i.description);
    if (REPEATABLE.has(i.name)) opt.argParser((v: string, prev: string[] = []) => [...prev, v]);
    cmd.addOption(opt);
  }
  return cmd;
}

/** Commander's camelCase option bag → the same raw record the action reads. */
export function rawInputs(opts: Record<string, unknown>): RawInputs {
  const raw: RawInputs = {};
  for (const i of INPUTS) {
    const key = i.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const v = opts[key];
    if (v === undefined) continue;
    raw[i.name] = Array.isArray(v) ? v.join('\n') : String(v);
  }
  return raw;
}
