/**
 * The node routes over a real socket with ferry's typed client, the way the worker calls
 * them: the `x-ferry-node-token` header passes the pipeline, and rate limits are per node
 * (every node here comes from 127.0.0.1, like nodes behind one NAT address).
 */
import { createFerryClient, FerryApiError } from '@ferry/api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { insertCluster, recordNode, workspaceRows } from '../compute/cluster-fixture.ts';
import { describeEachBackend } from '../testing/backends.ts';

const LIMIT = 4;

describeEachBackend(
  'node routes over HTTP',
  (ctx) => {
    let app: FastifyInstance;
    let baseUrl: string;

    beforeAll(async () => {
      app = await createApp(ctx().resources);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });
    afterAll(async () => {
      await app?.close();
    });

    const beat = {
      state: 'idle' as const,
      activeQueries: 0,
      connectedClients: 0,
      lastActivityAt: new Date().toISOString(),
    };

    it('registers and heartbeats with the typed client; limits each node on its own', async () => {
      const { resources } = ctx();
      const { orgId, workspaceId } = await workspaceRows(resources);
      const started = await insertCluster(resources, {
        workspaceId,
        orgId,
        context: { clusterSize: 2 },
      });
      const nodes = [
        await recordNode(resources, started.cluster),
        await recordNode(resources, started.cluster),
      ];
      const anonymous = createFerryClient({ baseUrl });
      const tokens: string[] = [];
      for (const instanceId of nodes) {
        const registered = await anonymous.call('nodes.register', {
          body: {
            bootstrapToken: started.bootstrapToken,
            clusterId: started.cluster.id,
            instanceId,
          },
        });
        tokens.push(registered.nodeToken);
      }
      const [a, b] = tokens.map((t) =>
        createFerryClient({ baseUrl, headers: { 'x-ferry-node-token': t } }),
      ) as [ReturnType<typeof createFerryClient>, ReturnType<typeof createFerryClient>];

      // Node a uses its whole budget (registrations counted in buckets of their own).
      for (let i = 0; i < LIMIT; i++) {
        expect(await a.call('nodes.heartbeat', { body: beat })).toEqual({
          stop: false,
          idleTimeoutMins: 60,
        });
      }
      const limited = await a.call('nodes.heartbeat', { body: beat }).catch((e: unknown) => e);
      expect(limited).toBeInstanceOf(FerryApiError);
      expect((limited as FerryApiError).status).toBe(429);
      // Node b, from the same address, is unaffected.
      expect((await b.call('nodes.heartbeat', { body: beat })).stop).toBe(false);

      const stranger = createFerryClient({
        baseUrl,
        headers: { 'x-ferry-node-token': `ferry_node_${'z'.repeat(43)}` },
      });
      const refused = await stranger
        .call('nodes.heartbeat', { body: beat })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(FerryApiError);
      expect((refused as FerryApiError).status).toBe(401);
      expect((refused as FerryApiError).code).toBe('node_token_invalid');
    });
  },
  { env: { FERRY_RATE_LIMIT_PER_MINUTE: String(LIMIT) } },
);
