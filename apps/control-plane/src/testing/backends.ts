/**
 * Runs one vitest suite over both database backends — embedded PGlite (in memory) and a
 * real PostgreSQL (the run's shared server, a fresh database per suite) — the way kysely
 * loops its suite over dialects. PostgreSQL is never skipped: without its binaries the
 * suite fails, saying how to install it.
 *
 * ```ts
 * describeEachBackend('workspaces', (ctx) => {
 *   it('creates one', async () => {
 *     const { resources } = ctx();
 *     const app = await createApp(resources);
 *     …
 *   });
 * });
 * ```
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { loadConfig } from '../config/load-config.ts';
import { generateSecretsKey } from '../config/secrets-key.ts';
import { migrate } from '../db/migrate.ts';
import { migrations } from '../migrations/index.ts';
import { createResources, type Clock, type OwnedResources } from '../resources.ts';
import { createTestPglite } from './pglite-template.ts';
import {
  createTestDatabase,
  dropTestDatabase,
  startPostgresServer,
  type PostgresServer,
  type PostgresServerInfo,
} from './postgres-server.ts';

/** The two storage backends. */
export type BackendName = 'pglite' | 'postgres';

/** Every backend, in the order suites run. */
export const BACKENDS: readonly BackendName[] = ['pglite', 'postgres'];

/** Options of {@link createTestBackend} and {@link describeEachBackend}. */
export interface TestBackendOptions {
  /** Extra configuration as environment variables (`FERRY_…`); flags/files are not read. */
  env?: Record<string, string>;
  /** Apply the migrations first (default true). */
  migrate?: boolean;
  clock?: Clock;
  /** Where logs go (default: discarded, level `silent` unless `env` sets FERRY_LOG_LEVEL). */
  logDestination?: DestinationStream;
  /** PostgreSQL only: use this existing database (not dropped at close) instead of a new one. */
  databaseUrl?: string;
  /** Lease owner id of the job workers. */
  jobOwnerId?: string;
}

/** Resources on one backend, with what a test may need to know about it. */
export interface TestBackend extends OwnedResources {
  readonly backend: BackendName;
  /** The PostgreSQL database's URL (PostgreSQL backend only). */
  readonly databaseUrl: string | undefined;
  /** Temporary data directory (removed at close). */
  readonly dataDir: string;
}

let localServer: Promise<PostgresServer> | undefined;

/**
 * The PostgreSQL server for this test run: the one the global setup started, or — when the
 * suite runs without it — one started in this worker and stopped when the worker exits.
 */
export async function usePostgresServer(): Promise<PostgresServerInfo> {
  const shared = inject('ferryPostgres');
  if (shared && 'error' in shared) throw new Error(shared.error);
  if (shared) return shared;
  localServer ??= startPostgresServer().then((s) => {
    process.once('beforeExit', () => void s.stop());
    return s;
  });
  return localServer;
}

/** Opens resources over a backend: a fresh database, migrated unless told otherwise. */
export async function createTestBackend(
  backend: BackendName,
  options: TestBackendOptions = {},
): Promise<TestBackend> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ferry-cp-test-'));
  let databaseUrl: string | undefined;
  let server: PostgresServerInfo | undefined;
  let ownDatabase = false;
  if (backend === 'postgres') {
    server = await usePostgresServer();
    databaseUrl = options.databaseUrl ?? (await createTestDatabase(server));
    ownDatabase = options.databaseUrl === undefined;
  }
  const config = loadConfig({
    env: {
      FERRY_LOG_LEVEL: 'silent',
      FERRY_SECRETS_KEY: generateSecretsKey(),
      FERRY_JOBS_POLL_INTERVAL_MS: '50',
      FERRY_JOBS_SHUTDOWN_GRACE_MS: '2000',
      FERRY_LISTEN_PORT: '0',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...options.env,
    },
    flags: { dataDir },
  });
  const owned = await createResources(config, {
    // PGlite in memory, from the worker's template: fast, and nothing to clean up.
    ...(backend === 'pglite'
      ? {
          database: {
            kind: 'pglite' as const,
            instance: await createTestPglite(options.migrate !== false),
          },
        }
      : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    ...(options.jobOwnerId ? { jobOwnerId: options.jobOwnerId } : {}),
  });
  try {
    if (options.migrate !== false) await migrate(owned.resources.db, migrations);
  } catch (err) {
    await owned.close();
    throw err;
  }
  return {
    backend,
    databaseUrl,
    dataDir,
    resources: owned.resources,
    async close() {
      await owned.close();
      if (server && databaseUrl && ownDatabase) await dropTestDatabase(server, databaseUrl);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Declares `suite` once per backend (`name [pglite]`, `name [postgres]`). `ctx()` returns the
 * backend's resources inside tests and hooks; they are opened before the suite's tests
 * and closed after them. A test that applies to one backend only is declared for it alone
 * (`backend`), never skipped.
 */
export function describeEachBackend(
  name: string,
  suite: (ctx: () => TestBackend, backend: BackendName) => void,
  options: TestBackendOptions = {},
): void {
  for (const backend of BACKENDS) {
    describe(`${name} [${backend}]`, () => {
      let current: TestBackend | undefined;
      // A worker's first PGlite compiles WebAssembly and builds the migrated template:
      // slow on a busy machine, so this hook may take longer than the default.
      beforeAll(async () => {
        current = await createTestBackend(backend, options);
      }, 180_000);
      afterAll(async () => {
        await current?.close();
      });
      suite(() => {
        if (!current) throw new Error(`${backend} backend is not open (use ctx() inside tests)`);
        return current;
      }, backend);
    });
  }
}
