/** The versions an envelope carries: this SDK's ferry version and the client's nodejs-polars. */
import { createRequire } from 'node:module';

/** The ferry version of this SDK (the cluster must run the same). */
export const FERRY_VERSION = '0.1.0';

let polars: string | undefined;

/** The nodejs-polars version installed next to the caller. */
export function polarsVersion(): string {
  if (polars === undefined) {
    const require = createRequire(import.meta.url);
    polars = (require('nodejs-polars/package.json') as { version: string }).version;
  }
  return polars;
}
