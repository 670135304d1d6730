/** The control plane's database handle with the compute (and AWS setup) tables in view. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { AwsSetupTables } from '../db/tables/aws-setup-tables.ts';
import type { ComputeTables } from '../db/tables/compute-tables.ts';

/** The database with the compute and AWS tables in view. */
export type ComputeDatabase = Database & AwsSetupTables & ComputeTables;

/** The same handle, typed with the compute tables. */
export function computeDb(db: Kysely<Database>): Kysely<ComputeDatabase> {
  // Kysely's table map is a type parameter only: the same connection serves every view.
  return db;
}
