/**
 * The bundle route answers only a bootstrap token of a live cluster: no token, a wrong one,
 * or one whose cluster is no longer live get 401 like each other; a file it does not hold
 * (or a name that tries to leave the bundle directory) is 404; the token reaches no log.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOTSTRAP_TOKEN_HEADER, WORKER_BUNDLE_ROUTE, workerBundleFile } from '@ferry/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { createLogCapture } from '../testing/log-capture.ts';
import { insertCluster, ownerWithWorkspace } from './cluster-fixture.ts';
import { applyClusterEvent } from './cluster-transitions.ts';

const VERSION = '0.1.0-routetest0001';
const FILE = workerBundleFile(VERSION, 'x86_64', 'zstd');
const GZ_FILE = workerBundleFile(VERSION, 'x86_64', 'gzip');
const BYTES = Buffer.from('not really a bundle, but served as one');
const bundleDir = mkdtempSync(join(tmpdir(), 'ferry-bundle-route-'));
mkdirSync(join(bundleDir, VERSION));
writeFileSync(join(bundleDir, VERSION, FILE), BYTES);
writeFileSync(join(bundleDir, VERSION, `${FILE}.sha256`), `${'0'.repeat(64)}\n`);
writeFileSync(join(bundleDir, VERSION, GZ_FILE), BYTES);
writeFileSync(join(bundleDir, VERSION, `${GZ_FILE}.sha256`), `${'1'.repeat(64)}\n`);
const capture = createLogCapture();

describeEachBackend(
  'worker bundle route',
  (ctx) => {
    let app: FastifyInstance;
    let workspaceId: string;
    let orgId: string;
    beforeAll(async () => {
      app = await createApp(ctx().resources);
      ({ workspaceId, orgId } = await ownerWithWorkspace(app, ctx().resources));
    });
    afterAll(async () => {
      await app?.close();
    });

    const get = (file: string, token?: string) =>
      app.inject({
        method: 'GET',
        url: `${WORKER_BUNDLE_ROUTE}/${file}`,
        headers: token === undefined ? {} : { [BOOTSTRAP_TOKEN_HEADER]: token },
      });

    it('serves the bundle to a live cluster’s bootstrap token, and nothing to anyone else', async () => {
      const { cluster, bootstrapToken } = await insertCluster(ctx().resources, {
        workspaceId,
        orgId,
      });

      const ok = await get(FILE, bootstrapToken);
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['content-type']).toBe('application/zstd');
      expect(ok.rawPayload).toEqual(BYTES);
      const gz = await get(GZ_FILE, bootstrapToken);
      expect(gz.statusCode).toBe(200);
      expect(gz.headers['content-type']).toBe('application/gzip');

      for (const token of [undefined, 'ferry_boot_wrong', 'nonsense']) {
        const res = await get(FILE, token);
        expect(res.statusCode, String(token)).toBe(401);
        expect(res.json<{ error: { code: string } }>().error.code).toBe('bootstrap_token_invalid');
      }
      for (const file of [
        workerBundleFile(VERSION, 'arm64', 'zstd'),
        workerBundleFile('0.0.9-other', 'x86_64', 'gzip'),
        '..%2F..%2Fetc%2Fpasswd',
        `${FILE}.sha256`,
      ]) {
        const res = await get(file, bootstrapToken);
        expect(res.statusCode, file).toBe(404);
      }

      // Once the cluster is no longer live its token opens nothing.
      await applyClusterEvent(ctx().resources, cluster.id, {
        type: 'fail',
        error: { code: 'test', message: 'failed by the test' },
      });
      expect((await get(FILE, bootstrapToken)).statusCode).toBe(401);
      expect(capture.text()).not.toContain(bootstrapToken);
    });
  },
  {
    env: { FERRY_COMPUTE_WORKER_BUNDLE_DIR: bundleDir, FERRY_LOG_LEVEL: 'info' },
    logDestination: capture,
  },
);
