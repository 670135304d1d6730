/**
 * The control plane's public entry point: `start()` runs it as a server; `createApp()`
 * builds the Fastify app over given resources for in-process tests (`app.inject`).
 */
export { start } from './server.ts';
export type { RunningServer, StartContext, StartOptions } from './server.ts';
export { createApp } from './app.ts';
export type { CreateAppOptions } from './app.ts';
export { createResources } from './resources.ts';
export type { Clock, Resources, OwnedResources, CreateResourcesOptions } from './resources.ts';
export { loadConfig, ConfigError } from './config/load-config.ts';
export type { ConfigFlags, LoadConfigInput } from './config/load-config.ts';
export type { Config } from './config/config-schema.ts';
export { SETTINGS } from './config/config-schema.ts';
export { migrate } from './db/migrate.ts';
export { migrations } from './migrations/index.ts';
export * from './aws/index.ts';
