/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument --
   Raw response bodies are untyped JSON on purpose: these tests also send and read what the contracts forbid. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { describeEachBackend } from '../testing/backends.ts';
import {
  bearerCaller,
  sessionUser,
  testEmail,
  tokenCaller,
  type TestCaller,
} from './api-test-kit.ts';

describeEachBackend('API lifecycle', (ctx) => {
  let app: FastifyInstance;
  let alice: TestCaller;
  let bob: TestCaller;
  let orgId: string;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createApp(ctx().resources);
    alice = await sessionUser(app, ctx().resources);
    bob = await sessionUser(app, ctx().resources, { email: testEmail('bob') });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('creates, lists, reads and renames an organization', async () => {
    const created = await alice.call('orgs.create', { body: { name: 'Acme' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Acme', role: 'admin' });
    orgId = created.body.id;
    expect(created.headers['x-request-id']).toBeTruthy();

    const list = await alice.call('orgs.list');
    expect(list.body.items.map((o: { id: string }) => o.id)).toEqual([orgId]);
    const renamed = await alice.call('orgs.update', {
      params: { orgId },
      body: { name: 'Acme Corp' },
    });
    expect(renamed.body.name).toBe('Acme Corp');
    expect((await bob.call('orgs.get', { params: { orgId } })).status).toBe(404);
  });

  it('invites by link; only the invited email can accept, once', async () => {
    const inv = await alice.call('orgs.invitations.create', {
      params: { orgId },
      body: { email: bob.email.toUpperCase(), role: 'member' },
    });
    expect(inv.status).toBe(201);
    expect(inv.body.url).toContain(inv.body.token);
    const carol = await sessionUser(app, ctx().resources);
    const wrong = await carol.call('invitations.accept', { body: { token: inv.body.token } });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.code).toBe('invitation_email_mismatch');
    const ok = await bob.call('invitations.accept', { body: { token: inv.body.token } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ orgId, role: 'member' });
    const again = await bob.call('invitations.accept', { body: { token: inv.body.token } });
    expect(again.status).toBe(404);
    const members = await alice.call('orgs.members.list', { params: { orgId } });
    expect(members.body.items).toHaveLength(2);
    // A member can read but not manage.
    expect((await bob.call('orgs.get', { params: { orgId } })).body.role).toBe('member');
    expect((await bob.call('orgs.update', { params: { orgId }, body: { name: 'x' } })).status).toBe(
      403,
    );
  });

  it('revoked and expired invitations cannot be accepted', async () => {
    const dave = await sessionUser(app, ctx().resources);
    const inv = await alice.call('orgs.invitations.create', {
      params: { orgId },
      body: { email: dave.email, role: 'member' },
    });
    const revoked = await alice.call('orgs.invitations.revoke', {
      params: { orgId, invitationId: inv.body.invitation.id },
    });
    expect(revoked.status).toBe(204);
    expect(
      (await dave.call('invitations.accept', { body: { token: inv.body.token } })).status,
    ).toBe(404);
    const listed = await alice.call('orgs.invitations.list', { params: { orgId } });
    const row = listed.body.items.find((i: { id: string }) => i.id === inv.body.invitation.id);
    expect(row.revokedAt).not.toBeNull();
  });

  it('keeps at least one admin: no demoting, removing or leaving for the last one', async () => {
    const demote = await alice.call('orgs.members.update', {
      params: { orgId, userId: alice.userId },
      body: { role: 'member' },
    });
    expect(demote.status).toBe(409);
    expect(demote.body.error.code).toBe('last_admin');
    expect(demote.body.error.message).toMatch(/admin/);
    const leave = await alice.call('orgs.leave', { params: { orgId } });
    expect(leave.body.error.code).toBe('last_admin');
    const remove = await alice.call('orgs.members.remove', {
      params: { orgId, userId: alice.userId },
    });
    expect(remove.body.error.code).toBe('last_admin');

    const promote = await alice.call('orgs.members.update', {
      params: { orgId, userId: bob.userId },
      body: { role: 'admin' },
    });
    expect(promote.body.role).toBe('admin');
    const demoteNow = await alice.call('orgs.members.update', {
      params: { orgId, userId: alice.userId },
      body: { role: 'member' },
    });
    expect(demoteNow.status).toBe(200);
    // Bob is now the only admin; give alice admin back for the rest of the suite.
    expect(
      (
        await bob.call('orgs.members.update', {
          params: { orgId, userId: alice.userId },
          body: { role: 'admin' },
        })
      ).status,
    ).toBe(200);
  });

  it('manages workspaces: settings, members, visibility, org admins as workspace admins', async () => {
    const created = await alice.call('workspaces.create', {
      params: { orgId },
      body: {
        name: 'analytics',
        description: 'team analytics',
        defaultCompute: { cpus: 4, memoryGb: 16 },
        defaultIdleTimeoutMinutes: 30,
        labels: { team: 'data' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      state: 'Uninitialized',
      role: 'admin',
      defaultIdleTimeoutMinutes: 30,
    });
    workspaceId = created.body.id;
    const dup = await alice.call('workspaces.create', {
      params: { orgId },
      body: { name: 'Analytics' },
    });
    expect(dup.body.error.code).toBe('name_taken');
    const tooShort = await alice.call('workspaces.update', {
      params: { workspaceId },
      body: { defaultIdleTimeoutMinutes: 5 },
    });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body.error.details[0].path).toBe('body.defaultIdleTimeoutMinutes');
    const updated = await alice.call('workspaces.update', {
      params: { workspaceId },
      body: {
        labels: { team: 'data', env: 'prod' },
        defaultCompute: { instanceType: 'm7i.large' },
      },
    });
    expect(updated.body.labels).toEqual({ team: 'data', env: 'prod' });
    expect(updated.body.defaultCompute).toEqual({ instanceType: 'm7i.large' });

    // Bob is an org admin, so an admin of every workspace.
    expect((await bob.call('workspaces.get', { params: { workspaceId } })).body.role).toBe('admin');
    // Erin, an org member outside the workspace, cannot see it.
    const erin = await sessionUser(app, ctx().resources);
    const inv = await alice.call('orgs.invitations.create', {
      params: { orgId },
      body: { email: erin.email, role: 'member' },
    });
    await erin.call('invitations.accept', { body: { token: inv.body.token } });
    expect((await erin.call('workspaces.get', { params: { workspaceId } })).status).toBe(404);
    expect((await erin.call('workspaces.list', { params: { orgId } })).body.items).toEqual([]);
    const added = await alice.call('workspaces.members.set', {
      params: { workspaceId, userId: erin.userId },
      body: { role: 'member' },
    });
    expect(added.body).toMatchObject({ role: 'member', viaOrgAdmin: false });
    expect((await erin.call('workspaces.get', { params: { workspaceId } })).body.role).toBe(
      'member',
    );
    expect(
      (await erin.call('workspaces.update', { params: { workspaceId }, body: { name: 'mine' } }))
        .status,
    ).toBe(403);
    const members = await alice.call('workspaces.members.list', { params: { workspaceId } });
    expect(members.body.items.map((m: { userId: string }) => m.userId).sort()).toEqual(
      [alice.userId, bob.userId, erin.userId].sort(),
    );
    // A user outside the organization cannot be added.
    const outsider = await sessionUser(app, ctx().resources);
    const refused = await alice.call('workspaces.members.set', {
      params: { workspaceId, userId: outsider.userId },
      body: { role: 'member' },
    });
    expect(refused.status).toBe(404);
    // Removing erin from the org removes her from its workspaces.
    await alice.call('orgs.members.remove', { params: { orgId, userId: erin.userId } });
    expect((await erin.call('workspaces.get', { params: { workspaceId } })).status).toBe(404);
  });

  it('personal tokens: shown once, scoped, listed without secrets, revocable', async () => {
    const created = await alice.call('tokens.create', {
      body: { name: 'ci', scopes: ['org:read', 'workspace:read'], expiresInDays: 7 },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^ferry_pat_/);
    const pat = bearerCaller(app, created.body.secret);
    expect((await pat.call('orgs.get', { params: { orgId } })).status).toBe(200);
    expect((await pat.call('workspaces.get', { params: { workspaceId } })).status).toBe(200);
    // Outside its scopes, even though alice is an admin.
    expect(
      (await pat.call('orgs.update', { params: { orgId }, body: { name: 'no' } })).status,
    ).toBe(403);
    // Tokens cannot mint tokens.
    expect(
      (
        await pat.call('tokens.create', {
          body: { name: 'x', scopes: ['org:read'], expiresInDays: 1 },
        })
      ).status,
    ).toBe(403);
    const listed = await alice.call('tokens.list');
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    const revoked = await alice.call('tokens.revoke', {
      params: { tokenId: created.body.token.id },
    });
    expect(revoked.status).toBe(204);
    expect((await pat.call('orgs.get', { params: { orgId } })).status).toBe(401);
    // Someone else's token id is not found.
    expect(
      (await bob.call('tokens.revoke', { params: { tokenId: created.body.token.id } })).status,
    ).toBe(404);
  });

  it('service accounts: client credentials for a short-lived workspace token; workspace deletion revokes it', async () => {
    const created = await alice.call('serviceAccounts.create', {
      params: { workspaceId },
      body: { name: 'pipeline' },
    });
    expect(created.status).toBe(201);
    const { clientId, clientSecret } = created.body;
    expect(clientSecret).toMatch(/^ferry_sas_/);
    const listed = await alice.call('serviceAccounts.list', { params: { workspaceId } });
    expect(JSON.stringify(listed.body)).not.toContain(clientSecret);

    const anon = bearerCaller(app, 'none');
    const bad = await anon.call('auth.token', {
      body: { grant_type: 'client_credentials', client_id: clientId, client_secret: 'wrong' },
    });
    expect(bad.status).toBe(401);
    const exchanged = await anon.call('auth.token', {
      body: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
    });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body.expires_in).toBe(3600);
    const sa = bearerCaller(app, exchanged.body.access_token);
    const me = await sa.call('auth.me');
    expect(me.body).toMatchObject({ kind: 'service-account', workspaceId });
    expect((await sa.call('workspaces.get', { params: { workspaceId } })).status).toBe(200);
    expect((await sa.call('orgs.get', { params: { orgId } })).status).toBe(404);
    expect(
      (await sa.call('workspaces.update', { params: { workspaceId }, body: { name: 'x' } })).status,
    ).toBe(403);

    const deleted = await alice.call('workspaces.delete', { params: { workspaceId } });
    expect(deleted.status).toBe(204);
    expect((await sa.call('auth.me')).status).toBe(401);
    const again = await anon.call('auth.token', {
      body: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
    });
    expect(again.status).toBe(401);
    expect((await alice.call('workspaces.get', { params: { workspaceId } })).status).toBe(404);
    const tokens = await ctx()
      .resources.db.selectFrom('api_tokens')
      .select('revoked_at')
      .where('service_account_id', '=', clientId)
      .execute();
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.every((t) => t.revoked_at !== null)).toBe(true);
  });

  it('records every mutation in the audit log, readable by org admins with filters', async () => {
    const all = await alice.call('audit.list', { params: { orgId }, query: { limit: 100 } });
    expect(all.status).toBe(200);
    const actions = all.body.items.map((e: { action: string }) => e.action);
    for (const a of [
      'orgs.create',
      'orgs.update',
      'orgs.invitations.create',
      'invitations.accept',
      'workspaces.create',
      'workspaces.delete',
      'serviceAccounts.create',
    ]) {
      expect(actions).toContain(a);
    }
    const denied = all.body.items.filter((e: { outcome: string }) => e.outcome === 'denied');
    expect(denied.length).toBeGreaterThan(0);
    const lastAdmin = all.body.items.find(
      (e: { outcome: string; details: { error?: string } }) =>
        e.outcome === 'failed' && e.details.error === 'last_admin',
    );
    expect(lastAdmin).toBeDefined();
    const byAction = await alice.call('audit.list', {
      params: { orgId },
      query: { action: 'workspaces.*' },
    });
    expect(
      byAction.body.items.every((e: { action: string }) => e.action.startsWith('workspaces.')),
    ).toBe(true);
    const byActor = await alice.call('audit.list', {
      params: { orgId },
      query: { actor: bob.userId },
    });
    expect(byActor.body.items.length).toBeGreaterThan(0);
    expect(byActor.body.items.every((e: { actorId: string }) => e.actorId === bob.userId)).toBe(
      true,
    );
    const byWs = await alice.call('audit.list', { params: { orgId }, query: { workspaceId } });
    expect(
      byWs.body.items.every((e: { workspaceId: string }) => e.workspaceId === workspaceId),
    ).toBe(true);
    const future = await alice.call('audit.list', {
      params: { orgId },
      query: { since: '2999-01-01T00:00:00Z' },
    });
    expect(future.body.items).toEqual([]);
    // Paging walks everything exactly once.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await alice.call('audit.list', {
        params: { orgId },
        query: { limit: 3, ...(cursor ? { cursor } : {}) },
      });
      seen.push(...page.body.items.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((e: { id: string }) => e.id));
    // Members cannot read the audit log.
    const member = await sessionUser(app, ctx().resources);
    const inv = await alice.call('orgs.invitations.create', {
      params: { orgId },
      body: { email: member.email, role: 'member' },
    });
    await member.call('invitations.accept', { body: { token: inv.body.token } });
    expect((await member.call('audit.list', { params: { orgId } })).status).toBe(403);
  });

  it('refuses an organization delete while workspaces live, then deletes it', async () => {
    const ws = await alice.call('workspaces.create', { params: { orgId }, body: { name: 'temp' } });
    const refused = await alice.call('orgs.delete', { params: { orgId } });
    expect(refused.body.error.code).toBe('org_not_empty');
    await alice.call('workspaces.delete', { params: { workspaceId: ws.body.id } });
    expect((await alice.call('orgs.delete', { params: { orgId } })).status).toBe(204);
    expect((await alice.call('orgs.get', { params: { orgId } })).status).toBe(404);
  });

  it('a personal token of a user with a limited role stays limited', async () => {
    const org = await bob.call('orgs.create', { body: { name: 'Bob Co' } });
    const pat = await tokenCaller(app, ctx().resources, alice);
    expect((await pat.call('orgs.get', { params: { orgId: org.body.id } })).status).toBe(404);
  });
});
