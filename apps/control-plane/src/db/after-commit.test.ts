/**
 * Hooks on a request's transaction run once it commits — through every savepoint a library
 * function opens inside it — and never when it rolls back; a plain connection takes none.
 */
import { expect, it } from 'vitest';
import { createRequestTransaction } from '../http/request-transaction.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { afterCommit } from './after-commit.ts';

describeEachBackend('after-commit hooks', (ctx) => {
  it('run after the commit, also when registered inside a nested transaction', async () => {
    const ran: string[] = [];
    const request = createRequestTransaction(ctx().resources.db);
    await request.run(async (trx) => {
      expect(afterCommit(trx, () => ran.push('outer'))).toBe(true);
      await trx.transaction().execute((inner) => {
        expect(afterCommit(inner, () => ran.push('inner'))).toBe(true);
        return Promise.resolve();
      });
    });
    expect(ran).toEqual([]);
    await request.finish(() => Promise.resolve());
    expect(ran).toEqual(['outer', 'inner']);
  });

  it('never run when the transaction rolls back', async () => {
    const ran: string[] = [];
    const request = createRequestTransaction(ctx().resources.db);
    await request.run((trx) => Promise.resolve(afterCommit(trx, () => ran.push('x'))));
    await request.abort();
    // The next request's commit runs only its own hooks.
    const next = createRequestTransaction(ctx().resources.db);
    await next.run(() => Promise.resolve());
    await next.finish(() => Promise.resolve());
    expect(ran).toEqual([]);
  });

  it('are refused by a plain connection and by a transaction opened elsewhere', async () => {
    const { db } = ctx().resources;
    expect(afterCommit(db, () => {})).toBe(false);
    await db.transaction().execute((trx) => {
      expect(afterCommit(trx, () => {})).toBe(false);
      return Promise.resolve();
    });
  });
});
