/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call --
   Raw response bodies are untyped JSON on purpose. */
/**
 * The query routes as a client uses them: connect to a direct-mode cluster (a token the
 * stored public key verifies, naming the actor, the cluster and the permission), submit a
 * proxy-mode query, list, get, wait, cancel, and the audit of submit, connect and cancel.
 */
import { verify } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { insertCluster, ownerWithWorkspace, recordNode } from '../compute/cluster-fixture.ts';
import { registerNode } from '../compute/node-intake.ts';
import { querySigningKey } from '../queries/query-signing-key.ts';
import { describeEachBackend } from '../testing/backends.ts';
import type { TestCaller } from './api-test-kit.ts';

const ENVELOPE = {
  ferryVersion: '0.1.0',
  polarsVersion: '0.26.1',
  format: 'polars-json',
  kind: 'sql',
  sql: 'SELECT 1 AS one',
  labels: { team: 'fares' },
};

describeEachBackend('query routes', (ctx) => {
  let app: FastifyInstance;
  let owner: TestCaller;
  let orgId: string;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createApp(ctx().resources);
    ({ owner, orgId, workspaceId } = await ownerWithWorkspace(app, ctx().resources));
  });
  afterAll(async () => {
    await app?.close();
  });

  async function idleCluster(connectionMode: 'direct' | 'proxy') {
    const { resources } = ctx();
    const started = await insertCluster(resources, {
      workspaceId,
      orgId,
      context: { connectionMode },
    });
    const instanceId = await recordNode(resources, started.cluster);
    await registerNode(resources, {
      bootstrapToken: started.bootstrapToken,
      clusterId: started.cluster.id,
      instanceId,
    });
    return { clusterId: started.cluster.id, instanceId };
  }

  it('connect answers 409 while the cluster starts, then the node and a verifiable token', async () => {
    const { resources } = ctx();
    const starting = await insertCluster(resources, { workspaceId, orgId });
    const early = await owner.call('queries.connect', {
      params: { workspaceId, clusterId: starting.cluster.id },
    });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('cluster_not_ready');

    const { clusterId, instanceId } = await idleCluster('direct');
    const none = await owner.call('queries.connect', { params: { workspaceId, clusterId } });
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('no_query_node');

    await resources.db
      .updateTable('cluster_nodes')
      .set({ private_ip: '127.0.0.9', query_port: 5051, tls_fingerprint: 'ab'.repeat(32) })
      .where('instance_id', '=', instanceId)
      .execute();
    const res = await owner.call('queries.connect', { params: { workspaceId, clusterId } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      clusterId,
      workspaceId,
      connectionMode: 'direct',
      node: { instanceId, address: '127.0.0.9', port: 5051, tlsFingerprint: 'ab'.repeat(32) },
    });
    const token: string = res.body.token;
    const match = /^ferry_qt_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token);
    expect(match).not.toBeNull();
    const claims = JSON.parse(Buffer.from(match![1]!, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({
      v: 1,
      sub: owner.userId,
      cluster: clusterId,
      workspace: workspaceId,
      perm: 'queries:run',
    });
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(15 * 60);
    expect(new Date(res.body.expiresAt).getTime()).toBe(claims.exp * 1000);
    const key = await querySigningKey(resources);
    expect(
      verify(null, Buffer.from(match![1]!), key.publicKeyPem, Buffer.from(match![2]!, 'base64url')),
    ).toBe(true);
    // Only the public half is stored in the clear.
    const stored = await resources.db
      .selectFrom('server_keys' as never)
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain('PRIVATE KEY');
  });

  it('connect to a proxy-mode cluster gives no node and no token', async () => {
    const { clusterId } = await idleCluster('proxy');
    const res = await owner.call('queries.connect', { params: { workspaceId, clusterId } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ connectionMode: 'proxy', node: null, token: null });
  });

  it('submits, lists, gets, waits for and cancels a proxy query; submit and cancel are audited', async () => {
    const { clusterId } = await idleCluster('proxy');
    const submitted = await owner.call('queries.submit', {
      params: { workspaceId, clusterId },
      body: { envelope: ENVELOPE },
    });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({
      clusterId,
      mode: 'proxy',
      kind: 'sql',
      state: 'Queued',
      labels: { team: 'fares' },
      actor: { kind: 'user', id: owner.userId },
      costUsd: null,
    });
    const queryId: string = submitted.body.id;
    expect(queryId).toMatch(/^qry_/);

    const listed = await owner.call('queries.list', {
      params: { workspaceId },
      query: { clusterId, state: 'Queued', label: 'team=fares' },
    });
    expect(listed.body.items.map((q: { id: string }) => q.id)).toEqual([queryId]);
    const other = await owner.call('queries.list', {
      params: { workspaceId },
      query: { label: 'team=other' },
    });
    expect(other.body.items).toEqual([]);

    const started = Date.now();
    const waited = await owner.call('queries.wait', {
      params: { workspaceId, queryId },
      query: { waitSeconds: 1 },
    });
    expect(waited.body.state).toBe('Queued');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const head = await owner.call('queries.head', { params: { workspaceId, queryId } });
    expect(head.status).toBe(404);

    const canceled = await owner.call('queries.cancel', { params: { workspaceId, queryId } });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ state: 'Canceled', error: { code: 'canceled' } });
    const got = await owner.call('queries.get', { params: { workspaceId, queryId } });
    expect(got.body.state).toBe('Canceled');
    const profile = await owner.call('queries.profile', { params: { workspaceId, queryId } });
    expect(profile.body).toMatchObject({ queryId, state: 'Canceled', phases: {}, costUsd: null });

    const audit = await owner.call('audit.list', { params: { orgId } });
    const actions = audit.body.items
      .filter((e: { targetId: string }) => e.targetId === queryId)
      .map((e: { action: string }) => e.action);
    expect(actions.sort()).toEqual(['queries.cancel', 'queries.submit']);
  });

  it('refuses a submission to a cluster that is not live, naming its state', async () => {
    const { resources } = ctx();
    const { clusterId } = await idleCluster('proxy');
    await resources.db
      .updateTable('clusters')
      .set({ state: 'Stopped' })
      .where('id', '=', clusterId)
      .execute();
    const res = await owner.call('queries.submit', {
      params: { workspaceId, clusterId },
      body: { envelope: ENVELOPE },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('Stopped');
  });
});
