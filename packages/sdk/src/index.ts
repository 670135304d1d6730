/**
 * `@ferry/sdk`: run nodejs-polars plans and SQL on ferry compute in your own AWS account.
 *
 * ```ts
 * import pl from 'nodejs-polars';
 * import { ComputeContext, remote } from '@ferry/sdk';
 *
 * await using ctx = await new ComputeContext({ workspace: 'analytics', cpus: 8, memory: 32 }).start();
 * const result = await remote(pl.scanParquet('s3://bucket/trips/*.parquet'), ctx).execute();
 * ```
 *
 * @packageDocumentation
 */
export {
  ComputeContext,
  type ClusterStatus,
  type ClusterSummary,
  type ComputeContextOptions,
} from './compute-context.ts';
export { RemoteQuery, remote, sql, type QueryOptions } from './query-builder.ts';
export { QueryHandle } from './query-handle.ts';
export { scanConnection, type ScanConnectionOptions } from './scan-connection.ts';
export { QueryResult } from './query-result.ts';
export type { QueryPhases, QueryProfile, QueryState, QueryStatus } from './query-types.ts';
export type { FerryConnectionOptions } from './settings.ts';
export type { MissingResource } from './errors.ts';
export {
  ClusterUnavailableError,
  FerryAuthError,
  FerryError,
  NotFoundError,
  PlanRefusedError,
  QueryCanceledError,
  QueryFailedError,
  TlsPinError,
  VersionMismatchError,
} from './errors.ts';
export {
  createConnection,
  deleteConnection,
  getConnection,
  listConnections,
  prepareConnection,
  retestConnection,
  rotateConnectionKeys,
  testConnection,
  type ConnectionsOptions,
} from './connections.ts';
export type {
  ConnectionAccessKeys,
  ConnectionAuth,
  ConnectionAuthView,
  ConnectionCheck,
  ConnectionPolicies,
  ConnectionState,
  ConnectionTarget,
  ConnectionTargetView,
  ConnectionTest,
  CreateConnectionInput,
  DataConnection,
  DataConnectionDetail,
  KinesisConnectionTarget,
  PrepareConnectionInput,
  PreparedConnection,
  S3ConnectionTarget,
} from './connection-types.ts';
export { FERRY_VERSION } from './versions.ts';
