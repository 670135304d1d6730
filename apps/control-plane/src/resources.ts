/**
 * The one resources object of the control plane: every side effect (database, logger,
 * clock, background jobs, metrics, configuration) reaches code through it, so tests can
 * swap any of them without monkey-patching.
 */
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { DestinationStream, Logger } from 'pino';
import { createAwsServices, type AwsServices } from './aws/aws-services.ts';
import {
  createInstanceChoiceCaches,
  type InstanceChoiceCaches,
} from './compute/instance-choice.ts';
import { createWorkerImageCache, type WorkerImageCache } from './compute/worker-image.ts';
import type { Config } from './config/config-schema.ts';
import { ensureSecretsKey } from './config/ensure-secrets-key.ts';
import { createSecretsKeyRing, type SecretsKeyRing } from './config/secrets-key.ts';
import type { Database } from './db/database.ts';
import { openDatabase, type DatabaseTarget } from './db/open-database.ts';
import { createLoginThrottle, type LoginThrottle } from './identity/login-throttle.ts';
import { createJobQueue } from './jobs/create-job-queue.ts';
import type { JobQueue } from './jobs/job-queue.ts';
import { createLogger } from './ops/logger.ts';
import { createMetricsRegistry, type MetricsRegistry } from './ops/metrics-registry.ts';
import { registerProcessMetrics } from './ops/process-metrics.ts';
import { createSystemClock } from './ops/system-clock.ts';

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
  /** SDK clients, the credential broker and the AWS setup timings (`aws/aws-services.ts`). */
  readonly aws: AwsServices;
  /** What this process remembers between requests and jobs. */
  readonly caches: {
    /** Instance catalogs, subnet zones and prices (`compute/instance-choice.ts`). */
    readonly instanceChoice: InstanceChoiceCaches;
    /** The worker's base image per account, region and architecture. */
    readonly workerImages: WorkerImageCache;
  };
  /** Failed logins per address and account (backoff). */
  readonly loginThrottle: LoginThrottle;
}

/** Options of {@link createResources}. */
export interface CreateResourcesOptions {
  /** Where the database is (default: from the config — PostgreSQL URL or PGlite data dir). */
  database?: DatabaseTarget;
  clock?: Clock;
  /** Log destination (default: stdout). */
  logDestination?: DestinationStream;
  /** Lease owner id of this process's job workers. */
  jobOwnerId?: string;
}

/** Resources plus the function that releases them. */
export interface OwnedResources {
  resources: Resources;
  /** Stops job workers (releasing leases), closes the database, flushes logs. */
  close(): Promise<void>;
}

/** Opens everything the config describes. Does not migrate and does not start job workers. */
export async function createResources(
  config: Config,
  options: CreateResourcesOptions = {},
): Promise<OwnedResources> {
  const secretsKey = await ensureSecretsKey(config);
  const log = createLogger({
    level: config.log.level,
    secrets: [
      secretsKey,
      ...config.previousSecretsKeys,
      config.aws.secretAccessKey,
      config.aws.sessionToken,
      config.database.url ? new URL(config.database.url).password : undefined,
    ],
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const clock = options.clock ?? createSystemClock();
  const metrics = createMetricsRegistry();
  const stopProcessMetrics = registerProcessMetrics(metrics);
  const db = await openDatabase(
    options.database ??
      (config.database.url
        ? { kind: 'postgres', url: config.database.url, poolSize: config.database.poolSize }
        : { kind: 'pglite', dir: join(config.database.dataDir, 'pglite') }),
  );
  const jobs = createJobQueue({
    db,
    log,
    clock,
    metrics,
    concurrency: config.jobs.concurrency,
    pollIntervalMs: config.jobs.pollIntervalMs,
    shutdownGraceMs: config.jobs.shutdownGraceMs,
    ...(options.jobOwnerId ? { ownerId: options.jobOwnerId } : {}),
  });
  const secrets = createSecretsKeyRing(secretsKey, config.previousSecretsKeys);
  const aws = createAwsServices({ config, db, clock, log, metrics });
  const resources: Resources = {
    config,
    db,
    log,
    clock,
    jobs,
    metrics,
    secrets,
    aws,
    caches: {
      instanceChoice: createInstanceChoiceCaches(),
      workerImages: createWorkerImageCache(),
    },
    loginThrottle: createLoginThrottle(),
  };
  let closed: Promise<void> | undefined;
  return {
    resources,
    close: () =>
      (closed ??= (async () => {
        try {
          await jobs.stop();
        } finally {
          stopProcessMetrics();
          await db.destroy();
          log.flush();
        }
      })()),
  };
}
