#!/usr/bin/env node
import { runCli } from './run-cli.ts';

// A reader that stops early (`ferry template --help | head -1`) closes the pipe: that is the
// end of the output, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2));
