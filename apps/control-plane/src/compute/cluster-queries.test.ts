/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   Response bodies are untyped JSON in these API tests. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import type { TestCaller } from '../routes/api-test-kit.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { applyClusterEvent } from './cluster-transitions.ts';
import { insertCluster, ownerWithWorkspace, recordNode } from './cluster-fixture.ts';

const ids = (body: any): string[] => body.items.map((c: { id: string }) => c.id);

describeEachBackend('compute clusters: list, get, wait, events, stop', (ctx) => {
  let app: FastifyInstance;
  let owner: TestCaller;
  let workspaceId: string;
  let orgId: string;

  beforeAll(async () => {
    app = await createApp(ctx().resources);
    ({ owner, workspaceId, orgId } = await ownerWithWorkspace(app, ctx().resources));
  });
  afterAll(async () => {
    await app?.close();
  });

  const start = (context: Record<string, unknown> = {}, manifest?: string) =>
    insertCluster(ctx().resources, {
      workspaceId,
      orgId,
      context,
      ...(manifest ? { manifest } : {}),
    });

  it('shows a cluster with its request, type, why, nodes and cost', async () => {
    const { resources } = ctx();
    const { cluster } = await start({ cpus: 3, memory: 10, labels: { team: 'bi' }, storage: 50 });
    const launchedAt = new Date(resources.clock.now().getTime() - 2 * 3_600_000);
    const node = await recordNode(resources, cluster, { launchedAt });
    const res = await owner.call('compute.get', {
      params: { workspaceId, clusterId: cluster.id },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: cluster.id,
      workspaceId,
      manifest: null,
      state: 'Starting',
      reason: null,
      error: null,
      region: 'us-east-1',
      cpus: 3,
      memory: 10,
      requestedInstanceType: null,
      architecture: 'any',
      storage: 50,
      clusterSize: 1,
      connectionMode: 'direct',
      labels: { team: 'bi' },
      instanceType: 'm7i.xlarge',
      usdPerHour: 0.2016,
      startedBy: { kind: 'user' },
    });
    expect(res.body.selection.instanceType).toBe('m7i.xlarge');
    expect(res.body.selection.reason).toMatch(/m7i\.xlarge/);
    expect(res.body.selection.candidates.length).toBe(2);
    expect(res.body.nodes).toEqual([
      expect.objectContaining({ instanceId: node, ec2State: 'pending', agentState: null }),
    ]);
    // Two hours at $0.2016 so far (the clock moves on a little while the test runs).
    expect(res.body.runningCostUsd).toBeGreaterThanOrEqual(0.4032);
    expect(res.body.runningCostUsd).toBeLessThan(0.41);
  });

  it('lists newest first, filters by state and label, pages with a cursor', async () => {
    const { resources } = ctx();
    const { owner: other, workspaceId: otherWs } = await ownerWithWorkspace(app, resources);
    const mine = [];
    for (let i = 0; i < 5; i++) {
      // Ids sort by their millisecond; keep creations in distinct ones.
      await new Promise((r) => setTimeout(r, 2));
      mine.push((await start({ labels: { batch: i % 2 === 0 ? 'even' : 'odd' } })).cluster.id);
    }
    await applyClusterEvent(resources, mine[1]!, { type: 'stop', reason: 'StoppedByUser' });
    const all = await owner.call('compute.list', {
      params: { workspaceId },
      query: { limit: 100 },
    });
    expect(all.status).toBe(200);
    const listed = ids(all.body);
    expect(listed.slice(0, 5)).toEqual([...mine].reverse());

    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await owner.call('compute.list', {
        params: { workspaceId },
        query: { limit: 2, ...(cursor ? { cursor } : {}) },
      });
      pages.push(...ids(page.body));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(pages).toEqual(listed);

    const even = await owner.call('compute.list', {
      params: { workspaceId },
      query: { label: 'batch=even' },
    });
    expect(ids(even.body)).toEqual([mine[4], mine[2], mine[0]]);
    const stopping = await owner.call('compute.list', {
      params: { workspaceId },
      query: { state: 'Stopping,Stopped', label: 'batch=odd' },
    });
    expect(ids(stopping.body)).toEqual([mine[1]]);
    const none = await owner.call('compute.list', {
      params: { workspaceId },
      query: { label: 'batch=none' },
    });
    expect(none.body.items).toEqual([]);

    // Another workspace sees none of them, and gets 404 for each.
    const theirs = await other.call('compute.list', { params: { workspaceId: otherWs } });
    expect(theirs.body.items).toEqual([]);
    const foreign = await other.call('compute.get', {
      params: { workspaceId: otherWs, clusterId: mine[0]! },
    });
    expect(foreign.status).toBe(404);
  });

  it('waits for a state by long-poll, served from the database', async () => {
    const { resources } = ctx();
    const { cluster } = await start();
    const params = { workspaceId, clusterId: cluster.id };
    const t0 = Date.now();
    const waiting = owner.call('compute.wait', {
      params,
      query: { state: 'Idle', waitSeconds: 10 },
    });
    await new Promise((r) => setTimeout(r, 400));
    await applyClusterEvent(resources, cluster.id, { type: 'ready' });
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('Idle');
    expect(Date.now() - t0).toBeLessThan(5000);

    // Not reached within waitSeconds: the cluster as it is.
    const t1 = Date.now();
    const timedOut = await owner.call('compute.wait', {
      params,
      query: { state: 'Stopped', waitSeconds: 1 },
    });
    expect(timedOut.body.state).toBe('Idle');
    expect(Date.now() - t1).toBeGreaterThanOrEqual(900);

    // Already there: at once.
    const now = await owner.call('compute.wait', { params, query: { state: 'Idle,Busy' } });
    expect(now.body.state).toBe('Idle');

    const missing = await owner.call('compute.wait', { params, query: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].path).toBe('query.state');
  });

  it('stops a cluster as the user: Stopping with the reason, a stop job, idempotent', async () => {
    const { resources } = ctx();
    const { cluster } = await start();
    const params = { workspaceId, clusterId: cluster.id };
    const stopped = await owner.call('compute.stop', { params });
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ state: 'Stopping', reason: 'StoppedByUser' });
    const again = await owner.call('compute.stop', { params });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ state: 'Stopping', revision: stopped.body.revision });

    const jobs = await resources.db
      .selectFrom('jobs')
      .select(['name', 'payload', 'dedupe_key'])
      .where('dedupe_key', 'in', [`compute.stop:${cluster.id}`, `compute.launch:${cluster.id}`])
      .orderBy('name')
      .execute();
    expect(jobs.map((j) => [j.name, j.payload])).toEqual([
      ['compute.launch', { clusterId: cluster.id }],
      ['compute.stop', { clusterId: cluster.id, role: 'UserInitiated' }],
    ]);

    const events = await owner.call('compute.events', { params });
    expect(events.body.items.map((e: any) => [e.from, e.to, e.event])).toEqual([
      [null, 'Starting', 'start'],
      ['Starting', 'Stopping', 'stop'],
    ]);
    expect(events.body.items[0].message).toMatch(/m7i\.large/);

    // Once terminated, stopping again still answers with the cluster, unchanged.
    await applyClusterEvent(resources, cluster.id, { type: 'terminated' });
    const done = await owner.call('compute.stop', { params });
    expect(done.body).toMatchObject({ state: 'Stopped', reason: 'StoppedByUser' });
    expect(done.body.stoppedAt).not.toBeNull();

    const unknown = await owner.call('compute.stop', {
      params: { workspaceId, clusterId: 'cl_00000000000000000000000000' },
    });
    expect(unknown.status).toBe(404);
  });
});
