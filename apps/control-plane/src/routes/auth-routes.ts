/** Routes of identity: setup, sign-up, login/logout, session, me, tokens, token exchange. */
import { UnauthenticatedError } from '@ferry/core';
import { NO_SCOPE } from '../authz/route-scope.ts';
import { completeSetup } from '../identity/bootstrap-admin.ts';
import { hashPassword, verifyPassword } from '../identity/password-hash.ts';
import {
  createPersonalToken,
  revokePersonalToken,
  toPersonalToken,
} from '../identity/personal-tokens.ts';
import {
  SESSION_TTL_MS,
  createSession,
  csrfTokenFor,
  revokeSession,
  sessionCookie,
} from '../identity/sessions.ts';
import { claimSignInLink } from '../identity/sign-in-links.ts';
import { createUser, findUserByEmail, findUserById, toUser } from '../identity/users.ts';
import { acceptInvitationWith, invitationEmail } from '../orgs/invitations.ts';
import { exchangeClientCredentials } from '../workspaces/service-accounts.ts';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '../http/cursor.ts';
import {
  ANY_CALLER,
  OWN_CREDENTIAL,
  PUBLIC,
  SESSIONS,
  USERS,
  defineRoute,
  type AnyRouteDefinition,
} from '../http/define-route.ts';
import { secureCookies, userOf } from './route-helpers.ts';

// Verifying against a real hash when the email is unknown keeps login timing uniform.
let dummyHash: Promise<string> | undefined;

