/**
 * Opens the control plane's database: PostgreSQL through a `pg` pool when a URL is given,
 * otherwise embedded PGlite in a data directory (or in memory). Both return values the
 * same way (int8 as number, timestamptz as Date, jsonb parsed) so code and tests behave
 * identically on either backend.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite, type PGliteInterface } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { createPgliteDialect } from './pglite-dialect.ts';

const INT8_OID = 20;

/** PGlite value parsers matching the `pg` pool's (int8 as number). */
export const PGLITE_PARSERS = { [INT8_OID]: (v: string) => Number(v) };

/** Where the database lives. */
export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
  | {
      kind: 'pglite';
      /** Directory for PGlite's files; absent = in memory. */
      dir?: string;
      /** An already open instance to use instead (closed with Kysely). */
      instance?: PGliteInterface;
    };

/** Opens Kysely over the given target; `db.destroy()` closes it. */
export async function openDatabase(target: DatabaseTarget): Promise<Kysely<Database>> {
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? 10,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
          oid === INT8_OID
            ? (v: string) => Number(v)
            : (pg.types.getTypeParser(
                oid,
                format ?? 'text',
              ) as unknown)) as typeof pg.types.getTypeParser,
      },
    });
    // A dropped idle connection must not crash the process; the pool reconnects.
    pool.on('error', () => {});
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  if (target.instance) {
    return new Kysely<Database>({ dialect: createPgliteDialect({ pglite: target.instance }) });
  }
  if (target.dir === undefined) {
    const pglite = await PGlite.create({ parsers: PGLITE_PARSERS });
    return new Kysely<Database>({ dialect: createPgliteDialect({ pglite }) });
  }
  await mkdir(target.dir, { recursive: true });
  // PGlite keeps the database in this process's memory: a second process on the same
  // directory would never see the first one's writes, and would overwrite them.
  const lock = await lockDataDir(target.dir);
  try {
    const pglite = await PGlite.create({ dataDir: target.dir, parsers: PGLITE_PARSERS });
    return new LockedKysely(pglite, async () => {
      // Kysely skips its driver's destroy when no query ran: close here either way.
      if (!pglite.closed) await pglite.close();
      await lock.release();
    });
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** Kysely over a locked data directory: `destroy()` also closes PGlite and frees the lock. */
class LockedKysely extends Kysely<Database> {
  readonly #release: () => Promise<void>;
  constructor(pglite: PGliteInterface, release: () => Promise<void>) {
    super({ dialect: createPgliteDialect({ pglite }) });
    this.#release = release;
  }
  override async destroy(): Promise<void> {
    try {
      await super.destroy();
    } finally {
      await this.#release();
    }
  }
}
