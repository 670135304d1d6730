/**
 * Runs the control plane as a process: resolves the configuration, opens resources,
 * migrates, lets the caller hook in (e.g. bootstrap the first admin), listens, starts job
 * workers, and shuts all of it down gracefully.
 */
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { createApp } from './app.ts';
import type { Config } from './config/config-schema.ts';
import { loadConfig, type ConfigFlags } from './config/load-config.ts';
import { migrate } from './db/migrate.ts';
import { prebuildWorkerBundles } from './compute/worker-bundle-store.ts';
import { bootstrapAdmin } from './identity/bootstrap-admin.ts';
import { jobCatalog } from './job-catalog.ts';
import { registerJobs } from './jobs/job-catalog.ts';
import { migrations } from './migrations/index.ts';
import { createLifecycle } from './ops/lifecycle.ts';
import { createResources, type Clock, type Resources } from './resources.ts';

/** What {@link StartOptions.onStart} learns. */
export interface StartContext {
  resources: Resources;
  /** True when this start created the schema (a fresh install). */
  firstStart: boolean;
  /** `--bootstrap-admin EMAIL`, when given. */
  bootstrapAdminEmail: string | undefined;
}

/** Options of {@link start}. */
export interface StartOptions {
  /** Command-line layer of the configuration. */
  flags?: ConfigFlags;
  /** Environment layer (default: `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base directory for relative paths (default: the working directory). */
  cwd?: string;
  /** A resolved configuration; skips loading flags, env and file. */
  config?: Config;
  /**
   * `--bootstrap-admin EMAIL`: while the install has no users, the setup link printed at
   * start creates this user as instance admin (without it, whoever opens the link chooses).
   */
  bootstrapAdminEmail?: string;
  /** Where the one-time setup link is printed (default: stdout; never the log). */
  print?: (line: string) => void;
  /**
   * Runs after migrations and before listening, e.g. to create the first admin or to
   * register job handlers. A failure aborts the start.
   */
  onStart?: (ctx: StartContext) => Promise<void> | void;
  /** Adds routes or hooks to the app before it listens (embedding, tests). */
  configureApp?: (app: FastifyInstance, resources: Resources) => Promise<void> | void;
  /** Stop gracefully on SIGTERM/SIGINT and exit (what the CLI wants; default false). */
  handleSignals?: boolean;
  logDestination?: DestinationStream;
  clock?: Clock;
  /** Lease owner id of this process's job workers. */
  jobOwnerId?: string;
  /** The dashboard's built assets, served at `/` (without it, `/` serves nothing). */
  dashboardDir?: string;
  /**
   * Build the worker bundles of this version in the background once listening, so the first
   * cluster launch does not wait for them (`ferry server` does; embedded starts and tests
   * that launch nothing need not).
   */
  prebuildWorkerBundles?: boolean;
}

/** A running control plane. */
export interface RunningServer {
  /** Base URL it listens on (`http://127.0.0.1:PORT`). */
  url: string;
  app: FastifyInstance;
  resources: Resources;
  /** Graceful shutdown: drain, finish in-flight requests, stop jobs, close the database. */
  stop(): Promise<void>;
}

/** Starts the control plane. */
export async function start(options: StartOptions = {}): Promise<RunningServer> {
  const config =
    options.config ??
    loadConfig({
      ...(options.flags ? { flags: options.flags } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
  const owned = await createResources(config, {
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.jobOwnerId ? { jobOwnerId: options.jobOwnerId } : {}),
  });
  const { resources } = owned;
  const { log } = resources;
  const lifecycle = createLifecycle();
  let app: FastifyInstance | undefined;
  try {
    const { applied } = await migrate(resources.db, migrations);
    if (applied.length) log.info({ applied }, 'migrations applied');
    await options.onStart?.({
      resources,
      firstStart: applied.includes(migrations[0]?.name ?? ''),
      bootstrapAdminEmail: options.bootstrapAdminEmail,
    });
    registerJobs(resources, jobCatalog);
    // Learn now whether AWS credentials exist, so the log and /readyz say so from the start.
    void resources.aws.credentialsCheck.available();
    app = await createApp(resources, {
      lifecycle,
      ...(options.dashboardDir !== undefined ? { dashboardDir: options.dashboardDir } : {}),
    });
    await options.configureApp?.(app, resources);
    await app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (err) {
    await app?.close().catch(() => {});
    await owned.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = `http://${host}:${port}`;
  // With port 0 the derived public URL only becomes known now.
  if (config.publicUrl === `http://${host}:0`) config.publicUrl = url;
  try {
    // A fresh install gets a one-time setup link; it carries a secret, so it is printed, not logged.
    const setup = await bootstrapAdmin(resources, options.bootstrapAdminEmail);
    if (setup) {
      const print = options.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
      print(
        `ferry: no users yet. Within 24 hours, create the instance admin` +
          `${setup.email ? ` (${setup.email})` : ''} with this link's token` +
          ` (POST /api/v1/auth/setup {token, email, name, password}; docs/getting-started.md):\n  ${setup.url}`,
      );
    }
  } catch (err) {
    await Promise.all([app.close(), owned.close()]).catch(() => {});
    throw err;
  }
  if (config.jobs.enabled) resources.jobs.start();
  if (options.prebuildWorkerBundles) void prebuildWorkerBundles(resources);
  log.info(
    {
      url,
      publicUrl: config.publicUrl,
      database: config.database.url ? 'postgresql' : 'pglite',
      ...(config.database.url ? {} : { dataDir: config.database.dataDir }),
    },
    'control plane listening',
  );

  const server = app;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      lifecycle.draining = true;
      log.info('shutting down');
      // Requests in flight finish; a request still running after the grace period is cut.
      const forceClose = setTimeout(
        () => server.server.closeAllConnections(),
        config.http.shutdownGraceMs,
      );
      try {
        await Promise.all([server.close(), resources.jobs.stop()]);
      } finally {
        clearTimeout(forceClose);
        await owned.close();
        if (options.handleSignals) removeSignals();
      }
    })());

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'signal received');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const removeSignals = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  if (options.handleSignals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return { url, app: server, resources, stop };
}
