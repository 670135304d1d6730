/**
 * The transaction of a request. When its Idempotency-Key was claimed, the handler's work and
 * the key's completion commit together, so a crash between the work and the record cannot
 * make a retry do the work again. It opens at the handler's first `ctx.transaction()` (so
 * what a handler does before, such as calling AWS, holds no connection) and commits after
 * the handler returned. Every `run` — and every transaction a function inside it opens —
 * is a savepoint, so an error the handler catches leaves the transaction usable. Runs are
 * sequential: a handler does not start two at once. Once it is open, the handler's
 * `resources.db` is the transaction too (`resourcesOfRequest`): on PGlite the transaction
 * holds the database's only connection, so a read through the pool would wait for the
 * commit that waits for the handler — a request that never answers.
 */
import type { ControlledTransaction, Kysely } from 'kysely';
import { AFTER_COMMIT_HOOKS } from '../db/after-commit.ts';
import type { Database } from '../db/database.ts';
import type { Resources } from '../resources.ts';

/** Work on the database inside the request's transaction. */
export type RunInTransaction = <T>(fn: (trx: Kysely<Database>) => Promise<T>) => Promise<T>;

/** The request's transaction, as the pipeline drives it. */
export interface RequestTransaction {
  readonly run: RunInTransaction;
  /**
   * Runs `last` in the transaction and commits; false (and `last` not run) when the handler
   * never opened it, i.e. did no work through it.
   */
  finish(last: (trx: Kysely<Database>) => Promise<void>): Promise<boolean>;
  /** Rolls back whatever the handler did. */
  abort(): Promise<void>;
  /** The open transaction (nestable, as `run` hands it out), or undefined. */
  current(): Kysely<Database> | undefined;
}

interface Savepoints {
  savepoint(name: string): { execute(): Promise<unknown> };
  releaseSavepoint(name: string): { execute(): Promise<unknown> };
  rollbackToSavepoint(name: string): { execute(): Promise<unknown> };
}

const POOL = Symbol('ferry.pool');

/**
 * The database a request's transaction was opened on (the handle itself otherwise): what
 * per-installation caches and the query bus are keyed on, whichever handle a handler holds.
 */
export function poolOf(db: Kysely<Database>): Kysely<Database> {
  return (db as unknown as { [POOL]?: Kysely<Database> })[POOL] ?? db;
}

/** Creates the transaction of one request; nothing opens until the first `run`. */
export function createRequestTransaction(db: Kysely<Database>): RequestTransaction {
  let trx: ControlledTransaction<Database> | undefined;
  let scoped: Kysely<Database> | undefined;
  let counter = 0;
  // What to run once the transaction commits (`db/after-commit.ts`).
  let hooks: (() => void)[] = [];

  async function savepointed<T>(fn: (t: Kysely<Database>) => Promise<T>): Promise<T> {
    const sp = trx as unknown as Savepoints;
    const name = `request_${++counter}`;
    await sp.savepoint(name).execute();
    try {
      const result = await fn(scoped!);
      await sp.releaseSavepoint(name).execute();
      return result;
    } catch (err) {
      await sp.rollbackToSavepoint(name).execute();
      throw err;
    }
  }

  // Library functions open their own transactions (`db.transaction().execute(fn)`); inside
  // the request's they become savepoints of it.
  function nestable(t: ControlledTransaction<Database>): Kysely<Database> {
    return new Proxy(t, {
      get(target, prop) {
        if (prop === AFTER_COMMIT_HOOKS) return hooks;
        if (prop === POOL) return db;
        if (prop === 'transaction') {
          return () => {
            const builder = {
              setIsolationLevel: () => builder,
              setAccessMode: () => builder,
              execute: <T>(fn: (x: Kysely<Database>) => Promise<T>) => savepointed(fn),
            };
            return builder;
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  }

  return {
    async run(fn) {
      if (trx === undefined) {
        trx = await db.startTransaction().execute();
        scoped = nestable(trx);
      }
      return savepointed(fn);
    },
    async finish(last) {
      const t = trx;
      if (t === undefined) return false;
      try {
        await last(scoped!);
      } catch (err) {
        trx = undefined;
        await t.rollback().execute();
        throw err;
      }
      trx = undefined;
      await t.commit().execute();
      const committed = hooks;
      hooks = [];
      for (const fn of committed) fn();
      return true;
    },
    async abort() {
      const t = trx;
      trx = undefined;
      hooks = [];
      if (t !== undefined) await t.rollback().execute();
    },
    current() {
      return trx === undefined ? undefined : scoped;
    },
  };
}

/**
 * The resources a handler sees: the same object, except that `db` is the request's
 * transaction while it is open (and the pool before and after).
 */
export function resourcesOfRequest(resources: Resources, request: RequestTransaction): Resources {
  return new Proxy(resources, {
    get(target, prop, receiver) {
      if (prop === 'db') return request.current() ?? target.db;
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}
