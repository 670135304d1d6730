/**
 * Device sign-ins (OAuth 2.0 Device Authorization Grant, RFC 8628). A device gets a device
 * code (a 256-bit secret it polls with) and a user code (8 letters the user types or
 * follows a link with); both are stored only as hashes, live 10 minutes and are spent once.
 * A signed-in user approves or denies the user code; the device's next poll then gets a
 * personal access token of that user, or `access_denied`. Polling faster than the interval
 * answers `slow_down` and lengthens the interval by 5 seconds, as the RFC says.
 */
import { randomInt } from 'node:crypto';
import { USER_CODE_ALPHABET } from '@ferry/api';
import { FerryError, NotFoundError, PERMISSIONS, newId } from '@ferry/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DeviceAuthorizationsTable } from '../db/tables/index.ts';
import { createPersonalToken } from './personal-tokens.ts';
import { SECRET_PREFIXES, hashSecret, newSecret } from './secret-token.ts';

/** How long a device sign-in may wait for approval. */
export const DEVICE_CODE_TTL_MS = 10 * 60 * 1000;
/** The polling interval a device starts with. */
export const DEVICE_POLL_INTERVAL_SECONDS = 5;
/** The lifetime of the token a device gets unless it asks for another. */
export const DEVICE_TOKEN_DAYS = 90;

/** The RFC 8628 refusals of a poll: 400s with the RFC's error code. */
export type DeviceGrantErrorCode =
  'authorization_pending' | 'slow_down' | 'expired_token' | 'access_denied' | 'invalid_grant';

const GRANT_MESSAGES: Record<DeviceGrantErrorCode, string> = {
  authorization_pending: 'The user has not approved the code yet; poll again after the interval.',
  slow_down: 'Polling too fast; wait 5 seconds longer between polls.',
  expired_token: 'The device code expired before it was approved; start the sign-in again.',
  access_denied: 'The user denied the sign-in.',
  invalid_grant: 'The device code is unknown or was already used; start the sign-in again.',
};

/** A poll the RFC answers with an error. */
export class DeviceGrantError extends FerryError {
  constructor(code: DeviceGrantErrorCode) {
    super({ code, status: 400, fault: 'client', retryable: false, message: GRANT_MESSAGES[code] });
  }
}

/** `wdjb-mjht` → `WDJBMJHT`: what is hashed. */
export function normalizeUserCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

/** `WDJBMJHT` → `WDJB-MJHT`: what people read. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

function newUserCode(): string {
  let code = '';
  for (let i = 0; i < 8; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** A started device sign-in: the codes, shown once. */
export interface StartedDeviceAuthorization {
  readonly id: string;
  readonly deviceCode: string;
  readonly userCode: string;
  readonly expiresAt: Date;
  readonly intervalSeconds: number;
}

/** Starts a device sign-in (and forgets the ones that expired a day ago). */
export async function startDeviceAuthorization(
  db: Kysely<Database>,
  input: { clientName: string; tokenDays: number; now: Date },
): Promise<StartedDeviceAuthorization> {
  const { now } = input;
  await db
    .deleteFrom('device_authorizations')
    .where('expires_at', '<', new Date(now.getTime() - 86_400_000))
    .execute();
  // A user code collides with a live one about once in 10^9 starts: draw again.
  for (let attempt = 0; ; attempt++) {
    const deviceCode = newSecret(SECRET_PREFIXES.deviceCode);
    const userCode = newUserCode();
    const row = {
      id: newId('device', now.getTime()),
      device_code_hash: hashSecret(deviceCode),
      user_code_hash: hashSecret(userCode),
      client_name: input.clientName,
      token_days: input.tokenDays,
      status: 'pending' as const,
      interval_seconds: DEVICE_POLL_INTERVAL_SECONDS,
      created_at: now,
      expires_at: new Date(now.getTime() + DEVICE_CODE_TTL_MS),
    };
    const inserted = await db
      .insertInto('device_authorizations')
      .values(row)
      .onConflict((oc) => oc.column('user_code_hash').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted !== undefined)
      return {
        id: row.id,
        deviceCode,
        userCode,
        expiresAt: row.expires_at,
        intervalSeconds: row.interval_seconds,
      };
    if (attempt >= 3) throw new Error('could not draw a free user code');
  }
}

