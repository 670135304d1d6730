import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerBundles } from './compute/worker-bundle.ts';
import { loadConfig } from './config/load-config.ts';
import { start } from './server.ts';
import { createTestBackend, type TestBackend } from './testing/backends.ts';
import { createLogCapture } from './testing/log-capture.ts';

describe('server process', () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await createTestBackend('postgres');
  });
  afterAll(async () => {
    await backend?.close();
  });

  const configFor = (extra: Record<string, string> = {}) =>
    loadConfig({
      env: {
        DATABASE_URL: backend.databaseUrl ?? '',
        FERRY_SECRETS_KEY: backend.resources.config.secretsKey ?? '',
        FERRY_LISTEN_PORT: '0',
        FERRY_LOG_LEVEL: 'silent',
        ...extra,
      },
      flags: { dataDir: backend.dataDir },
    });

  it('lets an in-flight request finish on shutdown, then refuses new ones', async () => {
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const server = await start({
      config: configFor(),
      configureApp: (app) => {
        app.get('/test/slow', async () => {
          entered();
          await delay(400);
          return { finished: true };
        });
      },
    });
    const inFlight = fetch(`${server.url}/test/slow`);
    await inside;
    const stopped = server.stop();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ finished: true });
    await stopped;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('builds the worker bundles in the background once listening, when asked (as `ferry server` does)', async () => {
    const capture = createLogCapture();
    // The bundle cache the tests share: built once per change of the worker.
    const dir = fileURLToPath(
      new URL('../../../node_modules/.cache/ferry/worker-bundles', import.meta.url),
    );
    const server = await start({
      config: configFor({ FERRY_LOG_LEVEL: 'info', FERRY_COMPUTE_WORKER_BUNDLE_DIR: dir }),
      logDestination: capture,
      prebuildWorkerBundles: true,
    });
    try {
      const ready = async () => {
        for (;;) {
          const entry = capture.entries().find((e) => e.msg === 'worker bundles ready');
          if (entry) return entry;
          await delay(200);
        }
      };
      const entry = await ready();
      expect(entry.version).toBe(await createWorkerBundles({ dir }).version());
      expect(entry.architectures).toMatchObject({ x86_64: 'ready' });
    } finally {
      await server.stop();
    }
  }, 300_000);

  it('never writes secrets to the log', async () => {
    const capture = createLogCapture();
    const awsSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const awsKeyId = 'AKIAIOSFODNN7EXAMPLE';
    const config = configFor({
      FERRY_LOG_LEVEL: 'debug',
      FERRY_AWS_ACCESS_KEY_ID: awsKeyId,
      FERRY_AWS_SECRET_ACCESS_KEY: awsSecret,
    });
    const secretsKey = config.secretsKey ?? '';
    const server = await start({
      config,
      logDestination: capture,
      configureApp: (app) => {
        app.post('/test/login', (req, reply) => {
          // What careless code might do: log the body, the config and the raw secrets.
          req.log.info({ body: req.body, config }, 'login attempt');
          req.log.warn(`using key ${secretsKey} and ${awsSecret} for ${awsKeyId}`);
          return reply.send({ ok: true });
        });
      },
    });
    try {
      const res = await fetch(`${server.url}/test/login`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer ferry_pat_supersecretvalue123',
          cookie: 'ferry_session=session-secret-cookie-value',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ email: 'a@example.com', password: 'hunter2-correct-horse' }),
      });
      expect(res.status).toBe(200);
    } finally {
      await server.stop();
    }
    const text = capture.text();
    expect(text).toContain('login attempt');
    expect(text).toContain('a@example.com');
    for (const secret of [
      secretsKey,
      awsSecret,
      awsKeyId,
      'ferry_pat_supersecretvalue123',
      'session-secret-cookie-value',
      'hunter2-correct-horse',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[Redacted]');
  });
});
