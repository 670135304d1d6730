/**
 * Run as its own process: starts the control plane (PGlite in `--data-dir`, or PostgreSQL at
 * `--database-url`) with no AWS configured, sends a few requests, lets it settle, and prints
 * one JSON line — resident memory, V8 heap, and whether the EC2 SDK was loaded — then stops.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { start } from '../../apps/control-plane/src/index.ts';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    'database-url': { type: 'string' },
    'settle-ms': { type: 'string', default: '2000' },
    // As `ferry server` does: build (or find on disk) the worker bundles in the background.
    prebuild: { type: 'boolean', default: false },
    'bundle-dir': { type: 'string' },
  },
});
const begun = performance.now();
let peakRss = 0;
const peak = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
const server = await start({
  flags: {
    listen: '127.0.0.1:0',
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(values['database-url'] ? { databaseUrl: values['database-url'] } : {}),
    logLevel: 'warn',
  },
  env: {
    FERRY_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
    ...(values['bundle-dir'] ? { FERRY_COMPUTE_WORKER_BUNDLE_DIR: values['bundle-dir'] } : {}),
  },
  ...(values.prebuild ? { prebuildWorkerBundles: true } : {}),
  print: () => {},
});
const startMs = Math.round(performance.now() - begun);
try {
  for (let i = 0; i < 20; i++) {
    for (const path of ['/healthz', '/readyz', '/api/v1/auth/me', '/api/v1/openapi.json']) {
      await (await fetch(`${server.url}${path}`)).arrayBuffer();
    }
  }
  await new Promise((r) => setTimeout(r, Number(values['settle-ms'])));
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  const loaded = Object.keys(createRequire(import.meta.url).cache);
  console.log(
    JSON.stringify({
      rssMiB: Math.round((mem.rss / 2 ** 20) * 10) / 10,
      heapMiB: Math.round((mem.heapUsed / 2 ** 20) * 10) / 10,
      ec2SdkLoaded: loaded.some((k) => k.includes('/@aws-sdk/client-ec2/')),
      startMs,
      peakRssMiB: Math.round((Math.max(peakRss, mem.rss) / 2 ** 20) * 10) / 10,
    }),
  );
} finally {
  clearInterval(peak);
  await server.stop();
}
