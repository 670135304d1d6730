/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   Raw response bodies are untyped JSON on purpose. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { hashSecret } from '../identity/secret-token.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { createLogCapture } from '../testing/log-capture.ts';
import { createTestClock } from '../testing/test-clock.ts';
import {
  injectCall,
  sessionUser,
  tokenCaller,
  type TestCaller,
  type TestResponse,
} from './api-test-kit.ts';

const clock = createTestClock();
const capture = createLogCapture();
const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

describeEachBackend(
  'device sign-in routes (RFC 8628)',
  (ctx) => {
    let app: FastifyInstance;
    let user: TestCaller;
    beforeAll(async () => {
      app = await createApp(ctx().resources);
      user = await sessionUser(app, ctx().resources);
    });
    afterAll(async () => {
      await app?.close();
    });

    const start = async (name = 'ferry CLI on laptop') => {
      const res = await injectCall(
        app,
        'auth.deviceCode',
        {},
        { body: { client_id: 'ferry-cli', name } },
      );
      expect(res.status, res.raw).toBe(200);
      return res.body as {
        device_code: string;
        user_code: string;
        verification_uri: string;
        verification_uri_complete: string;
        expires_in: number;
        interval: number;
      };
    };
    const poll = (deviceCode: string): Promise<TestResponse> =>
      injectCall(
        app,
        'auth.deviceToken',
        {},
        { body: { grant_type: GRANT, device_code: deviceCode, client_id: 'ferry-cli' } },
      );
    const wait = (seconds: number) => clock.advance(seconds * 1000);

    it('pending → approved by a signed-in user → one token that works, once', async () => {
      const started = await start();
      expect(started.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      expect(started.device_code).toMatch(/^ferry_dev_/);
      expect(started.verification_uri).toBe('https://ferry.example.com/device');
      expect(started.verification_uri_complete).toBe(
        `https://ferry.example.com/device#code=${started.user_code}`,
      );
      expect(started).toMatchObject({ expires_in: 600, interval: 5 });

      const pending = await poll(started.device_code);
      expect(pending.status).toBe(400);
      expect(pending.body.error.code).toBe('authorization_pending');

      // The user sees what asks, typed in lower case and without the dash.
      const typed = started.user_code.toLowerCase().replace('-', '');
      const shown = await user.call('auth.deviceRequest', { body: { userCode: typed } });
      expect(shown.status, shown.raw).toBe(200);
      expect(shown.body).toMatchObject({
        userCode: started.user_code,
        clientName: 'ferry CLI on laptop',
        status: 'pending',
      });
      const approved = await user.call('auth.deviceDecide', {
        body: { userCode: started.user_code, approve: true },
      });
      expect(approved.status, approved.raw).toBe(200);
      expect(approved.body.status).toBe('approved');
      // Decided once: a second decision finds nothing pending.
      const again = await user.call('auth.deviceDecide', {
        body: { userCode: started.user_code, approve: false },
      });
      expect(again.status).toBe(404);

      await wait(5);
      const granted = await poll(started.device_code);
      expect(granted.status, granted.raw).toBe(200);
      expect(granted.body).toMatchObject({ token_type: 'Bearer', expires_in: 90 * 86_400 });
      expect(granted.body.access_token).toMatch(/^ferry_pat_/);
      const me = await injectCall(app, 'auth.me', {
        authorization: `Bearer ${granted.body.access_token}`,
      });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ kind: 'user', userId: user.userId, via: 'personal-token' });
      const tokens = await user.call('tokens.list');
      const names = (tokens.body.items as { name: string }[]).map((t) => t.name);
      expect(names).toContain('ferry CLI on laptop');

      // Single use: the device code is spent.
      await wait(5);
      const reused = await poll(started.device_code);
      expect(reused.status).toBe(400);
      expect(reused.body.error.code).toBe('invalid_grant');
      expect(reused.raw).not.toContain('ferry_pat_');
    });

    it('polling faster than the interval answers slow_down and lengthens it by 5 s', async () => {
      const started = await start();
      expect((await poll(started.device_code)).body.error.code).toBe('authorization_pending');
      await wait(1);
      expect((await poll(started.device_code)).body.error.code).toBe('slow_down');
      // The interval is now 10 s: 6 s later is still too soon.
      await wait(6);
      expect((await poll(started.device_code)).body.error.code).toBe('slow_down');
      await wait(15);
      expect((await poll(started.device_code)).body.error.code).toBe('authorization_pending');
    });

    it('a denied code answers access_denied; an expired one expired_token and cannot be approved', async () => {
      const denied = await start();
      const decided = await user.call('auth.deviceDecide', {
        body: { userCode: denied.user_code, approve: false },
      });
      expect(decided.body.status).toBe('denied');
      expect((await poll(denied.device_code)).body.error.code).toBe('access_denied');

      const late = await start();
      await wait(601);
      expect((await poll(late.device_code)).body.error.code).toBe('expired_token');
      const tooLate = await user.call('auth.deviceDecide', {
        body: { userCode: late.user_code, approve: true },
      });
      expect(tooLate.status).toBe(404);
      expect(tooLate.body.error.message).toMatch(/unknown, used or expired/);
      expect(
        (await user.call('auth.deviceRequest', { body: { userCode: late.user_code } })).status,
      ).toBe(404);
    });

    it('approving needs a dashboard session: not anonymous, not a token', async () => {
      const started = await start();
      const anonymous = await injectCall(
        app,
        'auth.deviceDecide',
        {},
        { body: { userCode: started.user_code, approve: true } },
      );
      expect(anonymous.status).toBe(401);
      const token = await tokenCaller(app, ctx().resources, user);
      const withToken = await token.call('auth.deviceDecide', {
        body: { userCode: started.user_code, approve: true },
      });
      expect(withToken.status).toBe(403);
      expect((await poll(started.device_code)).body.error.code).toBe('authorization_pending');
    });

    it('bad input names the field; an unknown device code is invalid_grant', async () => {
      const wrongCode = await user.call('auth.deviceDecide', {
        body: { userCode: 'AEIO-UAEI', approve: true },
      });
      expect(wrongCode.status).toBe(400);
      expect(wrongCode.body.error.details[0].path).toBe('body.userCode');
      const wrongClient = await injectCall(
        app,
        'auth.deviceCode',
        {},
        { body: { client_id: 'someone-else' } },
      );
      expect(wrongClient.status).toBe(400);
      expect(wrongClient.body.error.details[0].path).toBe('body.client_id');
      const unknown = await poll('ferry_dev_not_a_real_device_code_xxxxxxxx');
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.code).toBe('invalid_grant');
    });

    it('keeps the user code out of the log: the look-up, the decision and the link carry it where no log reads', async () => {
      const before = capture.lines.length;
      const started = await start('ferry CLI logged');
      const code = started.user_code;
      // The dashboard page the link opens: the code rides in the fragment, never sent.
      const link = new URL(started.verification_uri_complete);
      expect(link.hash).toBe(`#code=${code}`);
      expect(`${link.origin}${link.pathname}${link.search}`).not.toContain(code);
      const page = await app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
      expect(page.statusCode).toBeLessThan(500);
      // Typed in lower case without the dash too, as people do.
      for (const userCode of [code, code.toLowerCase().replace('-', '')]) {
        const shown = await user.call('auth.deviceRequest', { body: { userCode } });
        expect(shown.status, shown.raw).toBe(200);
      }
      // A code nobody started answers 404, and is not logged either.
      const unknownCode = 'ZZZZ-ZZZZ';
      expect(
        (await user.call('auth.deviceRequest', { body: { userCode: unknownCode } })).status,
      ).toBe(404);
      const decided = await user.call('auth.deviceDecide', {
        body: { userCode: code, approve: true },
      });
      expect(decided.status, decided.raw).toBe(200);
      await wait(5);
      expect((await poll(started.device_code)).status).toBe(200);

      const logged = capture.lines.slice(before).join('\n');
      // The requests were logged (so the check below can fail): the look-up's URL among them.
      expect(logged).toContain('/api/v1/auth/device/request');
      expect(logged).toContain('/api/v1/auth/device/decision');
      for (const secret of [
        code,
        code.replace('-', ''),
        code.toLowerCase().replace('-', ''),
        unknownCode,
      ])
        expect(logged).not.toContain(secret);
      expect(logged).not.toContain(started.device_code);
    });

    it('stores only hashes of the codes, and audits the start, the decision and the token', async () => {
      const started = await start('ferry CLI audited');
      const { db } = ctx().resources;
      const rows = await db.selectFrom('device_authorizations').selectAll().execute();
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(started.device_code);
      expect(dump).not.toContain(started.user_code.replace('-', ''));
      expect(dump).toContain(hashSecret(started.device_code));
      await user.call('auth.deviceDecide', {
        body: { userCode: started.user_code, approve: true },
      });
      await wait(5);
      const granted = await poll(started.device_code);
      expect(granted.status).toBe(200);
      const audit = await db
        .selectFrom('audit_log')
        .select(['action', 'actor_type', 'actor_id', 'target_id', 'outcome'])
        .where('action', 'like', 'auth.device%')
        .orderBy('id')
        .execute();
      const id = rows.find((r) => r.device_code_hash === hashSecret(started.device_code))!.id;
      expect(audit).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'auth.deviceCode', target_id: id }),
          expect.objectContaining({
            action: 'auth.deviceDecide',
            actor_id: user.userId,
            target_id: id,
            outcome: 'success',
          }),
          expect.objectContaining({
            action: 'auth.deviceToken',
            actor_type: 'user',
            actor_id: user.userId,
            target_id: granted.body.token_id,
          }),
        ]),
      );
      // Waiting polls are not audited.
      expect(audit.filter((a) => a.action === 'auth.deviceToken').length).toBeLessThanOrEqual(
        audit.filter((a) => a.action === 'auth.deviceDecide' && a.outcome === 'success').length,
      );
    });
  },
  {
    clock,
    // Every request logged, so the log can show what reaches it.
    env: { FERRY_PUBLIC_URL: 'https://ferry.example.com', FERRY_LOG_LEVEL: 'debug' },
    logDestination: capture,
  },
);
