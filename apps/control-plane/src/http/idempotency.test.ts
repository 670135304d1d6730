import { ConflictError } from '@ferry/core';
import { expect, it } from 'vitest';
import { describeEachBackend } from '../testing/backends.ts';
import {
  IDEMPOTENCY_CLAIM_MS,
  claimIdempotencyKey,
  completeIdempotencyKey,
} from './idempotency.ts';

describeEachBackend('idempotency keys', (ctx) => {
  it('hold an unfinished claim, then free it once its process is presumed dead', async () => {
    const db = ctx().resources.db;
    const t0 = new Date('2026-01-01T00:00:00Z');
    const later = (ms: number) => new Date(t0.getTime() + ms);
    expect(await claimIdempotencyKey(db, 'usr:a', 'k', 'f1', t0)).toBeNull();
    // While the first request may still run, a retry is told to wait.
    await expect(
      claimIdempotencyKey(db, 'usr:a', 'k', 'f1', later(IDEMPOTENCY_CLAIM_MS - 1)),
    ).rejects.toMatchObject({ code: 'idempotency_key_in_use' });
    // The claimant died without finishing: the retry runs the request itself.
    expect(
      await claimIdempotencyKey(db, 'usr:a', 'k', 'f1', later(IDEMPOTENCY_CLAIM_MS + 1)),
    ).toBeNull();
    // The presumed-dead first request cannot complete the key it lost (its work rolls back).
    await expect(
      completeIdempotencyKey(db, 'usr:a', 'k', t0, { status: 201, body: { id: 'old' } }),
    ).rejects.toMatchObject({ code: 'idempotency_key_in_use' });
    await completeIdempotencyKey(db, 'usr:a', 'k', later(IDEMPOTENCY_CLAIM_MS + 1), {
      status: 201,
      body: { id: 'x' },
    });
    // A finished key replays however old its claim, until the TTL.
    expect(
      await claimIdempotencyKey(db, 'usr:a', 'k', 'f1', later(10 * IDEMPOTENCY_CLAIM_MS)),
    ).toEqual({ status: 201, body: { id: 'x' } });
    await expect(
      claimIdempotencyKey(db, 'usr:a', 'k', 'f2', later(10 * IDEMPOTENCY_CLAIM_MS)),
    ).rejects.toBeInstanceOf(ConflictError);
  });
});
