/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call --
   Raw response bodies are untyped JSON on purpose. */
/**
 * The node side of queries through the API, as a worker calls it with its node token:
 * registration with the query endpoint, reports that only move a query forward (and never
 * cross clusters), the work long-poll woken by a proxy submission and by a cancel, head
 * upload kept until fetched, the cost of a query, and the sweep that ends a query whose
 * node died or whose cluster stopped, or a proxy query no node took in time. Over PostgreSQL, a second replica's submission wakes
 * a poll held by the first within a second (LISTEN/NOTIFY; the poll's own timer is 5 s).
 */
import { newId } from '@ferry/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { insertCluster, ownerWithWorkspace, recordNode } from '../compute/cluster-fixture.ts';
import { NODE_TOKEN_HEADER } from '../compute/node-intake.ts';
import { refreshNodes } from '../compute/stopper.ts';
import { injectCall, type TestCaller } from '../routes/api-test-kit.ts';
import { createTestBackend, describeEachBackend } from '../testing/backends.ts';
import { sweepQueries } from './query-sweeper.ts';

const FP = 'cd'.repeat(32);
const ENVELOPE = {
  ferryVersion: '0.1.0',
  polarsVersion: '0.26.1',
  format: 'polars-json',
  kind: 'sql',
  sql: 'SELECT 1 AS one',
};

function report(over: Record<string, unknown>) {
  return {
    kind: 'sql',
    state: 'Running',
    queuedAt: '2030-01-01T00:00:00.000Z',
    startedAt: '2030-01-01T00:00:00.000Z',
    finishedAt: null,
    error: null,
    optimizedPlan: null,
    rowCount: null,
    bytes: null,
    location: null,
    schema: null,
    headRows: null,
    profile: null,
    labels: {},
    mode: 'direct',
    actorId: 'usr_00000000000000000000000000',
    ...over,
  };
}

