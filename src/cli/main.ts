#!/usr/bin/env node
import { nodeRefusal } from './node-check.js';

// Checked before the CLI and its dependencies load: on an older Node they would crash on import.
const refusal = nodeRefusal(process.versions.node, process.execPath);
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  process.exitCode = 2;
} else {
  const { runCli } = await import('./index.js');
  process.exitCode = await runCli(process.argv.slice(2));
}
