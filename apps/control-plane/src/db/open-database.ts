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
  if (target.dir !== undefined) await mkdir(target.dir, { recursive: true });
  const pglite = await PGlite.create({
    ...(target.dir !== undefined ? { dataDir: target.dir } : {}),
    parsers: PGLITE_PARSERS,
  });
  return new Kysely<Database>({ dialect: createPgliteDialect({ pglite }) });
}
