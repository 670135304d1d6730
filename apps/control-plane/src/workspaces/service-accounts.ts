/**
 * Per-workspace service accounts. The client id is the account's id; the secret is shown
 * once and stored hashed. `exchangeClientCredentials` trades them for a short-lived
 * access token scoped to the workspace and to the account's scopes.
 */
import {
  ForbiddenError,
  NotFoundError,
  SERVICE_ACCOUNT_PERMISSIONS,
  UnauthenticatedError,
  newId,
  type Permission,
} from '@ferry/core';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { ServiceAccountsTable } from '../db/tables/index.ts';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '../http/cursor.ts';
import { SECRET_PREFIXES, hashSecret, newSecret, safeEqual } from '../identity/secret-token.ts';

/** Lifetime of an exchanged access token. */
export const ACCESS_TOKEN_TTL_SECONDS = 60 * 60;

/** A service account as the API shows it. */
export interface ServiceAccount {
  id: string;
  workspaceId: string;
  name: string;
  scopes: Permission[];
  createdAt: string;
  revokedAt: string | null;
}

function toServiceAccount(row: Selectable<ServiceAccountsTable>): ServiceAccount {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    scopes: row.scopes as Permission[],
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

/** Creates a service account; without scopes it gets every scope a service account may hold. */
export async function createServiceAccount(
  db: Kysely<Database>,
  input: {
    orgId: string;
    workspaceId: string;
    name: string;
    scopes?: readonly Permission[] | undefined;
    createdBy: string;
    now: Date;
  },
): Promise<{ serviceAccount: ServiceAccount; clientId: string; clientSecret: string }> {
  const scopes = input.scopes ?? SERVICE_ACCOUNT_PERMISSIONS;
  const outside = scopes.filter(
    (s) => !(SERVICE_ACCOUNT_PERMISSIONS as readonly string[]).includes(s),
  );
  if (outside.length > 0) {
    throw new ForbiddenError(`A service account cannot hold ${outside.join(', ')}.`);
  }
  const secret = newSecret(SECRET_PREFIXES.serviceAccountSecret);
  const row = await db
    .insertInto('service_accounts')
    .values({
      id: newId('serviceAccount', input.now.getTime()),
      org_id: input.orgId,
      workspace_id: input.workspaceId,
      name: input.name,
      secret_hash: hashSecret(secret),
      scopes: JSON.stringify(scopes),
      created_by: input.createdBy,
      created_at: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { serviceAccount: toServiceAccount(row), clientId: row.id, clientSecret: secret };
}

/** A workspace's service accounts, one page at a time. */
export async function listServiceAccounts(
  db: Kysely<Database>,
  workspaceId: string,
  page: { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ items: ServiceAccount[]; nextCursor: string | null }> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  let q = db.selectFrom('service_accounts').selectAll().where('workspace_id', '=', workspaceId);
  if (page.cursor !== undefined) q = q.where('id', '>', decodeCursor(page.cursor));
  const rows = await q
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  return toPage(rows, limit, (r) => r.id, toServiceAccount);
}

/** Revokes a service account and every access token issued to it. */
export async function revokeServiceAccount(
  db: Kysely<Database>,
  workspaceId: string,
  serviceAccountId: string,
  now: Date,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('service_accounts')
      .select('id')
      .where('id', '=', serviceAccountId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('No such service account.');
    await trx
      .updateTable('service_accounts')
      .set({ revoked_at: now })
      .where('id', '=', serviceAccountId)
      .where('revoked_at', 'is', null)
      .execute();
    await trx
      .updateTable('api_tokens')
      .set({ revoked_at: now })
      .where('service_account_id', '=', serviceAccountId)
      .where('revoked_at', 'is', null)
      .execute();
  });
}

/**
 * Client-credentials exchange. Unknown id, wrong secret, revoked account or deleted
 * workspace all answer the same 401, so the endpoint reveals nothing.
 */
export async function exchangeClientCredentials(
  db: Kysely<Database>,
  input: { clientId: string; clientSecret: string; now: Date },
): Promise<{
  accessToken: string;
  expiresIn: number;
  scopes: Permission[];
  serviceAccountId: string;
  orgId: string;
  workspaceId: string;
  tokenId: string;
}> {
  const row = await db
    .selectFrom('service_accounts')
    .innerJoin('workspaces', 'workspaces.id', 'service_accounts.workspace_id')
    .select([
      'service_accounts.id',
      'service_accounts.org_id',
      'service_accounts.workspace_id',
      'service_accounts.name',
      'service_accounts.secret_hash',
      'service_accounts.scopes',
      'service_accounts.revoked_at',
      'workspaces.deleted_at',
    ])
    .where('service_accounts.id', '=', input.clientId)
    .executeTakeFirst();
  const hash = hashSecret(input.clientSecret);
  const valid =
    row !== undefined &&
    safeEqual(row.secret_hash, hash) &&
    row.revoked_at === null &&
    row.deleted_at === null;
  if (!valid) throw new UnauthenticatedError('Invalid client credentials.');
  const accessToken = newSecret(SECRET_PREFIXES.accessToken);
  const tokenId = newId('token', input.now.getTime());
  const scopes = row.scopes as Permission[];
  await db
    .insertInto('api_tokens')
    .values({
      id: tokenId,
      kind: 'service-account',
      user_id: null,
      service_account_id: row.id,
      workspace_id: row.workspace_id,
      name: row.name,
      token_hash: hashSecret(accessToken),
      scopes: JSON.stringify(scopes),
      created_at: input.now,
      expires_at: new Date(input.now.getTime() + ACCESS_TOKEN_TTL_SECONDS * 1000),
    })
    .execute();
  return {
    accessToken,
    expiresIn: ACCESS_TOKEN_TTL_SECONDS,
    scopes,
    serviceAccountId: row.id,
    orgId: row.org_id,
    workspaceId: row.workspace_id,
    tokenId,
  };
}
