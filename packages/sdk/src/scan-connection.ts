/**
 * `scanConnection(ctx, 'sales', 'events/2026/*.parquet')`: a Parquet scan through one of the
 * workspace's data connections, to use in a remote plan. The frame names only the location
 * (`s3://<bucket>/<prefix>events/2026/*.parquet`) and no credentials: the query names the
 * connection, and the cluster reads with the session the control plane hands its worker
 * (the connection's role, narrowed to reading under its prefix). In SQL, write
 * `connection('sales', 'events/*.parquet')` instead.
 */
import { connectionLocation, connectionPathProblem } from '@ferry/core';
import pl from 'nodejs-polars';
import type { ComputeContext } from './compute-context.ts';
import { FerryError } from './errors.ts';

/** Where a connection reads: its bucket and the prefix (`''`: the whole bucket). */
export interface ConnectionLocation {
  readonly bucket: string;
  readonly prefix: string;
}

/** Connections looked up per context (a plan's locations are matched against them). */
const known = new WeakMap<ComputeContext, Map<string, ConnectionLocation>>();

/** @internal The location of a connection, looked up once per context. */
export async function connectionLocationOf(
  ctx: ComputeContext,
  name: string,
): Promise<ConnectionLocation> {
  const seen = known.get(ctx) ?? new Map<string, ConnectionLocation>();
  known.set(ctx, seen);
  const cached = seen.get(name);
  if (cached !== undefined) return cached;
  const workspaceId = await ctx.controlPlane.workspaceId();
  const detail = await ctx.controlPlane.call('connections.get', {
    params: { workspaceId, connectionName: name },
  });
  if (detail.target.type !== 's3')
    throw new FerryError(
      'connection_not_s3',
      `Connection "${name}" is a Kinesis stream: scan an S3 connection.`,
    );
  const location = { bucket: detail.target.bucket, prefix: detail.target.prefix ?? '' };
  seen.set(name, location);
  return location;
}

/**
 * @internal The connections a serialized plan reads through: those of this context whose
 * bucket one of its scans names.
 */
export function connectionsOfPlan(ctx: ComputeContext, planJson: string): string[] {
  const seen = known.get(ctx);
  if (seen === undefined) return [];
  const names: string[] = [];
  for (const [name, location] of seen)
    if (planJson.includes(`"s3://${location.bucket}/`)) names.push(name);
  return names;
}

/** Options of {@link scanConnection}: those of `pl.scanParquet` that carry no credentials. */
export interface ScanConnectionOptions {
  /** Read hive partitions from the paths (`key=value/`). */
  hivePartitioning?: boolean;
  /** Add a column with each row's source file. */
  includeFilePaths?: string;
}

/** A lazy Parquet scan of `path` (relative to the connection's prefix; globs allowed). */
export async function scanConnection(
  ctx: ComputeContext,
  name: string,
  path: string,
  options: ScanConnectionOptions = {},
): Promise<pl.LazyDataFrame> {
  const problem = connectionPathProblem(path);
  if (problem !== null)
    throw new FerryError('path_outside_connection', `path ${JSON.stringify(path)} ${problem}.`);
  const location = await connectionLocationOf(ctx, name);
  return pl.scanParquet(connectionLocation(location, path), {
    ...(options.hivePartitioning === undefined
      ? {}
      : { hivePartitioning: options.hivePartitioning }),
    ...(options.includeFilePaths === undefined
      ? {}
      : { includeFilePaths: options.includeFilePaths }),
  });
}
