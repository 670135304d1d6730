#!/usr/bin/env node
/**
 * The worker agent's entry point, run by the node's bootstrap:
 * `ferry-worker --shutdown=exit|poweroff` with the FERRY_* variables of WORKER_ENV set.
 * Exits 2 with a message naming the variable or flag when the configuration is bad.
 */
import { ValidationError } from '@ferry/core';
import { runWorker } from './run-worker.ts';

let code: number;
try {
  code = await runWorker(process.env, process.argv.slice(2));
} catch (e) {
  if (e instanceof ValidationError) {
    process.stderr.write(`ferry-worker: ${e.message}\n`);
    code = 2;
  } else {
    process.stderr.write(
      `ferry-worker: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    code = 1;
  }
}
// Exit now: idle keep-alive sockets must not hold the node up after its last heartbeat.
process.exit(code);
