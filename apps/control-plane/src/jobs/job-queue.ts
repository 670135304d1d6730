/** The job queue's contract, as code outside `jobs/` sees it through `Resources.jobs`. */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { JobType } from './job-type.ts';

/** What a handler learns about the run it is part of. */
export interface JobContext {
  readonly id: string;
  readonly name: string;
  /** 1 on the first attempt (counting attempts cut short by a crash). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Aborted when the lease is lost or the process shuts down: stop promptly. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /**
   * Runs `work` in a transaction that commits only while this run still holds its claim
   * (it locks the job row); otherwise rejects with code `job_lease_lost` and writes nothing.
   * Write a run's result through it so a stale run can never overwrite a newer one's.
   */
  fence<T>(work: (tx: Kysely<Database>) => Promise<T>): Promise<T>;
}

/** Handles one job run. Must be idempotent: a run may repeat after a crash. */
export type JobHandler<P> = (payload: P, ctx: JobContext) => Promise<void>;

/** Options of {@link JobQueue.enqueue}. */
export interface EnqueueOptions {
  /** While a job with this key is queued or running, enqueueing it again does nothing. */
  dedupeKey?: string;
  /** Earliest time to run (default: now). */
  runAt?: Date;
  /** Enqueue inside this transaction, so the job exists only if it commits. */
  db?: Kysely<Database>;
}

/** Result of {@link JobQueue.enqueue}. */
export interface EnqueueResult {
  /** The new job's id, or the existing job's id when deduplicated. */
  id: string;
  deduplicated: boolean;
}

/** The durable job queue with its workers. */
export interface JobQueue {
  /** This process's lease owner id. */
  readonly ownerId: string;
  /** Registers the handler of a job type; this process then claims jobs of that type. */
  register<P>(type: JobType<P>, handler: JobHandler<P>): void;
  /** Runs `type` every `everyMs` with `payload`; one run per period across all replicas. */
  schedule<P>(type: JobType<P>, options: { everyMs: number; payload: P }): void;
  /** Validates the payload (errors name the field) and enqueues a job. */
  enqueue<P>(type: JobType<P>, payload: P, options?: EnqueueOptions): Promise<EnqueueResult>;
  /** Starts polling (no-op when already started). */
  start(): void;
  /** Claims and runs due jobs once, waiting for them; returns how many ran (for tests). */
  runDue(): Promise<number>;
  /** Stops claiming, waits for running handlers up to the grace period, releases leases. */
  stop(): Promise<void>;
}
