/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   Raw response bodies are untyped JSON on purpose: these tests also send and read what the contracts forbid. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { bootstrapAdmin } from '../identity/bootstrap-admin.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { createTestClock } from '../testing/test-clock.ts';
import {
  injectCall,
  sessionUser,
  TEST_PASSWORD,
  testEmail,
  type TestCaller,
} from './api-test-kit.ts';

const clock = createTestClock();

describeEachBackend(
  'auth routes',
  (ctx) => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await createApp(ctx().resources);
    });
    afterAll(async () => {
      await app?.close();
    });

    it('bootstraps the first admin once with a one-time setup token', async () => {
      const { resources } = ctx();
      const link = await bootstrapAdmin(resources, 'Root@Example.com');
      expect(link).not.toBeNull();
      expect(link!.url).toContain(link!.token);
      expect(link!.email).toBe('root@example.com');
      const wrongEmail = await injectCall(
        app,
        'auth.setup',
        {},
        {
          body: {
            token: link!.token,
            email: 'other@example.com',
            name: 'Root',
            password: 'a very long password',
          },
        },
      );
      expect(wrongEmail.body.error.code).toBe('email_mismatch');
      const ok = await injectCall(
        app,
        'auth.setup',
        {},
        {
          body: { token: link!.token, name: 'Root', password: 'a very long password' },
        },
      );
      expect(ok.status).toBe(201);
      expect(ok.body).toMatchObject({ email: 'root@example.com', instanceAdmin: true });
      const reused = await injectCall(
        app,
        'auth.setup',
        {},
        {
          body: { token: link!.token, name: 'Root', password: 'a very long password' },
        },
      );
      expect(reused.status).toBe(404);
      // Users exist now: no more setup tokens.
      expect(await bootstrapAdmin(resources)).toBeNull();
    });

    it('logs in with a secure cookie session, requires CSRF on mutations, logs out', async () => {
      const login = await injectCall(
        app,
        'auth.login',
        {},
        {
          body: { email: 'ROOT@example.com', password: 'a very long password' },
        },
      );
      expect(login.status).toBe(200);
      const setCookie = String(login.headers['set-cookie']);
      expect(setCookie).toMatch(
        /^ferry_session=ferry_ses_[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/,
      );
      const cookie = setCookie.split(';')[0]!;
      const csrf: string = login.body.csrfToken;
      const session = await injectCall(app, 'auth.session', { cookie });
      expect(session.body.user.email).toBe('root@example.com');
      expect(session.body.csrfToken).toBe(csrf);

      const noCsrf = await injectCall(app, 'orgs.create', { cookie }, { body: { name: 'x' } });
      expect(noCsrf.status).toBe(403);
      expect(noCsrf.body.error.code).toBe('csrf_token_invalid');
      const wrongCsrf = await injectCall(
        app,
        'orgs.create',
        { cookie, 'x-csrf-token': 'nope' },
        { body: { name: 'x' } },
      );
      expect(wrongCsrf.status).toBe(403);
      const ok = await injectCall(
        app,
        'orgs.create',
        { cookie, 'x-csrf-token': csrf },
        { body: { name: 'x' } },
      );
      expect(ok.status).toBe(201);
      // Reads need no CSRF token.
      expect((await injectCall(app, 'orgs.list', { cookie })).status).toBe(200);

      const out = await injectCall(app, 'auth.logout', { cookie, 'x-csrf-token': csrf });
      expect(out.status).toBe(204);
      expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
      expect((await injectCall(app, 'orgs.list', { cookie })).status).toBe(401);
    });

    it('refuses a wrong password or unknown email the same way, and audits it', async () => {
      const wrong = await injectCall(
        app,
        'auth.login',
        {},
        {
          body: { email: 'root@example.com', password: 'not the password' },
        },
      );
      const unknown = await injectCall(
        app,
        'auth.login',
        {},
        {
          body: { email: 'ghost@example.com', password: 'not the password' },
        },
      );
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body.error.message).toBe(unknown.body.error.message);
      const rows = await ctx()
        .resources.db.selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'auth.login')
        .where('outcome', '=', 'failed')
        .execute();
      expect(rows.length).toBeGreaterThanOrEqual(2);
      expect(JSON.stringify(rows)).not.toContain('not the password');
    });

    it('sessions expire', async () => {
      const user = await sessionUser(app, ctx().resources);
      expect((await user.call('users.me')).status).toBe(200);
      await clock.advance(13 * 60 * 60 * 1000);
      expect((await user.call('users.me')).status).toBe(401);
    });

    it('personal tokens expire', async () => {
      const user = await sessionUser(app, ctx().resources);
      const t = await user.call('tokens.create', {
        body: { name: 't', scopes: ['org:read'], expiresInDays: 1 },
      });
      const auth = { authorization: `Bearer ${t.body.secret}` };
      expect((await injectCall(app, 'auth.me', auth)).body).toMatchObject({
        via: 'personal-token',
        scopes: ['org:read'],
      });
      await clock.advance(25 * 60 * 60 * 1000);
      expect((await injectCall(app, 'auth.me', auth)).status).toBe(401);
    });

    it('service-account access tokens are short-lived', async () => {
      const admin = await sessionUser(app, ctx().resources);
      const org = await admin.call('orgs.create', { body: { name: 'sa-org' } });
      const ws = await admin.call('workspaces.create', {
        params: { orgId: org.body.id },
        body: { name: 'w' },
      });
      const sa = await admin.call('serviceAccounts.create', {
        params: { workspaceId: ws.body.id },
        body: { name: 'bot', scopes: ['workspace:read'] },
      });
      const scoped = await admin.call('serviceAccounts.create', {
        params: { workspaceId: ws.body.id },
        body: { name: 'too-much', scopes: ['workspace:manage'] },
      });
      expect(scoped.status).toBe(403);
      const t = await injectCall(
        app,
        'auth.token',
        {},
        {
          body: {
            grant_type: 'client_credentials',
            client_id: sa.body.clientId,
            client_secret: sa.body.clientSecret,
          },
        },
      );
      expect(t.body.scope).toBe('workspace:read');
      const auth = { authorization: `Bearer ${t.body.access_token}` };
      expect(
        (await injectCall(app, 'workspaces.get', auth, { params: { workspaceId: ws.body.id } }))
          .status,
      ).toBe(200);
      await clock.advance(61 * 60 * 1000);
      expect(
        (await injectCall(app, 'workspaces.get', auth, { params: { workspaceId: ws.body.id } }))
          .status,
      ).toBe(401);
      // Revoking the account stops new exchanges.
      await admin.call('serviceAccounts.revoke', {
        params: { workspaceId: ws.body.id, serviceAccountId: sa.body.clientId },
      });
      const again = await injectCall(
        app,
        'auth.token',
        {},
        {
          body: {
            grant_type: 'client_credentials',
            client_id: sa.body.clientId,
            client_secret: sa.body.clientSecret,
          },
        },
      );
      expect(again.status).toBe(401);
    });

    it('signs up from an invitation and joins the organization', async () => {
      const admin = await sessionUser(app, ctx().resources);
      const org = await admin.call('orgs.create', { body: { name: 'inviting' } });
      const email = testEmail('newcomer');
      const inv = await admin.call('orgs.invitations.create', {
        params: { orgId: org.body.id },
        body: { email, role: 'member' },
      });
      const signup = await injectCall(
        app,
        'auth.signup',
        {},
        {
          body: { invitationToken: inv.body.token, name: 'Newcomer', password: TEST_PASSWORD },
        },
      );
      expect(signup.status).toBe(201);
      expect(signup.body.email).toBe(email);
      const login = await injectCall(
        app,
        'auth.login',
        {},
        { body: { email, password: TEST_PASSWORD } },
      );
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const me = await injectCall(app, 'users.me', { cookie });
      expect(me.body.orgs).toEqual([{ orgId: org.body.id, orgName: 'inviting', role: 'member' }]);
      const twice = await injectCall(
        app,
        'auth.signup',
        {},
        {
          body: { invitationToken: inv.body.token, name: 'Again', password: TEST_PASSWORD },
        },
      );
      expect(twice.status).toBe(404);
    });

    it('instance admins create users; others cannot', async () => {
      const admin = await sessionUser(app, ctx().resources, { instanceAdmin: true });
      const plain = await sessionUser(app, ctx().resources);
      const body = { email: testEmail('made'), name: 'Made', password: TEST_PASSWORD };
      expect((await plain.call('users.create', { body })).status).toBe(403);
      expect((await admin.call('users.create', { body })).status).toBe(201);
      const dup = await admin.call('users.create', { body });
      expect(dup.body.error.code).toBe('email_taken');
    });

    it('replays a creating POST for the same Idempotency-Key and refuses a different body', async () => {
      const user: TestCaller = await sessionUser(app, ctx().resources);
      const headers = { 'idempotency-key': 'create-org-1' };
      const first = await user.call('orgs.create', { body: { name: 'Once' }, headers });
      const second = await user.call('orgs.create', { body: { name: 'Once' }, headers });
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers['idempotent-replayed']).toBe('true');
      const list = await user.call('orgs.list');
      expect(list.body.items).toHaveLength(1);
      const conflict = await user.call('orgs.create', { body: { name: 'Other' }, headers });
      expect(conflict.status).toBe(409);
      expect(conflict.body.error.code).toBe('idempotency_key_reused');
      // Keys are per principal.
      const other = await sessionUser(app, ctx().resources);
      expect(
        (await other.call('orgs.create', { body: { name: 'Once' }, headers })).body.id,
      ).not.toBe(first.body.id);
      // A failed first request frees its key.
      const bad = await user.call('orgs.invitations.create', {
        params: { orgId: first.body.id },
        body: { email: 'a@example.com', role: 'member' },
        headers: { 'idempotency-key': 'inv-1' },
      });
      expect(bad.status).toBe(201);
    });
  },
  { clock, env: { FERRY_PUBLIC_URL: 'https://ferry.example.com' } },
);

describeEachBackend(
  'rate limiting',
  (ctx) => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await createApp(ctx().resources);
    });
    afterAll(async () => {
      await app?.close();
    });

    it('limits each principal separately and says when to retry', async () => {
      const a = await sessionUser(app, ctx().resources);
      const b = await sessionUser(app, ctx().resources);
      for (let i = 0; i < 5; i++) expect((await a.call('users.me')).status).toBe(200);
      const limited = await a.call('users.me');
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await b.call('users.me')).status).toBe(200);
    });
  },
  { env: { FERRY_RATE_LIMIT_PER_MINUTE: '5' } },
);
