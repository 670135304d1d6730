/**
 * The request's transaction and the handler's `resources.db`: once the transaction is open,
 * a read through `resources.db` is a read in the transaction — it sees the handler's writes
 * and, on PGlite (one connection, held by the transaction), answers instead of waiting for
 * a commit that waits for it.
 */
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachBackend } from '../testing/backends.ts';
import { createRequestTransaction, resourcesOfRequest } from './request-transaction.ts';

/** Rejects when `p` has not settled within `ms` (a hang becomes a failure, not a stuck run). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describeEachBackend('request transaction', (ctx) => {
  it('makes resources.db the open transaction, and the pool before and after', async () => {
    const { resources } = ctx();
    const request = createRequestTransaction(resources.db);
    const seen = resourcesOfRequest(resources, request);
    expect(seen.db).toBe(resources.db);
    expect(seen.config).toBe(resources.config);
    expect({ ...seen }.clock).toBe(resources.clock);

    await request.run((trx) => sql`create table request_view_probe (x int)`.execute(trx));
    await request.run((trx) => sql`insert into request_view_probe values (1)`.execute(trx));
    const read = await within(
      sql<{ n: number }>`select count(*)::int as n from request_view_probe`.execute(seen.db),
      10_000,
    );
    expect(read.rows[0]!.n).toBe(1);
    // A library's own transaction inside the handler is a savepoint of the request's.
    await within(
      seen.db
        .transaction()
        .execute((t) => sql`insert into request_view_probe values (2)`.execute(t)),
      10_000,
    );

    await request.finish(() => Promise.resolve());
    expect(seen.db).toBe(resources.db);
    const after = await sql<{
      n: number;
    }>`select count(*)::int as n from request_view_probe`.execute(resources.db);
    expect(after.rows[0]!.n).toBe(2);
    await sql`drop table request_view_probe`.execute(resources.db);
  });
});
