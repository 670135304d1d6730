/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   Response bodies are untyped JSON in these API tests. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import type { TestCaller } from '../routes/api-test-kit.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { insertCluster, ownerWithWorkspace } from './cluster-fixture.ts';

const paths = (body: any): string[] => body.error.details.map((d: { path: string }) => d.path);

describeEachBackend('compute manifests', (ctx) => {
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

  const put = (name: string, body: unknown) =>
    owner.call('manifests.put', { params: { workspaceId, name }, body });

  it('registers, replaces, reads, lists (paged) and deletes manifests', async () => {
    const created = await put('etl', { cpus: 4, memory: 16, labels: { team: 'data' } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      workspaceId,
      name: 'etl',
      spec: { cpus: 4, memory: 16, labels: { team: 'data' } },
      liveClusterId: null,
    });
    const replaced = await put('etl', { instanceType: 'm7i.large', clusterSize: 2 });
    expect(replaced.body.spec).toEqual({ instanceType: 'm7i.large', clusterSize: 2 });
    expect(replaced.body.createdAt).toBe(created.body.createdAt);

    const got = await owner.call('manifests.get', { params: { workspaceId, name: 'etl' } });
    expect(got.body.spec).toEqual({ instanceType: 'm7i.large', clusterSize: 2 });

    for (const name of ['a-one', 'b-two', 'c-three'])
      expect((await put(name, {})).status).toBe(200);
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await owner.call('manifests.list', {
        params: { workspaceId },
        query: { limit: 2, ...(cursor ? { cursor } : {}) },
      });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      names.push(...page.body.items.map((m: { name: string }) => m.name));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(names).toEqual(['a-one', 'b-two', 'c-three', 'etl']);

    const del = await owner.call('manifests.delete', { params: { workspaceId, name: 'b-two' } });
    expect(del.status).toBe(204);
    const gone = await owner.call('manifests.get', { params: { workspaceId, name: 'b-two' } });
    expect(gone.status).toBe(404);
    const again = await owner.call('manifests.delete', { params: { workspaceId, name: 'b-two' } });
    expect(again.status).toBe(404);
  });

  it('names the field of every validation error', async () => {
    // Below the installation's minimum idle timeout (10 minutes): the server's normaliser says so.
    const idle = await put('bad', { idleTimeoutMins: 5 });
    expect(idle.status).toBe(400);
    expect(paths(idle.body)).toEqual(['body.idleTimeoutMins']);

    const both = await put('bad', { instanceType: 'm7i.large', cpus: 2 });
    expect(both.status).toBe(400);
    expect(paths(both.body)).toContain('body.instanceType');

    const unknown = await put('bad', { gpus: 1 });
    expect(unknown.status).toBe(400);
    expect(paths(unknown.body)).toEqual(['body.gpus']);

    const label = await put('bad', { labels: { 'ferry:owner': 'x' } });
    expect(label.status).toBe(400);
    expect(paths(label.body)[0]).toMatch(/^body\.labels/);

    const name = await put('Bad_Name', {});
    expect(name.status).toBe(400);
    expect(paths(name.body)).toEqual(['params.name']);

    expect(
      (await owner.call('manifests.get', { params: { workspaceId, name: 'bad' } })).status,
    ).toBe(404);
  });

  it('shows the live cluster of a manifest, and not once it stopped', async () => {
    expect((await put('live', { cpus: 2 })).status).toBe(200);
    const { cluster } = await insertCluster(ctx().resources, {
      workspaceId,
      orgId,
      manifest: 'live',
    });
    const got = await owner.call('manifests.get', { params: { workspaceId, name: 'live' } });
    expect(got.body.liveClusterId).toBe(cluster.id);
    const listed = await owner.call('manifests.list', { params: { workspaceId } });
    expect(listed.body.items.find((m: { name: string }) => m.name === 'live').liveClusterId).toBe(
      cluster.id,
    );
    await owner.call('compute.stop', { params: { workspaceId, clusterId: cluster.id } });
    const after = await owner.call('manifests.get', { params: { workspaceId, name: 'live' } });
    expect(after.body.liveClusterId).toBeNull();
  });

  it('rejects a forged list cursor by name', async () => {
    const res = await owner.call('manifests.list', {
      params: { workspaceId },
      query: { cursor: Buffer.from('m1:../x').toString('base64url') },
    });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(['query.cursor']);
  });
});
