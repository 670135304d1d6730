/**
 * `GET /worker/bundles/:file`: the worker bundle a node's boot script downloads. It answers
 * only a bootstrap token of a live cluster (header `x-ferry-bootstrap-token`): the bundle is
 * nothing secret (open-source code, a Node.js runtime, polars), but it is ~70 MB, and an
 * open route would let anyone make the control plane send it again and again. Only nodes
 * ferry launched can ask, and only until every node of their cluster has registered (the
 * token is cleared then). Not part of the JSON API: it is binary and machines call it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { BOOTSTRAP_TOKEN_HEADER, NotFoundError, WORKER_BUNDLE_ROUTE } from '@ferry/core';
import type { FastifyInstance } from 'fastify';
import type { Resources } from '../resources.ts';
import { NodeTokenError } from './node-intake.ts';
import { workerBundlesOf } from './worker-bundle-store.ts';

/**
 * Read size of the bundle's stream: 1 MiB instead of the default 64 KiB sends ~70 MB in
 * ~70 turns of the event loop instead of ~1,100, so a busy control plane (API requests,
 * heartbeats) delays a node's download far less.
 */
const SEND_CHUNK_BYTES = 1 << 20;

/** Registers the route on `app`. */
export function registerWorkerBundleRoute(app: FastifyInstance, resources: Resources): void {
  app.get<{ Params: { file: string } }>(`${WORKER_BUNDLE_ROUTE}/:file`, async (request, reply) => {
    const token = request.headers[BOOTSTRAP_TOKEN_HEADER];
    if (typeof token !== 'string' || !token.startsWith('ferry_boot_')) {
      throw new NodeTokenError('bootstrap');
    }
    const hash = createHash('sha256').update(token).digest('hex');
    const cluster = await resources.db
      .selectFrom('clusters')
      .select('id')
      .where('bootstrap_token_hash', '=', hash)
      .where('state', 'in', ['Starting', 'Idle', 'Busy'])
      .executeTakeFirst();
    if (cluster === undefined) throw new NodeTokenError('bootstrap');
    const path = await workerBundlesOf(resources).find(request.params.file);
    if (path === undefined) throw new NotFoundError('No such worker bundle here.');
    const { size } = await stat(path);
    request.log.info({ clusterId: cluster.id, file: request.params.file }, 'worker bundle sent');
    return reply
      .header('content-type', path.endsWith('.zst') ? 'application/zstd' : 'application/gzip')
      .header('content-length', size)
      .header('cache-control', 'no-store')
      .send(createReadStream(path, { highWaterMark: SEND_CHUNK_BYTES }));
  });
}
