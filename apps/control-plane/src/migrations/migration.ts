/** One schema change, applied once, in order, inside a transaction. */
import type { Kysely } from 'kysely';

/** A named migration; names sort in application order (`0001-platform`, `0002-…`). */
export interface Migration {
  readonly name: string;
  // Migrations see the schema as it was when they were written, not today's types.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>): Promise<void>;
}
