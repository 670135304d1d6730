/**
 * The one resources object of the control plane: every side effect (database, logger,
 * clock, background jobs, metrics, configuration) reaches code through it, so tests can
 * swap any of them without monkey-patching.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from './config/config-schema.ts';
import type { Database } from './db/database.ts';
import type { JobQueue } from './jobs/job-queue.ts';
import type { MetricsRegistry } from './ops/metrics-registry.ts';
import type { SecretsKeyRing } from './config/secrets-key.ts';

/** Time as the control plane sees it; tests swap in a controllable clock. */
export interface Clock {
  /** The current time. */
  now(): Date;
  /** Resolves after `ms` milliseconds; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Everything with a side effect, injected once per process (or per test). */
export interface Resources {
  /** Validated configuration (layers already resolved). */
  readonly config: Config;
  /** Kysely over PGlite or PostgreSQL: one SQL dialect (PostgreSQL) everywhere. */
  readonly db: Kysely<Database>;
  /** Structured logger; secrets are redacted before anything is written. */
  readonly log: Logger;
  readonly clock: Clock;
  /** Background job catalog, enqueueing and workers (see `jobs/job-queue.ts`). */
  readonly jobs: JobQueue;
  /** Prometheus metrics registry served at `/metrics`. */
  readonly metrics: MetricsRegistry;
  /** Encrypts secrets at rest (AES-256-GCM, key ids for rotation). */
  readonly secrets: SecretsKeyRing;
}
