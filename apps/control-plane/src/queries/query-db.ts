/** The control plane's database handle with the query tables (and compute tables) in view. */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { QueriesTable, QueryTables } from '../db/tables/query-tables.ts';
import type { ComputeDatabase } from '../compute/compute-db.ts';

/** The database with the query and compute tables in view. */
export type QueryDatabase = ComputeDatabase & QueryTables;

/** One stored query. */
export type QueryRow = Selectable<QueriesTable>;

/** The same handle, typed with the query tables. */
export function queryDb(db: Kysely<Database>): Kysely<QueryDatabase> {
  // Kysely's table map is a type parameter only: the same connection serves every view.
  return db;
}