export const authRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'auth.setup',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    async handle({ resources, body, now, audit }) {
      const user = await completeSetup(resources.db, { ...body, now });
      Object.assign(audit, {
        actorType: 'user',
        actorId: user.id,
        targetType: 'user',
        targetId: user.id,
      });
      return toUser(user);
    },
  }),
  defineRoute({
    name: 'auth.signup',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    async handle({ resources, body, now, audit }) {
      const email = await invitationEmail(resources.db, body.invitationToken, now);
      const user = await resources.db.transaction().execute(async (trx) => {
        const created = await createUser(trx, {
          email,
          name: body.name,
          password: body.password,
          now,
        });
        const joined = await acceptInvitationWith(trx, {
          token: body.invitationToken,
          userId: created.id,
          email,
          now,
        });
        audit.orgId = joined.orgId;
        return created;
      });
      Object.assign(audit, {
        actorType: 'user',
        actorId: user.id,
        targetType: 'user',
        targetId: user.id,
      });
      return toUser(user);
    },
  }),
  defineRoute({
    name: 'auth.login',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    async handle({ resources, request, body, now, reply, audit }) {
      const throttle = resources.loginThrottle;
      audit.details = { email: body.email.toLowerCase() };
      throttle.check(body.email, request.ip, now);
      const user = await findUserByEmail(resources.db, body.email);
      dummyHash ??= hashPassword('not a password of anyone');
      const ok = await verifyPassword(body.password, user?.password_hash ?? (await dummyHash));
      if (user === undefined || !ok) {
        throttle.failed(body.email, request.ip, now);
        throw new UnauthenticatedError('Invalid email or password.');
      }
      throttle.succeeded(body.email, request.ip);
      audit.details = {};
      const session = await createSession(resources.db, user.id, now);
      Object.assign(audit, {
        actorType: 'user',
        actorId: user.id,
        targetType: 'session',
        targetId: session.id,
      });
      void reply.header(
        'set-cookie',
        sessionCookie(session.token, {
          secure: secureCookies(resources.config.publicUrl),
          maxAgeSeconds: Math.floor(SESSION_TTL_MS / 1000),
        }),
      );
      return {
        user: toUser(user),
        csrfToken: csrfTokenFor(session.token),
        expiresAt: session.expiresAt.toISOString(),
      };
    },
  }),
  defineRoute({
    name: 'auth.signInLink',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    async handle({ resources, body, now, reply, audit }) {
      const { userId, session } = await claimSignInLink(resources.db, body.token, now);
      const user = await findUserById(resources.db, userId);
      if (user === undefined) throw new UnauthenticatedError();
      Object.assign(audit, {
        actorType: 'user',
        actorId: user.id,
        targetType: 'session',
        targetId: session.id,
      });
      void reply.header(
        'set-cookie',
        sessionCookie(session.token, {
          secure: secureCookies(resources.config.publicUrl),
          maxAgeSeconds: Math.floor(SESSION_TTL_MS / 1000),
        }),
      );
      return {
        user: toUser(user),
        csrfToken: csrfTokenFor(session.token),
        expiresAt: session.expiresAt.toISOString(),
      };
    },
  }),
  defineRoute({
    name: 'auth.logout',
    permission: null,
    scope: NO_SCOPE,
    callers: SESSIONS,
    async handle({ resources, principal, now, reply, audit }) {
      const user = userOf(principal);
      await revokeSession(resources.db, user.credentialId, now);
      Object.assign(audit, { targetType: 'session', targetId: user.credentialId });
      void reply.header(
        'set-cookie',
        sessionCookie(null, {
          secure: secureCookies(resources.config.publicUrl),
          maxAgeSeconds: 0,
        }),
      );
      return undefined;
    },
  }),
  defineRoute({
    name: 'auth.session',
    permission: null,
    scope: NO_SCOPE,
    callers: SESSIONS,
    async handle({ resources, principal, sessionToken }) {
      const user = userOf(principal);
      const row = await resources.db
        .selectFrom('sessions')
        .select('expires_at')
        .where('id', '=', user.credentialId)
        .executeTakeFirstOrThrow();
      const found = await findUserById(resources.db, user.userId);
      if (found === undefined || sessionToken === undefined) throw new UnauthenticatedError();
      return {
        user: toUser(found),
        csrfToken: csrfTokenFor(sessionToken),
        expiresAt: row.expires_at.toISOString(),
      };
    },
  }),
  defineRoute({
    name: 'auth.me',
    permission: OWN_CREDENTIAL,
    scope: NO_SCOPE,
    callers: ANY_CALLER,
    handle({ principal }) {
      if (principal === undefined) throw new UnauthenticatedError();
      if (principal.kind === 'service-account') {
        return Promise.resolve({
          kind: 'service-account' as const,
          serviceAccountId: principal.serviceAccountId,
          orgId: principal.orgId,
          workspaceId: principal.workspaceId,
          scopes: [...principal.scopes],
        });
      }
      return Promise.resolve({
        kind: 'user' as const,
        userId: principal.userId,
        email: principal.email,
        instanceAdmin: principal.instanceAdmin,
        via: principal.via,
        scopes: principal.scopes === null ? null : [...principal.scopes],
      });
    },
  }),
  defineRoute({
    name: 'auth.token',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    async handle({ resources, body, now, audit }) {
      audit.details = { clientId: body.client_id };
      const t = await exchangeClientCredentials(resources.db, {
        clientId: body.client_id,
        clientSecret: body.client_secret,
        now,
      });
      Object.assign(audit, {
        actorType: 'service-account',
        actorId: t.serviceAccountId,
        orgId: t.orgId,
        workspaceId: t.workspaceId,
        targetType: 'token',
        targetId: t.tokenId,
      });
      return {
        access_token: t.accessToken,
        token_type: 'Bearer' as const,
        expires_in: t.expiresIn,
        scope: t.scopes.join(' '),
      };
    },
  }),
  defineRoute({
    name: 'tokens.create',
    permission: null,
    scope: NO_SCOPE,
    callers: SESSIONS,
    async handle({ transaction, principal, body, now, audit }) {
      const user = userOf(principal);
      const created = await transaction((db) =>
        createPersonalToken(db, {
          userId: user.userId,
          name: body.name,
          scopes: body.scopes,
          expiresInDays: body.expiresInDays,
          now,
        }),
      );
      Object.assign(audit, {
        targetType: 'token',
        targetId: created.token.id,
        details: { scopes: body.scopes },
      });
      return created;
    },
  }),
  defineRoute({
    name: 'tokens.list',
    permission: 'account:read',
    scope: NO_SCOPE,
    callers: USERS,
    async handle({ resources, principal, query }) {
      const user = userOf(principal);
      const limit = query.limit ?? DEFAULT_PAGE_SIZE;
      let q = resources.db
        .selectFrom('api_tokens')
        .selectAll()
        .where('kind', '=', 'personal')
        .where('user_id', '=', user.userId);
      if (query.cursor !== undefined) q = q.where('id', '>', decodeCursor(query.cursor));
      const rows = await q
        .orderBy('id')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, (r) => r.id, toPersonalToken);
    },
  }),
  defineRoute({
    name: 'tokens.revoke',
    permission: 'account:manage',
    scope: NO_SCOPE,
    callers: USERS,
    async handle({ resources, principal, params, now, audit }) {
      const user = userOf(principal);
      await revokePersonalToken(resources.db, user.userId, params.tokenId, now);
      Object.assign(audit, { targetType: 'token', targetId: params.tokenId });
      return undefined;
    },
  }),
];
