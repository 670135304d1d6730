/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   Raw response bodies are untyped JSON on purpose. */
/**
 * Queries that name data connections, on both backends, up to the AssumeRole (which the
 * end-to-end test takes on localcloud): a proxy submission needs `connections:use` (403)
 * and the workspace's own connections (another workspace's answers 404 like a missing one);
 * the connections it named are stored, and a node gets sessions only for those, only for a
 * query delivered to it, only while it runs. In direct mode the node proves the actor with
 * the client's query token: a token whose credential lacked `connections:use`, a forged or
 * another cluster's token, and an actor who lost the permission since get nothing.
 */
import { PERMISSIONS, newId, type Permission } from '@ferry/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { insertCluster, ownerWithWorkspace, recordNode } from '../compute/cluster-fixture.ts';
import { NODE_TOKEN_HEADER } from '../compute/node-intake.ts';
import { injectCall, sessionUser, tokenCaller, type TestCaller } from '../routes/api-test-kit.ts';
import { describeEachBackend } from '../testing/backends.ts';

const FP = 'ab'.repeat(32);
const ENVELOPE = {
  ferryVersion: '0.1.0',
  polarsVersion: '0.26.1',
  format: 'polars-json',
  kind: 'sql',
  sql: "SELECT * FROM connection('sales', '2026/*.parquet')",
  connections: ['sales'],
};
const target = { type: 's3', bucket: 'sales-data', prefix: 'events/', region: 'us-east-1' };
const keys = {
  kind: 'accessKeys',
  accessKeyId: 'AKIAGRANTSTESTKEY123',
  secretAccessKey: 'gRaNtSgRaNtSgRaNtSgRaNtSgRaNtSgRaNtS0123',
};