/** A device sign-in as the user who may approve it sees it. */
export interface DeviceRequestView {
  userCode: string;
  clientName: string;
  status: 'pending' | 'approved' | 'denied';
  createdAt: string;
  expiresAt: string;
}

const UNKNOWN_CODE =
  'This code is unknown, used or expired. Start the sign-in on the device again.';

type Row = Pick<DeviceAuthorizationsTable, 'client_name' | 'status'> & {
  id: string;
  created_at: Date;
  expires_at: Date;
};

function viewOf(userCode: string, row: Row): DeviceRequestView {
  return {
    userCode: formatUserCode(userCode),
    clientName: row.client_name,
    status: row.status === 'spent' ? 'approved' : row.status,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
  };
}

/** A pending device sign-in by its user code (404 when unknown, decided or expired). */
export async function findPendingDeviceRequest(
  db: Kysely<Database>,
  userCode: string,
  now: Date,
): Promise<DeviceRequestView> {
  const code = normalizeUserCode(userCode);
  const row = await db
    .selectFrom('device_authorizations')
    .select(['id', 'client_name', 'status', 'created_at', 'expires_at'])
    .where('user_code_hash', '=', hashSecret(code))
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError(UNKNOWN_CODE);
  return viewOf(code, row);
}

/** Approves or denies a pending device sign-in as `userId` (404 when not pending). */
export async function decideDeviceRequest(
  db: Kysely<Database>,
  input: { userCode: string; userId: string; approve: boolean; now: Date },
): Promise<DeviceRequestView & { id: string }> {
  const code = normalizeUserCode(input.userCode);
  const row = await db
    .updateTable('device_authorizations')
    .set({
      status: input.approve ? 'approved' : 'denied',
      user_id: input.userId,
      decided_at: input.now,
    })
    .where('user_code_hash', '=', hashSecret(code))
    .where('status', '=', 'pending')
    .where('expires_at', '>', input.now)
    .returning(['id', 'client_name', 'status', 'created_at', 'expires_at'])
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError(UNKNOWN_CODE);
  return { ...viewOf(code, row), id: row.id };
}

/** What a successful poll gets. */
export interface DeviceGrant {
  readonly authorizationId: string;
  readonly userId: string;
  readonly tokenId: string;
  readonly secret: string;
  readonly expiresInSeconds: number;
  readonly scopes: readonly string[];
}

/**
 * One poll. The poll's own bookkeeping (the time, a longer interval) commits even when the
 * answer is a refusal, so it runs in its own transaction and returns the refusal to throw.
 */
export async function pollDeviceAuthorization(
  db: Kysely<Database>,
  deviceCode: string,
  now: Date,
): Promise<DeviceGrant | DeviceGrantError> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('device_authorizations')
      .selectAll()
      .where('device_code_hash', '=', hashSecret(deviceCode))
      .forUpdate()
      .executeTakeFirst();
    if (row === undefined || row.status === 'spent') return new DeviceGrantError('invalid_grant');
    const last = row.last_polled_at;
    const tooSoon =
      last !== null && now.getTime() - last.getTime() < row.interval_seconds * 1000 - 250;
    await trx
      .updateTable('device_authorizations')
      .set({
        last_polled_at: now,
        ...(tooSoon ? { interval_seconds: row.interval_seconds + 5 } : {}),
      })
      .where('id', '=', row.id)
      .execute();
    if (row.expires_at.getTime() <= now.getTime()) return new DeviceGrantError('expired_token');
    if (tooSoon) return new DeviceGrantError('slow_down');
    if (row.status === 'denied') return new DeviceGrantError('access_denied');
    if (row.status === 'pending' || row.user_id === null)
      return new DeviceGrantError('authorization_pending');
    const created = await createPersonalToken(trx, {
      userId: row.user_id,
      name: row.client_name,
      scopes: PERMISSIONS,
      expiresInDays: row.token_days,
      now,
    });
    await trx
      .updateTable('device_authorizations')
      .set({ status: 'spent', token_id: created.token.id })
      .where('id', '=', row.id)
      .execute();
    return {
      authorizationId: row.id,
      userId: row.user_id,
      tokenId: created.token.id,
      secret: created.secret,
      expiresInSeconds: row.token_days * 86_400,
      scopes: PERMISSIONS,
    };
  });
}
