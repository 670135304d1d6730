/**
 * The session policy of a query's use of an S3 connection: when the control plane assumes
 * the data owner's role for one query, it passes this policy with AssumeRole, so the
 * session may only list and read under the connection's prefix — whatever more the role's
 * own policy allows (a write prefix, other folders, other buckets). AWS intersects the two.
 */
import type { PolicyDocument } from '@ferry/iam';
import { connectionPermissionsPolicy, connectionStatement } from './connection-policy.ts';
import { connectionEntries } from './connection-permissions.ts';

/** What a query reads through an S3 connection. */
export interface ConnectionReadScope {
  bucket: string;
  /** The connection's prefix (a folder ending in `/`); the whole bucket when absent. */
  prefix?: string | undefined;
}

/** The read-only session policy of a query: the registry's s3-read statements, under the prefix. */
export function connectionReadSessionPolicy(
  scope: ConnectionReadScope,
  partition = 'aws',
): PolicyDocument {
  // Rendered from the same registry entries as the owner's permissions policy, without the
  // write prefix: exactly the reads, never more than the role was asked to grant.
  return connectionPermissionsPolicy(
    { type: 's3', bucket: scope.bucket, prefix: scope.prefix },
    partition,
  );
}

/** Where a landing writes through an S3 connection: a folder under its write prefix. */
export interface ConnectionWriteScope {
  bucket: string;
  /** The folder written under (ends in `/`), inside the connection's write prefix. */
  prefix: string;
}

/**
 * The write-only session policy of an ingestion landing into an S3 connection: the
 * registry's s3-write statements for uploads (put, abort a multipart upload), under the
 * ingestion's own folder — no read, no delete, nothing elsewhere in the bucket.
 */
export function connectionWriteSessionPolicy(
  scope: ConnectionWriteScope,
  partition = 'aws',
): PolicyDocument {
  const target = { type: 's3' as const, bucket: scope.bucket, writePrefix: scope.prefix };
  return {
    Version: '2012-10-17',
    Statement: connectionEntries('s3-write')
      // DeleteObject is granted for the connection test's probe only.
      .filter((e) => e.action !== 's3:DeleteObject')
      .map((e) => connectionStatement(e, target, partition)),
  };
}
