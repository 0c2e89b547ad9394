#!/usr/bin/env node
import { VERSION } from '../version.js';

const argv = process.argv.slice(2);
// `--version` is answered before any command is loaded; everything else loads the program.
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${VERSION}\n`);
} else {
  const { runCli } = await import('./index.js');
  process.exitCode = await runCli(argv);
}
