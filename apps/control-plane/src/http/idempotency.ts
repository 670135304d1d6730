/**
 * `Idempotency-Key` on creating POSTs, stored per principal for a day: the same key with
 * the same request replays the first response; with a different request it is a 409. A
 * key whose first request is still running is a retryable 409; a failed first request
 * frees the key, and so does a claim left unfinished for a minute (its process died). The
 * completion commits in the handler's own transaction (see `request-transaction.ts`), so
 * work is never done without its key being recorded, nor recorded without being done.
 */
import { createHash } from 'node:crypto';
import { ConflictError, ValidationError } from '@ferry/core';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** How long an unfinished claim holds the key: longer than any request runs. */
export const IDEMPOTENCY_CLAIM_MS = 60 * 1000;

/** A stored response to replay. */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Checks the header value; a bad key is a 400 naming the header. */
export function parseIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'string' ||
    value.length < 1 ||
    value.length > 255 ||
    !/^[\x21-\x7e]+$/.test(value)
  ) {
    throw new ValidationError('Invalid Idempotency-Key.', {
      details: [
        { path: 'headers.idempotency-key', message: 'must be 1–255 visible ASCII characters' },
      ],
    });
  }
  return value;
}

/** Fingerprint of a request: method, path and body. */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([method, path, body ?? null]))
    .digest('hex');
}

/**
 * Claims the key for this request. Returns a response to replay, or null when the caller
 * should run the request and then `complete` or `release` the key.
 */
export async function claimIdempotencyKey(
  db: Kysely<Database>,
  principalKey: string,
  key: string,
  fingerprint: string,
  now: Date,
): Promise<StoredResponse | null> {
  await db
    .deleteFrom('idempotency_keys')
    .where('principal_key', '=', principalKey)
    .where('key', '=', key)
    .where((eb) =>
      eb.or([
        eb('created_at', '<', new Date(now.getTime() - IDEMPOTENCY_TTL_MS)),
        eb.and([
          eb('status_code', 'is', null),
          eb('created_at', '<', new Date(now.getTime() - IDEMPOTENCY_CLAIM_MS)),
        ]),
      ]),
    )
    .execute();
  const inserted = await db
    .insertInto('idempotency_keys')
    .values({ principal_key: principalKey, key, request_hash: fingerprint, created_at: now })
    .onConflict((oc) => oc.columns(['principal_key', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (inserted !== undefined) return null;
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status_code', 'response'])
    .where('principal_key', '=', principalKey)
    .where('key', '=', key)
    .executeTakeFirst();
  if (row === undefined) {
    throw new ConflictError('idempotency_key_in_use', 'This Idempotency-Key is in use; retry.', {
      retryable: true,
    });
  }
  if (row.request_hash !== fingerprint) {
    throw new ConflictError(
      'idempotency_key_reused',
      'This Idempotency-Key was used for a different request.',
    );
  }
  if (row.status_code === null) {
    throw new ConflictError(
      'idempotency_key_in_use',
      'The first request with this Idempotency-Key is still running; retry.',
      {
        retryable: true,
      },
    );
  }
  return { status: row.status_code, body: row.response };
}

/**
 * Stores the response of the request that claimed the key at `claimedAt`, in the handler's
 * transaction. A claim taken over meanwhile (this request outlived the claim) is not ours
 * to complete: that is a conflict, and the work rolls back with it.
 */
export async function completeIdempotencyKey(
  db: Kysely<Database>,
  principalKey: string,
  key: string,
  claimedAt: Date,
  response: StoredResponse,
): Promise<void> {
  const done = await db
    .updateTable('idempotency_keys')
    .set({ status_code: response.status, response: JSON.stringify(response.body ?? null) })
    .where('principal_key', '=', principalKey)
    .where('key', '=', key)
    .where('created_at', '=', claimedAt)
    .where('status_code', 'is', null)
    .executeTakeFirst();
  if (Number(done.numUpdatedRows) !== 1) {
    throw new ConflictError(
      'idempotency_key_in_use',
      'Another request with this Idempotency-Key took over; retry.',
      { retryable: true },
    );
  }
}

/** Frees the key after the request failed, so a retry can run. */
export async function releaseIdempotencyKey(
  db: Kysely<Database>,
  principalKey: string,
  key: string,
): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('principal_key', '=', principalKey)
    .where('key', '=', key)
    .where(sql<boolean>`status_code is null`)
    .execute();
}
