/**
 * Resolves the caller from a request's credentials: a bearer token (personal or
 * service-account access token) or the session cookie. Expired, revoked or orphaned
 * credentials resolve to nobody; the caller then gets a 401 without learning why.
 */
import type { Permission } from '@ferry/core';
import type { AliasedRawBuilder, Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Principal } from './principal.ts';
import { SECRET_PREFIXES, hashSecret } from './secret-token.ts';
import { SESSION_COOKIE, readCookie } from './sessions.ts';

/** The credentials found on a request. */
export interface Credentials {
  readonly authorization: string | undefined;
  readonly cookie: string | undefined;
}

/** Who the caller is, and the session token when they came with the cookie. */
export interface Authentication {
  readonly principal: Principal;
  /** Set for cookie sessions: CSRF checks need it. */
  readonly sessionToken: string | undefined;
  /** The values of the caller's extra columns, by alias. */
  readonly extra: Record<string, unknown>;
}

/**
 * Columns to read in the same query as the credentials (authorization's scope lookup), so a
 * request costs one round trip; they may refer to the caller as `users` (`users.id` is null
 * for a service account).
 */
export type ExtraColumns = readonly AliasedRawBuilder<unknown, string>[];

/** Bearer token from an Authorization header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m?.[1];
}

// Writing last_used_at on every request would turn reads into writes; once a minute is enough.
const LAST_USED_GRANULARITY_MS = 60_000;

/** Resolves credentials to a principal, or undefined. */
export async function authenticate(
  db: Kysely<Database>,
  credentials: Credentials,
  now: Date,
  extraColumns: ExtraColumns = [],
): Promise<Authentication | undefined> {
  const bearer = bearerToken(credentials.authorization);
  if (bearer !== undefined) {
    const found = await fromBearer(db, bearer, now, extraColumns);
    return found === undefined ? undefined : { ...found, sessionToken: undefined };
  }
  const sessionToken = readCookie(credentials.cookie, SESSION_COOKIE);
  // Only session tokens work as the cookie (a sign-in link's token must be claimed first).
  if (sessionToken === undefined || !sessionToken.startsWith(SECRET_PREFIXES.session)) {
    return undefined;
  }
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id',
      'sessions.expires_at',
      'sessions.revoked_at',
      'users.id as user_id',
      'users.email',
      'users.instance_admin',
    ])
    .select(extraColumns)
    .where('sessions.token_hash', '=', hashSecret(sessionToken))
    .executeTakeFirst();
  if (row === undefined || row.revoked_at !== null || row.expires_at <= now) return undefined;
  return {
    extra: row,
    principal: {
      kind: 'user',
      userId: row.user_id,
      email: row.email,
      instanceAdmin: row.instance_admin,
      via: 'session',
      credentialId: row.id,
      scopes: null,
    },
    sessionToken,
  };
}

async function fromBearer(
  db: Kysely<Database>,
  token: string,
  now: Date,
  extraColumns: ExtraColumns,
): Promise<Pick<Authentication, 'principal' | 'extra'> | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .leftJoin('users', 'users.id', 'api_tokens.user_id')
    .leftJoin('service_accounts', 'service_accounts.id', 'api_tokens.service_account_id')
    .leftJoin('workspaces', 'workspaces.id', 'api_tokens.workspace_id')
    .select([
      'api_tokens.id',
      'api_tokens.kind',
      'api_tokens.scopes',
      'api_tokens.expires_at',
      'api_tokens.revoked_at',
      'api_tokens.last_used_at',
      'users.id as user_id',
      'users.email',
      'users.instance_admin',
      'service_accounts.id as sa_id',
      'service_accounts.org_id as sa_org_id',
      'service_accounts.revoked_at as sa_revoked_at',
      'workspaces.id as ws_id',
      'workspaces.deleted_at as ws_deleted_at',
    ])
    .select(extraColumns)
    .where('api_tokens.token_hash', '=', hashSecret(token))
    .executeTakeFirst();
  if (row === undefined || row.revoked_at !== null || row.expires_at <= now) return undefined;
  if (
    row.last_used_at === null ||
    now.getTime() - row.last_used_at.getTime() > LAST_USED_GRANULARITY_MS
  ) {
    await db
      .updateTable('api_tokens')
      .set({ last_used_at: now })
      .where('id', '=', row.id)
      .execute();
  }
  const scopes = row.scopes as Permission[];
  const extra = row as Record<string, unknown>;
  if (row.kind === 'personal') {
    if (row.user_id === null || row.email === null || row.instance_admin === null) return undefined;
    const principal: Principal = {
      kind: 'user',
      userId: row.user_id,
      email: row.email,
      instanceAdmin: row.instance_admin,
      via: 'personal-token',
      credentialId: row.id,
      scopes,
    };
    return { principal, extra };
  }
  if (row.sa_id === null || row.sa_org_id === null || row.ws_id === null) return undefined;
  if (row.sa_revoked_at !== null || row.ws_deleted_at !== null) return undefined;
  return {
    principal: {
      kind: 'service-account',
      serviceAccountId: row.sa_id,
      orgId: row.sa_org_id,
      workspaceId: row.ws_id,
      credentialId: row.id,
      scopes,
    },
    extra,
  };
}
