/**
 * localcloud's public entry point: `start(options)` runs the whole cloud on one HTTP
 * endpoint and returns its URL and a `stop()` that shuts every service down. Everything a
 * cloud holds (services, state, faults, timers) belongs to its `start()` call: two clouds
 * in one process share nothing.
 */
import type { LogLevel } from './core/logger.ts';
import { createLogger } from './core/logger.ts';
import { startServer } from './core/server.ts';
import type { AuthorizationEvent, Logger } from './core/contract.ts';
import { createServices } from './services/index.ts';
import type { ServicesOptions } from './services/index.ts';

export interface StartOptions extends ServicesOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 4566; 0 picks a free one). */
  port?: number;
  /** Directory where state is persisted across restarts (in memory only when absent). */
  stateDir?: string;
  /** Log level on stderr (default info), or a logger of your own. */
  logLevel?: LogLevel;
  logger?: Logger;
  /** Seed of the fault injector's random numbers (default 1). */
  seed?: number;
  /**
   * Told every authorization decision (who, which action, allowed or not), like CloudTrail's
   * event history: tests use it to record what each principal actually needed.
   */
  onAuthorization?: (event: AuthorizationEvent) => void;
}

export interface LocalCloud {
  /** e.g. `http://127.0.0.1:4566`: the endpoint of every service and of the admin API. */
  url: string;
  stop(): Promise<void>;
}

/** Starts localcloud; resolves once it listens. */
export async function start(options: StartOptions = {}): Promise<LocalCloud> {
  const server = await startServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 4566,
    stateDir: options.stateDir,
    services: createServices(options),
    log: options.logger ?? createLogger(options.logLevel ?? 'info'),
    seed: options.seed,
    ...(options.onAuthorization ? { onAuthorization: options.onAuthorization } : {}),
  });
  return { url: server.url, stop: () => server.stop() };
}

export type { LogLevel } from './core/logger.ts';
export type { AuthorizationEvent } from './core/contract.ts';
