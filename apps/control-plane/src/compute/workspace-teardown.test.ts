/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   Response bodies are untyped JSON in these API tests. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import type { AwsClientFactory } from '../aws/aws-clients.ts';
import { createCredentialBroker, WorkspaceDisconnectedError } from '../aws/credential-broker.ts';
import type { TestCaller } from '../routes/api-test-kit.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { applyClusterEvent } from './cluster-transitions.ts';
import { insertCluster, ownerWithWorkspace } from './cluster-fixture.ts';

describeEachBackend('deleting a workspace with clusters', (ctx) => {
  let app: FastifyInstance;
  let owner: TestCaller;

  beforeAll(async () => {
    app = await createApp(ctx().resources);
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Each test its own owner and workspace. */
  const freshWorkspace = async () => {
    const o = await ownerWithWorkspace(app, ctx().resources);
    owner = o.owner;
    return o;
  };

  /** An AWS setup row as a connected workspace has it. */
  const connect = async (workspaceId: string, orgId: string) => {
    const now = ctx().resources.clock.now();
    await ctx()
      .resources.db.insertInto('aws_external_ids')
      .values({ external_id: `ext-${workspaceId}`, workspace_id: workspaceId, created_at: now })
      .execute();
    await ctx()
      .resources.db.insertInto('aws_setups')
      .values({
        workspace_id: workspaceId,
        org_id: orgId,
        external_id: `ext-${workspaceId}`,
        region: 'us-east-1',
        request: JSON.stringify({ network: 'new' }),
        status: 'active',
        reason: null,
        account_id: '123456789012',
        stages: JSON.stringify([]),
        outputs: JSON.stringify({
          UnattendedRoleArn: 'arn:aws:iam::123456789012:role/ferry-unattended',
        }),
        checks: JSON.stringify([]),
        setup_link_hash: `hash-${workspaceId}`,
        setup_link_expires_at: now,
        connected_at: now,
        verified_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();
  };

  /** A broker whose STS must never be reached: the refusal comes first. */
  const broker = () =>
    createCredentialBroker(ctx().resources, {
      clients: new Proxy({} as AwsClientFactory, {
        get: () => () => {
          throw new Error('reached AWS');
        },
      }),
    });
  const assume = (workspaceId: string, orgId: string) =>
    broker().assume({
      orgId,
      workspaceId,
      roleArn: 'arn:aws:iam::123456789012:role/ferry-unattended',
      externalId: `ext-${workspaceId}`,
      actor: { kind: 'system', name: 'reconciler' },
    });

  it('is refused with 409 naming every cluster that is not Stopped or Failed, and changes nothing', async () => {
    const { orgId, workspaceId } = await freshWorkspace();
    const starting = (await insertCluster(ctx().resources, { workspaceId, orgId })).cluster;
    const idle = (await insertCluster(ctx().resources, { workspaceId, orgId })).cluster;
    await applyClusterEvent(ctx().resources, idle.id, { type: 'ready' });
    const stopping = (await insertCluster(ctx().resources, { workspaceId, orgId })).cluster;
    await applyClusterEvent(ctx().resources, stopping.id, {
      type: 'stop',
      reason: 'StoppedByUser',
    });
    const failed = (await insertCluster(ctx().resources, { workspaceId, orgId })).cluster;
    await applyClusterEvent(ctx().resources, failed.id, {
      type: 'fail',
      error: { code: 'X', message: 'x' },
    });

    for (const query of [{}, { stopClusters: 'false' }] as Record<string, string>[]) {
      const res = await owner.call('workspaces.delete', { params: { workspaceId }, query });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('workspace_has_clusters');
      const message = String(res.body.error.message);
      expect(message).toContain(`${starting.id} (Starting)`);
      expect(message).toContain(`${idle.id} (Idle)`);
      expect(message).toContain(`${stopping.id} (Stopping)`);
      expect(message).not.toContain(failed.id);
      expect(message).toContain('stopClusters=true');
    }
    expect((await owner.call('workspaces.get', { params: { workspaceId } })).status).toBe(200);
    const states = await ctx()
      .resources.db.selectFrom('clusters')
      .select(['id', 'state'])
      .where('workspace_id', '=', workspaceId)
      .execute();
    expect(new Map(states.map((s) => [s.id, s.state]))).toEqual(
      new Map([
        [starting.id, 'Starting'],
        [idle.id, 'Idle'],
        [stopping.id, 'Stopping'],
        [failed.id, 'Failed'],
      ]),
    );
  });

  it('a bad stopClusters value is a 400 naming it', async () => {
    const { workspaceId } = await freshWorkspace();
    const res = await owner.call('workspaces.delete', {
      params: { workspaceId },
      query: { stopClusters: 'yes' },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('stopClusters');
  });

  it('with stopClusters=true stops them, then deletes; without a connection none is reachable', async () => {
    const { orgId, workspaceId } = await freshWorkspace();
    const live = (await insertCluster(ctx().resources, { workspaceId, orgId })).cluster;
    const res = await owner.call('workspaces.delete', {
      params: { workspaceId },
      query: { stopClusters: 'true' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    expect((await owner.call('workspaces.get', { params: { workspaceId } })).status).toBe(404);
    const events = await ctx()
      .resources.db.selectFrom('cluster_events')
      .select(['to_state', 'event', 'message'])
      .where('cluster_id', '=', live.id)
      .orderBy('id')
      .execute();
    expect(events.at(-1)).toEqual({
      to_state: 'Stopping',
      event: 'stop',
      message:
        'stopped to delete the workspace; the workspace has no AWS connection, so no instance could be terminated',
    });
  });

  it('disconnects the AWS setup: the broker refuses to assume its roles from then on', async () => {
    const { orgId, workspaceId } = await freshWorkspace();
    await connect(workspaceId, orgId);
    // Connected: the broker goes on to STS (here, a client that must not be reached).
    await expect(assume(workspaceId, orgId)).rejects.toMatchObject({
      cause: expect.objectContaining({ message: 'reached AWS' }) as unknown,
    });

    const res = await owner.call('workspaces.delete', { params: { workspaceId } });
    expect(res.status).toBe(204);
    const setup = await ctx()
      .resources.db.selectFrom('aws_setups')
      .select(['status', 'reason'])
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    expect(setup).toEqual({
      status: 'disconnected',
      reason: 'The workspace was deleted: ferry no longer assumes its roles.',
    });
    await expect(assume(workspaceId, orgId)).rejects.toBeInstanceOf(WorkspaceDisconnectedError);
  });
});