describeEachBackend('queries naming data connections', (ctx) => {
  let app: FastifyInstance;
  let owner: TestCaller;
  let orgId: string;
  let workspaceId: string;
  let otherWorkspaceId: string;

  beforeAll(async () => {
    app = await createApp(ctx().resources);
    ({ owner, orgId, workspaceId } = await ownerWithWorkspace(app, ctx().resources));
    const other = await owner.call('workspaces.create', {
      params: { orgId },
      body: { name: 'partners' },
    });
    otherWorkspaceId = other.body.id;
    for (const [ws, name] of [
      [workspaceId, 'sales'],
      [otherWorkspaceId, 'partner'],
    ] as const) {
      const created = await owner.call('connections.create', {
        params: { workspaceId: ws },
        body: { name, target, auth: keys, skipTest: true },
      });
      expect(created.status, created.raw).toBe(201);
    }
  });
  afterAll(async () => {
    await app?.close();
  });

  async function node(connectionMode: 'direct' | 'proxy') {
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
          privateIp: '127.0.0.9',
          query: { port: 5051, tlsFingerprint: FP },
        },
      },
    );
    expect(reg.status, reg.raw).toBe(200);
    const headers = { [NODE_TOKEN_HEADER]: reg.body.nodeToken as string };
    return {
      clusterId: started.cluster.id,
      grant: (queryId: string, body: Record<string, unknown>) =>
        injectCall(app, 'nodes.queries.connections', headers, { params: { queryId }, body }),
      work: () => injectCall(app, 'nodes.work', headers, { query: { waitSeconds: 0 } }),
    };
  }

  const scoped = (scopes: readonly Permission[]) =>
    tokenCaller(app, ctx().resources, owner, scopes);
  const without = (p: Permission) => PERMISSIONS.filter((x) => x !== p);

  it('a proxy submission needs connections:use and the workspace’s own connections', async () => {
    const n = await node('proxy');
    const submit = (caller: TestCaller, connections: string[]) =>
      caller.call('queries.submit', {
        params: { workspaceId, clusterId: n.clusterId },
        body: { envelope: { ...ENVELOPE, connections } },
      });
    const narrow = await scoped(without('connections:use'));
    const refused = await submit(narrow, ['sales']);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden']);
    const foreign = await submit(owner, ['partner']);
    const missing = await submit(owner, ['no-such']);
    expect(foreign.status).toBe(404);
    const message = (r: { body: { error: { message: string } } }) => r.body.error.message;
    expect(message(foreign).replace('partner', 'X')).toBe(message(missing).replace('no-such', 'X'));
    const accepted = await submit(owner, ['sales']);
    expect(accepted.status, accepted.raw).toBe(201);
    const stored = await ctx()
      .resources.db.selectFrom('queries')
      .select(['connections'])
      .where('id', '=', accepted.body.id)
      .executeTakeFirstOrThrow();
    expect(stored.connections).toEqual(['sales']);
  });

  it('a node gets sessions only for what the query named, once delivered to it', async () => {
    const n = await node('proxy');
    const other = await node('proxy');
    const submitted = await owner.call('queries.submit', {
      params: { workspaceId, clusterId: n.clusterId },
      body: { envelope: ENVELOPE },
    });
    expect(submitted.status, submitted.raw).toBe(201);
    const id = submitted.body.id as string;
    // Not yet delivered: no node may ask.
    expect((await n.grant(id, { connections: ['sales'] })).status).toBe(404);
    const work = await n.work();
    const taken = (work.body as { queries: { queryId: string }[] }).queries;
    expect(taken.map((q) => q.queryId)).toContain(id);
    // Another cluster's node: a missing query.
    expect((await other.grant(id, { connections: ['sales'] })).status).toBe(404);
    const unnamed = await n.grant(id, { connections: ['sales', 'partner'] });
    expect([unnamed.status, unnamed.body.error.message]).toEqual([
      403,
      expect.stringContaining('"partner"'),
    ]);
    // Past every check, an access-key connection is refused: its keys never leave.
    const keysOnly = await n.grant(id, { connections: ['sales'] });
    expect([keysOnly.status, keysOnly.body.error.code]).toEqual([409, 'connection_needs_role']);
    expect(keysOnly.raw).not.toContain(keys.secretAccessKey);
  });

  it('direct mode: the client’s query token proves the actor and its scopes', async () => {
    const n = await node('direct');
    const tokenOf = async (caller: TestCaller) => {
      const connected = await caller.call('queries.connect', {
        params: { workspaceId, clusterId: n.clusterId },
      });
      expect(connected.status, connected.raw).toBe(200);
      return connected.body.token as string;
    };
    const queryId = newId('query');
    const full = await tokenOf(owner);
    const narrow = await tokenOf(await scoped(without('connections:use')));
    const grant = (queryToken: string) => n.grant(queryId, { connections: ['sales'], queryToken });

    expect((await grant(narrow)).status).toBe(403);
    const forged = `${full.slice(0, -4)}AAAA`;
    expect((await grant(forged)).status).toBe(403);
    // Another cluster's token.
    const elsewhere = await node('direct');
    const theirs = await elsewhere.grant(queryId, { connections: ['sales'], queryToken: full });
    expect(theirs.status).toBe(403);
    // Another workspace's connection: 404 like a missing one.
    const foreign = await n.grant(queryId, { connections: ['partner'], queryToken: full });
    expect(foreign.status).toBe(404);
    const ok = await grant(full);
    expect([ok.status, ok.body.error.code]).toEqual([409, 'connection_needs_role']);

    // A member who loses the workspace loses the connections with it.
    const member = await sessionUser(app, ctx().resources);
    const inv = await owner.call('orgs.invitations.create', {
      params: { orgId },
      body: { email: member.email, role: 'member' },
    });
    await member.call('invitations.accept', { body: { token: inv.body.token } });
    const added = await owner.call('workspaces.members.set', {
      params: { workspaceId, userId: member.userId },
      body: { role: 'member' },
    });
    expect(added.status, added.raw).toBeLessThan(300);
    const memberToken = await tokenOf(member);
    expect((await grant(memberToken)).status).toBe(409);
    const removed = await owner.call('workspaces.members.remove', {
      params: { workspaceId, userId: member.userId },
    });
    expect(removed.status, removed.raw).toBeLessThan(300);
    expect((await grant(memberToken)).status).toBe(403);
  });
});
