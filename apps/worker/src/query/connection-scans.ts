/**
 * Which credentials each scan of a plan reads with. A scan whose every path lies in a data
 * connection's bucket reads with that connection's session (the role the control plane
 * assumed for this query, narrowed by a session policy to reading under its prefix: a path
 * outside the prefix is refused by AWS, not by this code); every other scan, and every sink,
 * reads and writes with the Worker role. A serialized plan (nodejs-polars 0.26) holds a scan
 * as `{"Scan": {"sources": {"Paths": [{"inner": "s3://…"}]}, "unified_scan_args":
 * {"cloud_options": …}, …}}`.
 */
import type { RoleCredentials, S3Access } from './cloud-options.ts';

/** One connection's session for one query, as the worker holds it. */
export interface ConnectionAccess {
  readonly name: string;
  readonly bucket: string;
  /** The prefix the session may read under (`''`: the whole bucket). */
  readonly prefix: string;
  readonly region: string;
  readonly credentials: RoleCredentials;
}

/** A scan mixes a connection's bucket with other locations (one scan has one set of options). */
export class MixedScanError extends Error {
  readonly code = 'mixed_scan_sources';
}

const bucketOf = (uri: string): string | undefined => /^s3:\/\/([^/]+)/.exec(uri)?.[1];

/**
 * The connection a scan over `paths` reads through, or undefined for the Worker role. Of
 * the connections on the paths' bucket, the one whose prefix holds every path (the longest
 * such), else the first: its session policy then refuses what lies outside its prefix.
 */
export function connectionForPaths(
  connections: readonly ConnectionAccess[],
  paths: readonly string[],
): ConnectionAccess | undefined {
  if (connections.length === 0 || paths.length === 0) return undefined;
  const inConnection = paths.map((p) => connections.some((c) => c.bucket === bucketOf(p)));
  if (!inConnection.some(Boolean)) return undefined;
  const buckets = new Set(paths.map(bucketOf));
  if (inConnection.some((x) => !x) || buckets.size > 1)
    throw new MixedScanError(
      `A scan reads ${paths.join(', ')}: it mixes a connection's bucket with other locations. Scan each location on its own and concatenate the frames.`,
    );
  const candidates = connections.filter((c) => buckets.has(c.bucket));
  const holding = candidates
    .filter((c) => paths.every((p) => p.startsWith(`s3://${c.bucket}/${c.prefix}`)))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  return holding[0] ?? candidates[0];
}

/** The S3 access of a connection's session: its region, the node's S3 endpoint. */
export function connectionS3Access(connection: ConnectionAccess, access: S3Access): S3Access {
  return {
    region: connection.region,
    ...(access.endpoint === undefined ? {} : { endpoint: access.endpoint }),
  };
}

function scanPaths(scan: Record<string, unknown>): string[] {
  const sources = scan.sources as { Paths?: unknown } | undefined;
  const list = Array.isArray(sources?.Paths) ? (sources.Paths as unknown[]) : [];
  return list.flatMap((p) => {
    const uri = typeof p === 'object' && p !== null ? (p as { inner?: unknown }).inner : p;
    return typeof uri === 'string' ? [uri] : [];
  });
}

function replaceIn(node: unknown, options: unknown): void {
  if (Array.isArray(node)) {
    if (node.length > 0 && typeof node[0] === 'number') return;
    for (const child of node) replaceIn(child, options);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key === 'cloud_options') record[key] = structuredClone(options);
    else replaceIn(record[key], options);
  }
}

/**
 * Replaces every `cloud_options` of a parsed plan (in place): a scan's with its
 * connection's (`optionsOf(connection)`), all others with `workerOptions`. Returns the
 * connections the plan's scans read through.
 */
export function injectScanCloudOptions(
  plan: unknown,
  connections: readonly ConnectionAccess[],
  workerOptions: unknown,
  optionsOf: (connection: ConnectionAccess) => unknown,
): Set<string> {
  const used = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      if (node.length > 0 && typeof node[0] === 'number') return;
      for (const child of node) visit(child);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (key === 'Scan' && typeof child === 'object' && child !== null && 'sources' in child) {
        const connection = connectionForPaths(connections, scanPaths(child));
        if (connection !== undefined) used.add(connection.name);
        replaceIn(child, connection === undefined ? workerOptions : optionsOf(connection));
      } else if (key === 'cloud_options') {
        record[key] = structuredClone(workerOptions);
      } else visit(child);
    }
  };
  visit(plan);
  return used;
}
