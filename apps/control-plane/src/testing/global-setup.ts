/**
 * vitest global setup: one PostgreSQL server per test run, shared by every test file
 * (each file gets its own database). The server starts in the background so runs that
 * never touch PostgreSQL do not wait for it; tests wait for it when they need it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  launchPostgresServer,
  preparePostgresServer,
  type PostgresServer,
  type PostgresServerInfo,
} from './postgres-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared PostgreSQL server, or the reason there is none. */
    ferryPostgres: PostgresServerInfo | { error: string };
    /** A scratch directory shared by the run's test files (e.g. the PGlite template dump). */
    ferryTestDir: string;
  }
}

/** Starts the shared server; returns the teardown that stops it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let launching: Promise<PostgresServer | undefined>;
  let cleanup = async () => {};
  const scratch = await mkdtemp(join(tmpdir(), 'ferry-test-run-'));
  project.provide('ferryTestDir', scratch);
  try {
    const info = await preparePostgresServer();
    project.provide('ferryPostgres', info);
    // A failure is recorded in the cluster dir; tests that need the server report it.
    launching = launchPostgresServer(info).catch(() => {
      cleanup = () => rm(info.dir, { recursive: true, force: true });
      return undefined;
    });
  } catch (err) {
    project.provide('ferryPostgres', { error: (err as Error).message });
    launching = Promise.resolve(undefined);
  }
  return async () => {
    await (await launching)?.stop();
    await cleanup();
    await rm(scratch, { recursive: true, force: true });
  };
}
