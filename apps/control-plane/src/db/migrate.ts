/**
 * Applies pending migrations. Safe when several replicas start at once: the whole run
 * holds a PostgreSQL advisory lock on one connection, so the second replica waits, then
 * finds nothing left to do. Each migration commits together with its record.
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from '../migrations/migration.ts';
import type { Database } from './database.ts';

/** Arbitrary but fixed: the advisory lock key of ferry's migrations ("ferry" in ASCII). */
const MIGRATION_LOCK_KEY = 0x6665727279;

/** Names applied by this run, in order. */
export interface MigrateResult {
  applied: string[];
}

/** Applies every migration of `list` not yet recorded in `schema_migrations`. */
export async function migrate(
  db: Kysely<Database>,
  list: readonly Migration[],
): Promise<MigrateResult> {
  const names = new Set<string>();
  for (const m of list) {
    if (names.has(m.name)) throw new Error(`duplicate migration name ${m.name}`);
    names.add(m.name);
  }
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      await sql`create table if not exists schema_migrations (
        name text primary key,
        applied_at timestamptz not null default now()
      )`.execute(conn);
      const done = new Set(
        (await conn.selectFrom('schema_migrations').select('name').execute()).map((r) => r.name),
      );
      const applied: string[] = [];
      for (const m of list) {
        if (done.has(m.name)) continue;
        await conn.transaction().execute(async (tx) => {
          await m.up(tx);
          await tx.insertInto('schema_migrations').values({ name: m.name }).execute();
        });
        applied.push(m.name);
      }
      return { applied };
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
}

/** Names from `list` not yet applied (empty = the schema is current). */
export async function pendingMigrations(
  db: Kysely<Database>,
  list: readonly Migration[],
): Promise<string[]> {
  const exists = await sql<{
    t: string | null;
  }>`select to_regclass('schema_migrations') as t`.execute(db);
  if (!exists.rows[0]?.t) return list.map((m) => m.name);
  const done = new Set(
    (await db.selectFrom('schema_migrations').select('name').execute()).map((r) => r.name),
  );
  return list.map((m) => m.name).filter((n) => !done.has(n));
}
