#!/usr/bin/env node
/**
 * `localcloud [--host 127.0.0.1] [--port 4566] [--state-dir DIR] [--log-level info]`, with
 * EC2, Kinesis and CloudFormation timings from the environment (`options-from-env.ts`).
 */
import { parseArgs } from 'node:util';
import { parseLogLevel } from './core/logger.ts';
import { start } from './index.ts';
import { optionsFromEnv } from './options-from-env.ts';

const usage =
  'usage: localcloud [--host 127.0.0.1] [--port 4566] [--state-dir DIR] [--log-level debug|info|warn|silent]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '4566' },
      'state-dir': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be an integer between 0 and 65535 (got "${values.port}")`);
  const logLevel = parseLogLevel(
    values['log-level'] ?? process.env.LOCALCLOUD_LOG_LEVEL,
    '--log-level',
  );
  const cloud = await start({
    ...optionsFromEnv(process.env),
    host: values.host,
    port,
    stateDir: values['state-dir'],
    logLevel,
  });
  console.log(`localcloud listening on ${cloud.url}`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    cloud.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`localcloud: stop after ${signal} failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`localcloud: ${err instanceof Error ? err.message : String(err)}`);
  console.error(usage);
  process.exit(2);
});