describeEachBackend('node query routes', (ctx, backend) => {
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

  async function node(connectionMode: 'direct' | 'proxy' = 'direct') {
    const { resources } = ctx();
    const started = await insertCluster(resources, {
      workspaceId,
      orgId,
      context: { connectionMode },
    });
    const instanceId = await recordNode(resources, started.cluster);
    const reg = await injectCall(
      app,
      'nodes.register',
      {},
      {
        body: {
          bootstrapToken: started.bootstrapToken,
          clusterId: started.cluster.id,
          instanceId,
          privateIp: '127.0.0.7',
          query: { port: 5051, tlsFingerprint: FP },
        },
      },
    );
    expect(reg.status, reg.raw).toBe(200);
    const headers = { [NODE_TOKEN_HEADER]: reg.body.nodeToken as string };
    return {
      clusterId: started.cluster.id,
      instanceId,
      reg: reg.body,
      call: (name: Parameters<typeof injectCall>[1], input: Parameters<typeof injectCall>[3]) =>
        injectCall(app, name, headers, input),
    };
  }

  it('registration stores the query endpoint and answers the public key and the mode', async () => {
    const n = await node('direct');
    expect(n.reg.queryTokenPublicKey).toContain('BEGIN PUBLIC KEY');
    expect(n.reg.connectionMode).toBe('direct');
    const row = await ctx()
      .resources.db.selectFrom('cluster_nodes')
      .select(['query_port', 'tls_fingerprint', 'private_ip'])
      .where('instance_id', '=', n.instanceId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ query_port: 5051, tls_fingerprint: FP, private_ip: '127.0.0.7' });
    const connect = await owner.call('queries.connect', {
      params: { workspaceId, clusterId: n.clusterId },
    });
    expect(connect.body.node).toMatchObject({
      address: '127.0.0.7',
      port: 5051,
      tlsFingerprint: FP,
    });
    // Once EC2 reports a public address, a client (maybe outside the VPC) gets that one.
    await refreshNodes(ctx().resources, [
      {
        instanceId: n.instanceId,
        state: 'running',
        tags: {},
        launchTime: Date.now(),
        instanceType: 'm7i.large',
        privateIp: '127.0.0.7',
        publicIp: '203.0.113.9',
      },
    ]);
    const outside = await owner.call('queries.connect', {
      params: { workspaceId, clusterId: n.clusterId },
    });
    expect(outside.body.node).toMatchObject({ address: '203.0.113.9', port: 5051 });
  });

  it('a direct report creates the record; reports only move it forward; cost follows the run', async () => {
    const n = await node('direct');
    const queryId = newId('query');
    const base = { clusterId: n.clusterId, instanceId: n.instanceId };
    const running = await n.call('nodes.queries.report', {
      params: { queryId },
      body: report({ ...base, actorId: owner.userId, labels: { job: 'nightly' } }),
    });
    expect(running.status, running.raw).toBe(204);
    const got = await owner.call('queries.get', { params: { workspaceId, queryId } });
    expect(got.body).toMatchObject({
      state: 'Running',
      mode: 'direct',
      instanceId: n.instanceId,
      actor: { kind: 'user', id: owner.userId },
      labels: { job: 'nightly' },
    });

    const done = report({
      ...base,
      state: 'Succeeded',
      startedAt: '2030-01-01T00:00:00.000Z',
      finishedAt: '2030-01-01T01:00:00.000Z',
      rowCount: 3,
      bytes: 1234,
      location: 's3://results/q.parquet',
      schema: [{ name: 'one', dtype: 'Int32' }],
      optimizedPlan: 'SELECT [col("one")]',
      profile: { phases: { executionMs: 12, queueWaitMs: 1 }, samples: [] },
    });
    // The head answered first, the result's write ended later: its size completes the record.
    const written = { ...done, bytes: 1234 };
    expect(
      (
        await n.call('nodes.queries.report', {
          params: { queryId },
          body: { ...done, bytes: null, profile: { phases: { executionMs: 12 }, samples: [] } },
        })
      ).status,
    ).toBe(204);
    expect(
      (await owner.call('queries.get', { params: { workspaceId, queryId } })).body.bytes,
    ).toBeNull();
    await n.call('nodes.queries.report', { params: { queryId }, body: written });
    // A late Running report (retried after the final one) does not reopen it, nor a Failed one.
    await n.call('nodes.queries.report', { params: { queryId }, body: report({ ...base }) });
    await n.call('nodes.queries.report', {
      params: { queryId },
      body: report({ ...base, state: 'Failed', finishedAt: '2030-01-01T02:00:00.000Z' }),
    });
    const final = await owner.call('queries.get', { params: { workspaceId, queryId } });
    const usd = (
      await ctx()
        .resources.db.selectFrom('cluster_nodes')
        .select('usd_per_hour')
        .where('instance_id', '=', n.instanceId)
        .executeTakeFirstOrThrow()
    ).usd_per_hour;
    expect(final.body).toMatchObject({
      state: 'Succeeded',
      rowCount: 3,
      bytes: 1234,
      location: 's3://results/q.parquet',
      schema: [{ name: 'one', dtype: 'Int32' }],
    });
    expect(final.body.costUsd).toBeCloseTo(usd, 6);
    const profile = await owner.call('queries.profile', { params: { workspaceId, queryId } });
    expect(profile.body).toMatchObject({
      phases: { executionMs: 12 },
      costUsd: final.body.costUsd,
    });

    // Another cluster's node can neither report as this node nor touch the query.
    const other = await node('direct');
    const foreign = await other.call('nodes.queries.report', {
      params: { queryId },
      body: report({ clusterId: n.clusterId, instanceId: n.instanceId, state: 'Failed' }),
    });
    expect(foreign.status).toBe(403);
    const sneaky = await other.call('nodes.queries.report', {
      params: { queryId },
      body: report({ clusterId: other.clusterId, instanceId: other.instanceId, state: 'Failed' }),
    });
    expect(sneaky.status).toBe(404);
    const anonymous = await injectCall(
      app,
      'nodes.queries.report',
      {},
      { params: { queryId }, body: done },
    );
    expect(anonymous.status).toBe(401);
    expect((await owner.call('queries.get', { params: { workspaceId, queryId } })).body.state).toBe(
      'Succeeded',
    );
  });

  it('a wait on a direct query not reported yet answers its end once reported; an unknown id is 404 at the deadline', async () => {
    const n = await node('direct');
    const queryId = newId('query');
    // The client has the id from the worker before the worker's report creates the record.
    const waited = owner.call('queries.wait', {
      params: { workspaceId, queryId },
      query: { waitSeconds: 10 },
    });
    await new Promise((r) => setTimeout(r, 300));
    const failed = await n.call('nodes.queries.report', {
      params: { queryId },
      body: report({
        clusterId: n.clusterId,
        instanceId: n.instanceId,
        actorId: owner.userId,
        state: 'Failed',
        finishedAt: '2030-01-01T00:00:01.000Z',
        error: { code: 'polars_error', message: 'AccessDenied' },
      }),
    });
    expect(failed.status, failed.raw).toBe(204);
    const answer = await waited;
    expect(answer.status, answer.raw).toBe(200);
    expect(answer.body).toMatchObject({ id: queryId, state: 'Failed', mode: 'direct' });

    const started = Date.now();
    const unknown = await owner.call('queries.wait', {
      params: { workspaceId, queryId: newId('query') },
      query: { waitSeconds: 1 },
    });
    expect(unknown.status).toBe(404);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const now = await owner.call('queries.get', {
      params: { workspaceId, queryId: newId('query') },
    });
    expect(now.status).toBe(404);
  });

  it('proxy: the work poll wakes on a submission, hands it out once, and carries cancels', async () => {
    const n = await node('proxy');
    const started = Date.now();
    const polled = n.call('nodes.work', { query: { waitSeconds: 20 } });
    await new Promise((r) => setTimeout(r, 300));
    const submitted = await owner.call('queries.submit', {
      params: { workspaceId, clusterId: n.clusterId },
      body: { envelope: { ...ENVELOPE, labels: { a: 'b' } } },
    });
    expect(submitted.status, submitted.raw).toBe(201);
    const work = await polled;
    expect(Date.now() - started).toBeLessThan(4000);
    expect(work.body).toEqual({
      queries: [
        {
          queryId: submitted.body.id,
          envelope: { ...ENVELOPE, labels: { a: 'b' } },
          actorId: owner.userId,
        },
      ],
      cancel: [],
    });
    const again = await n.call('nodes.work', { query: { waitSeconds: 0 } });
    expect(again.body).toEqual({ queries: [], cancel: [] });

    const queryId: string = submitted.body.id;
    const base = { clusterId: n.clusterId, instanceId: n.instanceId, mode: 'proxy' };
    await n.call('nodes.queries.report', { params: { queryId }, body: report(base) });
    const cancelPoll = n.call('nodes.work', { query: { waitSeconds: 20 } });
    await new Promise((r) => setTimeout(r, 300));
    const cancel = await owner.call('queries.cancel', { params: { workspaceId, queryId } });
    expect(cancel.body.state).toBe('Running');
    expect((await cancelPoll).body).toEqual({ queries: [], cancel: [queryId] });
    await n.call('nodes.queries.report', {
      params: { queryId },
      body: report({
        ...base,
        state: 'Canceled',
        finishedAt: new Date().toISOString(),
        error: { code: 'canceled', message: 'canceled' },
      }),
    });
    expect((await owner.call('queries.get', { params: { workspaceId, queryId } })).body.state).toBe(
      'Canceled',
    );
  });

  it('proxy: a head is kept until fetched, once', async () => {
    const n = await node('proxy');
    const submitted = await owner.call('queries.submit', {
      params: { workspaceId, clusterId: n.clusterId },
      body: { envelope: ENVELOPE },
    });
    const queryId: string = submitted.body.id;
    await n.call('nodes.work', { query: { waitSeconds: 0 } });
    const base = { clusterId: n.clusterId, instanceId: n.instanceId, mode: 'proxy' };
    await n.call('nodes.queries.report', {
      params: { queryId },
      body: report({
        ...base,
        state: 'Succeeded',
        finishedAt: new Date().toISOString(),
        rowCount: 1,
      }),
    });
    // The client asks before the head arrives: the request waits for it.
    const head = owner.call('queries.head', { params: { workspaceId, queryId } });
    await new Promise((r) => setTimeout(r, 300));
    const bytes = Buffer.from('arrow bytes');
    const up = await n.call('nodes.queries.head', {
      params: { queryId },
      body: {
        arrowIpcBase64: bytes.toString('base64'),
        rows: 1,
        resultUrls: {
          format: 'parquet',
          expiresAt: new Date(Date.now() + 60_000).toISOString(),
          files: [{ location: 's3://r/x.parquet', url: 'http://127.0.0.1:1/x', bytes: 10 }],
        },
      },
    });
    expect(up.status, up.raw).toBe(204);
    const got = await head;
    expect(got.status, got.raw).toBe(200);
    expect(Buffer.from(got.body.data, 'base64').toString()).toBe('arrow bytes');
    expect(got.body.resultUrls).toEqual(['http://127.0.0.1:1/x']);
    const second = await owner.call('queries.head', { params: { workspaceId, queryId } });
    expect(second.status).toBe(404);
    const twice = await n.call('nodes.queries.head', {
      params: { queryId },
      body: { arrowIpcBase64: '', rows: 0, resultUrls: null },
    });
    expect(twice.status).toBe(404);
  });

  it('the sweep fails a query whose node went silent, and one whose cluster stopped', async () => {
    const { resources } = ctx();
    const n = await node('direct');
    const silentId = newId('query');
    await n.call('nodes.queries.report', {
      params: { queryId: silentId },
      body: report({ clusterId: n.clusterId, instanceId: n.instanceId }),
    });
    expect((await sweepQueries(resources)).failed.map((f) => f.queryId)).not.toContain(silentId);
    await resources.db
      .updateTable('cluster_nodes')
      .set({ last_heartbeat_at: new Date(Date.now() - 10 * 60_000) })
      .where('instance_id', '=', n.instanceId)
      .execute();
    const swept = await sweepQueries(resources);
    expect(swept.failed).toContainEqual({ queryId: silentId, code: 'node_lost' });
    const q = await owner.call('queries.get', { params: { workspaceId, queryId: silentId } });
    expect(q.body).toMatchObject({ state: 'Failed', error: { code: 'node_lost' } });
    expect(q.body.error.message).toContain(n.instanceId);

    const p = await node('proxy');
    const queued = await owner.call('queries.submit', {
      params: { workspaceId, clusterId: p.clusterId },
      body: { envelope: ENVELOPE },
    });
    await resources.db
      .updateTable('clusters')
      .set({ state: 'Stopped' })
      .where('id', '=', p.clusterId)
      .execute();
    expect((await sweepQueries(resources)).failed).toContainEqual({
      queryId: queued.body.id,
      code: 'cluster_stopped',
    });
    const live = await owner.call('queries.list', {
      params: { workspaceId },
      query: { state: 'Queued,Running' },
    });
    expect(live.body.items.map((i: { id: string }) => i.id)).not.toContain(queued.body.id);
  });

  it('the sweep fails a query its live node no longer holds and never reported finished', async () => {
    const { resources } = ctx();
    const n = await node('direct');
    const [held, lost] = [newId('query'), newId('query')];
    for (const queryId of [held, lost]) {
      const r = await n.call('nodes.queries.report', {
        params: { queryId },
        body: report({ clusterId: n.clusterId, instanceId: n.instanceId }),
      });
      expect(r.status, r.raw).toBe(204);
    }
    // Both were last heard of ten minutes ago; the node heartbeats now, holding one of them.
    await resources.db
      .updateTable('queries')
      .set({ updated_at: new Date(Date.now() - 10 * 60_000) })
      .where('id', 'in', [held, lost])
      .execute();
    const beat = await n.call('nodes.heartbeat', {
      body: {
        state: 'busy',
        activeQueries: 1,
        connectedClients: 0,
        lastActivityAt: new Date().toISOString(),
        queryIds: [held],
      },
    });
    expect(beat.status, beat.raw).toBe(200);
    const swept = await sweepQueries(resources);
    expect(swept.failed).toContainEqual({ queryId: lost, code: 'reports_lost' });
    expect(swept.failed.map((f) => f.queryId)).not.toContain(held);
    const q = await owner.call('queries.get', { params: { workspaceId, queryId: lost } });
    expect(q.body).toMatchObject({ state: 'Failed', error: { code: 'reports_lost' } });
    expect(q.body.error.message).toContain(`Node ${n.instanceId} is alive`);
    const still = await owner.call('queries.get', { params: { workspaceId, queryId: held } });
    expect(still.body.state).toBe('Running');
  });

  it('the sweep fails a proxy query no node took within the pickup timeout, and only that', async () => {
    const { resources } = ctx();
    // A live proxy cluster whose node registered but never polls for work.
    const p = await node('proxy');
    const submit = () =>
      owner.call('queries.submit', {
        params: { workspaceId, clusterId: p.clusterId },
        body: { envelope: ENVELOPE },
      });
    const [stale, fresh] = [(await submit()).body.id as string, (await submit()).body.id as string];
    const timeoutMs = resources.config.jobs.queryPickupTimeoutMs;
    await resources.db
      .updateTable('queries')
      .set({ queued_at: new Date(Date.now() - timeoutMs - 5_000) })
      .where('id', '=', stale)
      .execute();
    const swept = await sweepQueries(resources);
    expect(swept.failed).toContainEqual({ queryId: stale, code: 'not_picked_up' });
    expect(swept.failed.map((f) => f.queryId)).not.toContain(fresh);
    const q = await owner.call('queries.get', { params: { workspaceId, queryId: stale } });
    expect(q.body).toMatchObject({ state: 'Failed', error: { code: 'not_picked_up' } });
    expect(q.body.error.message).toContain(`within ${Math.round(timeoutMs / 1000)} s`);
    expect(q.body.finishedAt).not.toBeNull();
    const still = await owner.call('queries.get', { params: { workspaceId, queryId: fresh } });
    expect(still.body.state).toBe('Queued');
  });

  // Replicas share a database only on PostgreSQL: PGlite has one process.
  if (backend === 'postgres')
    it('a submission on another replica wakes the poll within a second', async () => {
      const current = ctx();
      const replica = await createTestBackend('postgres', { databaseUrl: current.databaseUrl! });
      const other = await createApp(replica.resources);
      try {
        const n = await node('proxy');
        // Let the other replica's listener connect first.
        await new Promise((r) => setTimeout(r, 500));
        const polled = n.call('nodes.work', { query: { waitSeconds: 20 } });
        await new Promise((r) => setTimeout(r, 300));
        const t0 = Date.now();
        const submitted = await injectCall(other, 'queries.submit', owner.headers, {
          params: { workspaceId, clusterId: n.clusterId },
          body: { envelope: ENVELOPE },
        });
        expect(submitted.status, submitted.raw).toBe(201);
        const work = await polled;
        expect(Date.now() - t0).toBeLessThan(1000);
        expect(work.body.queries.map((q: { queryId: string }) => q.queryId)).toEqual([
          submitted.body.id,
        ]);
      } finally {
        await other.close();
        await replica.close();
      }
    });
});
