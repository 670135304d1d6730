/**
 * Tables owned by the platform half of the control plane (migrations, jobs, schedules).
 * Column types follow Kysely's conventions: `Generated` for defaults, `ColumnType` where
 * the select and insert types differ.
 */
import type { ColumnType, Generated } from 'kysely';

/** A timestamp column: read as Date, written as Date. */
export type Timestamp = ColumnType<Date, Date, Date>;

/** Applied migrations, one row each. */
export interface SchemaMigrationsTable {
  name: string;
  applied_at: Generated<Date>;
}

/** Lifecycle of a job row. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'dead';

/** The durable job queue. */
export interface JobsTable {
  id: string;
  name: string;
  payload: ColumnType<unknown, string, string>;
  status: JobStatus;
  /** Claims so far (including a claim whose worker crashed). */
  attempts: Generated<number>;
  max_attempts: number;
  dedupe_key: string | null;
  run_at: Timestamp;
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

/** Periodic jobs: the next due time, advanced atomically so one replica fires each run. */
export interface JobSchedulesTable {
  name: string;
  interval_ms: number;
  next_run_at: Timestamp;
}

/** The platform's tables by name. */
export interface PlatformTables {
  schema_migrations: SchemaMigrationsTable;
  jobs: JobsTable;
  job_schedules: JobSchedulesTable;
}
