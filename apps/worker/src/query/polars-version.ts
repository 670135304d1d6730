/**
 * The installed nodejs-polars version, read from its package.json without loading polars
 * (which takes a few hundred milliseconds): the executors load this same package, so the
 * worker can check a plan's polars version, and register, before any executor is ready.
 */
import { createRequire } from 'node:module';

export function installedPolarsVersion(): string {
  return (createRequire(import.meta.url)('nodejs-polars/package.json') as { version: string })
    .version;
}
