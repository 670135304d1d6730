/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   Response bodies are untyped JSON in these API tests. */
/**
 * The start route's checks before AWS (body, manifest, context, connection) and the
 * database's rule of one live cluster per manifest under concurrent starts. The AWS path
 * (selection and launch) is covered end to end against localcloud.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { tokenCaller, type TestCaller } from '../routes/api-test-kit.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { applyClusterEvent } from './cluster-transitions.ts';
import { insertCluster, ownerWithWorkspace } from './cluster-fixture.ts';

const paths = (body: any): string[] => body.error.details.map((d: { path: string }) => d.path);

describeEachBackend('compute start', (ctx) => {
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

  const startCall = (body: unknown) =>
    owner.call('compute.start', { params: { workspaceId }, body });

  it('keeps at most one live cluster per manifest under concurrent starts', async () => {
    const { resources } = ctx();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        insertCluster(resources, { workspaceId, orgId, manifest: 'race' }),
      ),
    );
    const winners = results.filter((r) => !r.reused);
    expect(winners).toHaveLength(1);
    expect(new Set(results.map((r) => r.cluster.id))).toEqual(new Set([winners[0]!.cluster.id]));
    const rows = await resources.db
      .selectFrom('clusters')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('manifest', '=', 'race')
      .execute();
    expect(rows).toHaveLength(1);
    const launches = await resources.db
      .selectFrom('jobs')
      .select('id')
      .where('dedupe_key', '=', `compute.launch:${winners[0]!.cluster.id}`)
      .execute();
    expect(launches).toHaveLength(1);

    // Once it is no longer live, the manifest starts a new one.
    await applyClusterEvent(resources, winners[0]!.cluster.id, {
      type: 'stop',
      reason: 'StoppedByUser',
    });
    const next = await insertCluster(resources, { workspaceId, orgId, manifest: 'race' });
    expect(next.reused).toBe(false);
    expect(next.cluster.id).not.toBe(winners[0]!.cluster.id);
  });

  it('returns the live cluster of a manifest with reused: true', async () => {
    const { resources } = ctx();
    expect(
      (
        await owner.call('manifests.put', {
          params: { workspaceId, name: 'bi' },
          body: { cpus: 2 },
        })
      ).status,
    ).toBe(200);
    const { cluster } = await insertCluster(resources, { workspaceId, orgId, manifest: 'bi' });
    const res = await startCall({ manifest: 'bi' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: cluster.id, reused: true, manifest: 'bi' });
  });

  it('names the field of each refused start, cheapest check first', async () => {
    const both = await startCall({ manifest: 'bi', cpus: 4, storage: 20 });
    expect(both.status).toBe(400);
    expect(paths(both.body).sort()).toEqual(['body.cpus', 'body.storage']);

    const unknownManifest = await startCall({ manifest: 'nope' });
    expect(unknownManifest.status).toBe(404);
    expect(unknownManifest.body.error.message).toMatch(/nope/);

    // The installation's minimum idle timeout (10) is the server's to check.
    const idle = await startCall({ idleTimeoutMins: 2 });
    expect(idle.status).toBe(400);
    expect(paths(idle.body)).toEqual(['body.idleTimeoutMins']);

    const huge = await startCall({ memory: 70_000 });
    expect(huge.status).toBe(400);
    expect(paths(huge.body)).toEqual(['body.memory']);

    // A valid context in a workspace without an AWS connection.
    const unconnected = await startCall({ cpus: 2 });
    expect(unconnected.status).toBe(409);
    expect(unconnected.body.error.code).toBe('workspace_not_connected');
  });

  it('needs compute:start to start, stop or put a manifest; a stranger gets 404', async () => {
    const { resources } = ctx();
    const reader = await tokenCaller(app, resources, owner, ['compute:read']);
    expect((await reader.call('compute.list', { params: { workspaceId } })).status).toBe(200);
    const start = await reader.call('compute.start', { params: { workspaceId }, body: {} });
    expect(start.status).toBe(403);
    const put = await reader.call('manifests.put', {
      params: { workspaceId, name: 'x' },
      body: {},
    });
    expect(put.status).toBe(403);
    const { cluster } = await insertCluster(resources, { workspaceId, orgId });
    const stop = await reader.call('compute.stop', {
      params: { workspaceId, clusterId: cluster.id },
    });
    expect(stop.status).toBe(403);

    const stranger = await ownerWithWorkspace(app, resources);
    const res = await stranger.owner.call('compute.start', {
      params: { workspaceId },
      body: { cpus: 2 },
    });
    expect(res.status).toBe(404);
  });
});
