/**
 * The session an ingestion lands into an S3 connection with: the control plane assumes the
 * connection's role through the broker, with the connection's external ID and a session
 * policy that narrows it to uploading under the ingestion's own folder (inside the
 * connection's write prefix), whatever more the role allows. It goes to the node that holds
 * the ingestion with each claim, never to a user.
 */
import { connectionWriteSessionPolicy, partitionOf } from '@ferry/aws-template';
import type { AwsCredentials } from '../aws/aws-clients.ts';
import type { BrokerActor } from '../aws/credential-broker.ts';
import type { Resources } from '../resources.ts';
import { ingestDb, type IngestionRow } from './ingestions.ts';

/** Why a destination cannot be written (the connection was deleted or changed). */
export class DestinationGoneError extends Error {}

/** The destination's session of an ingestion that lands into an S3 connection. */
export async function ingestionDestinationCredentials(
  resources: Pick<Resources, 'db' | 'aws'>,
  row: Pick<
    IngestionRow,
    'id' | 'org_id' | 'workspace_id' | 'bucket' | 'prefix' | 'destination_connection_id'
  >,
  actor: BrokerActor,
): Promise<AwsCredentials> {
  const connection =
    row.destination_connection_id === null
      ? undefined
      : await ingestDb(resources.db)
          .selectFrom('connections')
          .select(['role_arn', 'external_id', 'target'])
          .where('id', '=', row.destination_connection_id)
          .where('workspace_id', '=', row.workspace_id)
          .executeTakeFirst();
  if (
    connection?.role_arn == null ||
    connection.external_id === null ||
    connection.target.type !== 's3' ||
    connection.target.bucket !== row.bucket
  )
    throw new DestinationGoneError('its destination connection was deleted or changed');
  const policy = connectionWriteSessionPolicy(
    { bucket: row.bucket, prefix: row.prefix },
    partitionOf(connection.role_arn),
  );
  return resources.aws.broker.assume({
    orgId: row.org_id,
    workspaceId: row.workspace_id,
    roleArn: connection.role_arn,
    externalId: connection.external_id,
    actor,
    // Cached per ingestion (claims come every few seconds), refreshed before it expires.
    purpose: `ingestion:${row.id}:destination`,
    sessionPolicy: JSON.stringify(policy),
  });
}
