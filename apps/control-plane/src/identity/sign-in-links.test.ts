/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   Raw response bodies are untyped JSON on purpose. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { injectCall, sessionUser } from '../routes/api-test-kit.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { hashSecret } from './secret-token.ts';
import { SESSION_COOKIE } from './sessions.ts';
import { issueSignInLink, SIGN_IN_LINK_TTL_MS } from './sign-in-links.ts';

describeEachBackend('sign-in links', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await createApp(ctx().resources);
  });
  afterAll(async () => {
    await app?.close();
  });

  const tokenOf = (url: string) => /#token=(ferry_signin_[\w-]+)$/.exec(url)?.[1] ?? '';

  it('signs in once: the claim sets a session cookie, a second claim is refused', async () => {
    const { resources } = ctx();
    const user = await sessionUser(app, resources);
    const before = resources.clock.now().getTime();
    const link = await issueSignInLink(resources, user.email.toUpperCase());
    expect(link.url).toMatch(/\/sign-in-link#token=ferry_signin_/);
    expect(link.expiresAt.getTime() - before).toBeGreaterThanOrEqual(SIGN_IN_LINK_TTL_MS);
    expect(link.expiresAt.getTime() - before).toBeLessThan(SIGN_IN_LINK_TTL_MS + 60_000);
    const token = tokenOf(link.url);

    const first = await injectCall(app, 'auth.signInLink', {}, { body: { token } });
    expect(first.status).toBe(200);
    expect(first.body.user.email).toBe(user.email);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=ferry_ses_`));
    const session = await injectCall(app, 'auth.session', { cookie });
    expect(session.status).toBe(200);
    expect(session.body.csrfToken).toBe(first.body.csrfToken);

    const again = await injectCall(app, 'auth.signInLink', {}, { body: { token } });
    expect(again.status).toBe(404);
    expect(again.body.error.message).toContain('unknown, used or expired');
  });

  it('never works as the session cookie itself', async () => {
    const { resources } = ctx();
    const user = await sessionUser(app, resources);
    const token = tokenOf((await issueSignInLink(resources, user.email)).url);
    const asCookie = await injectCall(app, 'auth.session', {
      cookie: `${SESSION_COOKIE}=${token}`,
    });
    expect(asCookie.status).toBe(401);
    // …and trying did not spend it.
    const claim = await injectCall(app, 'auth.signInLink', {}, { body: { token } });
    expect(claim.status).toBe(200);
  });

  it('refuses an expired link, a session token and a malformed token, naming the field', async () => {
    const { resources } = ctx();
    const user = await sessionUser(app, resources);
    const token = tokenOf((await issueSignInLink(resources, user.email)).url);
    await resources.db
      .updateTable('sessions')
      .set({ expires_at: new Date(resources.clock.now().getTime() - 1) })
      .where('token_hash', '=', hashSecret(token))
      .execute();
    const expired = await injectCall(app, 'auth.signInLink', {}, { body: { token } });
    expect(expired.status).toBe(404);

    const sessionToken = /=(.*)$/.exec(user.headers.cookie!)![1]!;
    const wrongKind = await injectCall(
      app,
      'auth.signInLink',
      {},
      { body: { token: sessionToken } },
    );
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.body.error.details[0].path).toBe('body.token');
    // The session it named is untouched.
    expect((await injectCall(app, 'auth.session', user.headers)).status).toBe(200);
  });

  it('has no user to sign in for an unknown email', async () => {
    await expect(issueSignInLink(ctx().resources, 'nobody-here@example.com')).rejects.toThrow(
      'No user has the email',
    );
  });
});
