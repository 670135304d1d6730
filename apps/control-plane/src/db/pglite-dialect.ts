/**
 * A Kysely dialect over PGlite (embedded PostgreSQL). PGlite is one session, so the driver
 * hands out its single connection to one user at a time: a transaction holds it until it
 * commits, and every other query waits its turn. SQL is compiled exactly as for
 * PostgreSQL, so one dialect of SQL serves both backends.
 */
import type { PGliteInterface } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/** Options of {@link createPgliteDialect}. */
export interface PgliteDialectOptions {
  /** An open PGlite instance. */
  pglite: PGliteInterface;
  /** Close the instance when Kysely is destroyed (default true). */
  closeOnDestroy?: boolean;
}

class PgliteConnection implements DatabaseConnection {
  readonly #pglite: PGliteInterface;
  constructor(pglite: PGliteInterface) {
    this.#pglite = pglite;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#pglite.query<R>(query.sql, [...query.parameters], {
      rowMode: 'object',
    });
    const affected = result.affectedRows;
    return {
      rows: result.rows,
      ...(affected !== undefined && /^\s*(insert|update|delete|merge|with)/i.test(query.sql)
        ? { numAffectedRows: BigInt(affected) }
        : {}),
    };
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    // PGlite has no cursors over its query API; a stream is the whole result at once.
    yield await this.executeQuery<R>(query);
  }
}

/** A FIFO mutex: the single PGlite session is lent to one holder at a time. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  async lock(): Promise<void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
  }

  unlock(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

class PgliteDriver implements Driver {
  readonly #pglite: PGliteInterface;
  readonly #connection: PgliteConnection;
  readonly #mutex = new Mutex();

  readonly #closeOnDestroy: boolean;

  constructor(pglite: PGliteInterface, closeOnDestroy: boolean) {
    this.#pglite = pglite;
    this.#closeOnDestroy = closeOnDestroy;
    this.#connection = new PgliteConnection(pglite);
  }

  async init(): Promise<void> {
    await this.#pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    return this.#connection;
  }

  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const modes = [
      settings.isolationLevel ? `isolation level ${settings.isolationLevel}` : '',
      settings.accessMode ?? '',
    ].filter(Boolean);
    await conn.executeQuery(CompiledQuery.raw(`begin ${modes.join(', ')}`.trim()));
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(conn: DatabaseConnection, name: string): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw(`savepoint "${name.replaceAll('"', '""')}"`));
  }

  async rollbackToSavepoint(conn: DatabaseConnection, name: string): Promise<void> {
    await conn.executeQuery(
      CompiledQuery.raw(`rollback to savepoint "${name.replaceAll('"', '""')}"`),
    );
  }

  async releaseSavepoint(conn: DatabaseConnection, name: string): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw(`release savepoint "${name.replaceAll('"', '""')}"`));
  }

  releaseConnection(): Promise<void> {
    this.#mutex.unlock();
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    if (this.#closeOnDestroy && !this.#pglite.closed) await this.#pglite.close();
  }
}

/** Creates a Kysely dialect that runs PostgreSQL SQL on an embedded PGlite database. */
export function createPgliteDialect(options: PgliteDialectOptions): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new PgliteDriver(options.pglite, options.closeOnDestroy ?? true),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    createIntrospector: (db: Kysely<any>) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}
