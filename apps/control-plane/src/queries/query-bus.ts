/**
 * Wakes whoever waits on a query or on a cluster's work: a proxy submission wakes the
 * node polling for work, a report wakes the client waiting for the result. With several
 * replicas on PostgreSQL the signal crosses replicas through `LISTEN/NOTIFY`; on PGlite
 * (one process) it stays in process. Waiters also look at the database again on a short
 * timer, so a lost notification only costs latency, never a result.
 */
import { afterCommit } from '../db/after-commit.ts';
import { poolOf } from '../http/request-transaction.ts';
import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../db/database.ts';
import type { Resources } from '../resources.ts';

/** The PostgreSQL channel of query signals. */
export const QUERY_CHANNEL = 'ferry_queries';

/** Signals between replicas about queries. */
export interface QueryBus {
  /**
   * Wakes every waiter on `key` (`query:<id>` or `cluster:<id>`) in every replica. Given a
   * transaction (`db`), PostgreSQL sends the signal when it commits.
   */
  notify(key: string, db?: Kysely<Database>): Promise<void>;
  /** Resolves when `key` is signalled, after `ms`, or when `signal` aborts. */
  wait(key: string, ms: number, signal?: AbortSignal): Promise<void>;
  /** Stops listening (closes the PostgreSQL connection). */
  close(): Promise<void>;
}

const buses = new WeakMap<object, QueryBus>();

function createBus(resources: Pick<Resources, 'db' | 'config' | 'log'>, listen: boolean): QueryBus {
  const local = new EventEmitter();
  local.setMaxListeners(0);
  const url = resources.config.database.url;
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    if (closed || url === undefined) return;
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (n) => {
      if (n.channel === QUERY_CHANNEL && n.payload !== undefined) local.emit(n.payload);
    });
    c.on('error', (err) => {
      resources.log.warn({ err: err.message }, 'query signal connection lost; reconnecting');
      client = undefined;
      void c.end().catch(() => {});
      if (!closed) retry = setTimeout(() => void connect(), 1000);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${QUERY_CHANNEL}`);
      if (closed) {
        await c.end();
        return;
      }
      client = c;
    } catch (err) {
      resources.log.warn({ err: (err as Error).message }, 'query signal connection failed');
      await c.end().catch(() => {});
      if (!closed) retry = setTimeout(() => void connect(), 1000);
    }
  };
  const ready = listen && url !== undefined ? connect() : Promise.resolve();

  return {
    async notify(key, db) {
      if (url === undefined) {
        // In process, as PostgreSQL's NOTIFY does: only once the transaction has committed,
        // so the woken reader finds what woke it.
        if (db === undefined || !afterCommit(db, () => local.emit(key))) local.emit(key);
        return;
      }
      await sql`select pg_notify(${QUERY_CHANNEL}, ${key})`.execute(db ?? resources.db);
    },
    async wait(key, ms, signal) {
      await ready;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          local.off(key, done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        local.on(key, done);
        signal?.addEventListener('abort', done, { once: true });
      });
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      await ready;
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
      local.removeAllListeners();
    },
  };
}

/**
 * Starts the bus of this resources object (the app does, and closes it on shutdown). On
 * PostgreSQL it opens one listening connection.
 */
export function attachQueryBus(resources: Pick<Resources, 'db' | 'config' | 'log'>): QueryBus {
  const existing = buses.get(resources.db);
  if (existing !== undefined) return existing;
  const bus = createBus(resources, true);
  buses.set(resources.db, bus);
  const close = bus.close.bind(bus);
  bus.close = async () => {
    buses.delete(resources.db);
    await close();
  };
  return bus;
}

/**
 * The bus of this resources object. Without an attached one (a job, a test without an
 * app) notifications still go out, and waits fall back to their timers.
 */
export function queryBus(resources: Pick<Resources, 'db' | 'config' | 'log'>): QueryBus {
  return buses.get(poolOf(resources.db)) ?? createBus(resources, false);
}
