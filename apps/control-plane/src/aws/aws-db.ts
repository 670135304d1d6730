/** The control plane's database handle with the AWS setup tables in view. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { AwsSetupTables } from '../db/tables/aws-setup-tables.ts';

/** The database with the AWS tables in view. */
export type AwsDatabase = Database & AwsSetupTables;

/** The same handle, typed with the AWS tables. */
export function awsDb(db: Kysely<Database>): Kysely<AwsDatabase> {
  // Kysely's table map is a type parameter only: the same connection serves both views.
  return db;
}
