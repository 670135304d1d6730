/**
 * Credentials for one query's use of an S3 connection: the control plane assumes the data
 * owner's role through the broker with the connection's external ID and a session policy
 * that narrows the session to reading under the connection's prefix, whatever more the
 * role allows. They go to the worker for that query only (never to the client, never into
 * the plan); their short lifetime bounds what a leak could do.
 */
import { ConflictError } from '@ferry/core';
import { connectionReadSessionPolicy, partitionOf } from '@ferry/aws-template';
import type { Resources } from '../resources.ts';
import type { AwsCredentials } from '../aws/aws-clients.ts';
import type { BrokerActor } from '../aws/credential-broker.ts';
import { connectionRow } from './connections.ts';

/** What a query's scans under one connection get. */
export interface ConnectionScanCredentials {
  connectionId: string;
  name: string;
  bucket: string;
  /** The prefix the session may read under (`''`: the whole bucket). */
  prefix: string;
  region: string;
  credentials: AwsCredentials;
}

/**
 * Assumes a connection's role for a query, read-only under its prefix. A missing or
 * foreign connection is a 404 like any other; the caller checks `connections:use`.
 */
export async function connectionScanCredentials(
  resources: Resources,
  input: { orgId: string; workspaceId: string; name: string; actor: BrokerActor; queryId: string },
): Promise<ConnectionScanCredentials> {
  const row = await connectionRow(resources.db, input.workspaceId, input.name);
  const target = row.target;
  if (target.type !== 's3') {
    throw new ConflictError(
      'connection_not_s3',
      `Connection "${row.name}" is a Kinesis stream: queries scan S3 connections.`,
    );
  }
  if (row.auth_kind !== 'role' || row.role_arn === null || row.external_id === null) {
    // Long-term keys cannot be narrowed by a session policy without more grants from the
    // owner; a query never gets them.
    throw new ConflictError(
      'connection_needs_role',
      `Connection "${row.name}" uses access keys: queries use connections through a role with an external ID.`,
    );
  }
  const policy = connectionReadSessionPolicy(
    { bucket: target.bucket, prefix: target.prefix ?? undefined },
    partitionOf(row.role_arn),
  );
  const credentials = await resources.aws.broker.assume({
    orgId: input.orgId,
    workspaceId: input.workspaceId,
    roleArn: row.role_arn,
    externalId: row.external_id,
    actor: input.actor,
    // One session per query: its credentials are handed to that query's worker only.
    purpose: `query:${input.queryId}:${row.id}`,
    noCache: true,
    sessionPolicy: JSON.stringify(policy),
  });
  return {
    connectionId: row.id,
    name: row.name,
    bucket: target.bucket,
    prefix: target.prefix ?? '',
    region: target.region,
    credentials,
  };
}
