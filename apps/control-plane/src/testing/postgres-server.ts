/**
 * A throwaway PostgreSQL server for tests, from the machine's server binaries: a fresh
 * cluster in a temporary directory, trust authentication, listening on a free loopback
 * port. When the tests run as root, the server runs as the `postgres` system user (the
 * server refuses to run as root).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** Debian's location of the PostgreSQL 15 server binaries (override: FERRY_TEST_PG_BIN). */
export const DEFAULT_PG_BIN = '/usr/lib/postgresql/15/bin';

/** What a test needs to reach the server. */
export interface PostgresServerInfo {
  host: string;
  port: number;
  user: string;
  /** Cluster directory; holds `start-error` when starting failed. */
  dir: string;
}

/** A running server. */
export interface PostgresServer extends PostgresServerInfo {
  /** Stops the server and deletes the cluster. */
  stop(): Promise<void>;
}

/** The binaries directory, or an error telling how to get PostgreSQL. */
export function findPostgresBinaries(): string {
  const bin = process.env['FERRY_TEST_PG_BIN'] ?? DEFAULT_PG_BIN;
  if (!existsSync(join(bin, 'initdb')) || !existsSync(join(bin, 'pg_ctl'))) {
    throw new Error(
      `PostgreSQL server binaries not found in ${bin}: the control-plane tests run on a real ` +
        'PostgreSQL 15 as well as PGlite. Install it (Debian: apt-get install postgresql) ' +
        'or point FERRY_TEST_PG_BIN at its bin directory.',
    );
  }
  return bin;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

function asPostgresUser(bin: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [bin, args];
  return ['runuser', ['-u', 'postgres', '--', bin, ...args]];
}

/** Chooses a port and directory, without starting anything yet. */
export async function preparePostgresServer(): Promise<PostgresServerInfo> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-pg-'));
  return { host: '127.0.0.1', port: await freePort(), user: 'postgres', dir };
}

/** Creates the cluster in `info.dir` and starts the server; records failures in the dir. */
export async function launchPostgresServer(
  info: PostgresServerInfo,
  /** More `name=value` server settings (e.g. `shared_preload_libraries=pg_stat_statements`). */
  settings: readonly string[] = [],
): Promise<PostgresServer> {
  const pgdata = join(info.dir, 'data');
  let bin = '';
  try {
    bin = findPostgresBinaries();
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      await chown(info.dir, uid, gid);
    }
    const [initdb, initArgs] = asPostgresUser(join(bin, 'initdb'), [
      '-D',
      pgdata,
      '-U',
      info.user,
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ]);
    await run(initdb, initArgs);
    // Durability is pointless for a throwaway cluster; speed matters on a small machine.
    const opts = [
      `-p ${info.port}`,
      `-k ${info.dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
      '-c shared_buffers=32MB',
      ...settings.map((s) => `-c ${s}`),
    ].join(' ');
    const [pgCtl, ctlArgs] = asPostgresUser(join(bin, 'pg_ctl'), [
      'start',
      '-w',
      '-t',
      '60',
      '-D',
      pgdata,
      '-l',
      join(info.dir, 'server.log'),
      '-o',
      opts,
    ]);
    await run(pgCtl, ctlArgs);
  } catch (err) {
    const message = `PostgreSQL test server failed to start: ${(err as Error).message}`;
    await writeFile(join(info.dir, 'start-error'), message).catch(() => {});
    throw new Error(message, { cause: err });
  }
  return {
    ...info,
    async stop() {
      const [pgCtl, args] = asPostgresUser(join(bin, 'pg_ctl'), [
        'stop',
        '-w',
        '-m',
        'immediate',
        '-D',
        pgdata,
      ]);
      await run(pgCtl, args).catch(() => {});
      await rm(info.dir, { recursive: true, force: true });
    },
  };
}

/** Starts a fresh server (prepare + launch). */
export async function startPostgresServer(
  settings: readonly string[] = [],
): Promise<PostgresServer> {
  return launchPostgresServer(await preparePostgresServer(), settings);
}

/** Connection URL of a database on the server. */
export function postgresUrl(info: PostgresServerInfo, database: string): string {
  return `postgres://${info.user}@${info.host}:${info.port}/${database}`;
}

/** Waits until the server accepts connections (it may still be starting in the background). */
export async function waitForPostgres(info: PostgresServerInfo, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(join(info.dir, 'start-error'))) {
      const { readFileSync } = await import('node:fs');
      throw new Error(readFileSync(join(info.dir, 'start-error'), 'utf8'));
    }
    const client = new pg.Client({ connectionString: postgresUrl(info, 'postgres') });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        throw new Error(
          `PostgreSQL test server did not accept connections: ${(err as Error).message}`,
          { cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Creates a fresh, uniquely named database and returns its URL. */
export async function createTestDatabase(info: PostgresServerInfo): Promise<string> {
  await waitForPostgres(info);
  const name = `ferry_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: postgresUrl(info, 'postgres') });
  await client.connect();
  try {
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  return postgresUrl(info, name);
}

/** Drops a database made by {@link createTestDatabase}, disconnecting whoever still uses it. */
export async function dropTestDatabase(info: PostgresServerInfo, url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const client = new pg.Client({ connectionString: postgresUrl(info, 'postgres') });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name.replaceAll('"', '""')}" with (force)`);
  } finally {
    await client.end();
  }
}
