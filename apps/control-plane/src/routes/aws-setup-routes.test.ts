/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   Raw response bodies are untyped JSON on purpose. */
/**
 * Who sees a workspace's external ID: the members who may manage its AWS connection, with
 * a session or a token scoped to manage it; a read-only member or a read-only token of an
 * admin sees the setup without it.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { ownerWithWorkspace } from '../compute/cluster-fixture.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { sessionUser, tokenCaller, type TestCaller } from './api-test-kit.ts';

const EXTERNAL_ID = `ferry-${'x'.repeat(43)}`;

describeEachBackend('the external ID of a workspace', (ctx) => {
  let app: FastifyInstance;
  let owner: TestCaller;
  let workspaceId: string;
  let orgId: string;

  beforeAll(async () => {
    const { resources } = ctx();
    app = await createApp(resources);
    ({ owner, orgId, workspaceId } = await ownerWithWorkspace(app, resources));
    const now = resources.clock.now();
    await resources.db
      .insertInto('aws_external_ids')
      .values({ external_id: EXTERNAL_ID, workspace_id: workspaceId, created_at: now })
      .execute();
    await resources.db
      .insertInto('aws_setups')
      .values({
        workspace_id: workspaceId,
        org_id: orgId,
        external_id: EXTERNAL_ID,
        region: 'us-east-1',
        request: JSON.stringify({}),
        status: 'pending',
        reason: null,
        account_id: null,
        stages: '[]',
        outputs: '{}',
        checks: '[]',
        setup_link_hash: 'x'.repeat(64),
        setup_link_expires_at: now,
        connected_at: null,
        verified_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is shown to who may manage the connection, and only to them', async () => {
    const { resources } = ctx();
    const params = { workspaceId };
    const admin = await owner.call('awsSetup.get', { params });
    expect(admin.status).toBe(200);
    expect(admin.body.externalId).toBe(EXTERNAL_ID);
    const managingToken = await tokenCaller(app, resources, owner, [
      'workspace:read',
      'workspace:manage',
    ]);
    expect((await managingToken.call('awsSetup.get', { params })).body.externalId).toBe(
      EXTERNAL_ID,
    );

    const readOnlyToken = await tokenCaller(app, resources, owner, ['workspace:read']);
    const member = await sessionUser(app, resources);
    const invited = await owner.call('orgs.invitations.create', {
      params: { orgId },
      body: { email: member.email, role: 'member' },
    });
    expect(
      (await member.call('invitations.accept', { body: { token: invited.body.token } })).status,
    ).toBe(200);
    await owner.call('workspaces.members.set', {
      params: { workspaceId, userId: member.userId },
      body: { role: 'member' },
    });
    for (const [who, caller] of [
      ['read-only member', member],
      ['read-only token of an admin', readOnlyToken],
    ] as const) {
      const res = await caller.call('awsSetup.get', { params });
      expect(res.status, `${who}: ${res.raw}`).toBe(200);
      expect(res.body.externalId, who).toBeNull();
      expect(res.raw, who).not.toContain(EXTERNAL_ID);
    }
  });
});
