#!/usr/bin/env node
import { VERSION } from '../version.js';
import { nodeRefusal } from './node-check.js';

const argv = process.argv.slice(2);
// Checked before the CLI and its dependencies load: on an older Node they would crash on import.
const refusal = nodeRefusal(process.versions.node, process.execPath);
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  process.exitCode = 2;
} else if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // Answered before any command is loaded; everything else loads the program.
  process.stdout.write(`${VERSION}\n`);
} else {
  const { runCli } = await import('./index.js');
  process.exitCode = await runCli(argv);
}
