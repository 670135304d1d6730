/** Test fixture: an ingestion row recorded directly (no connection or AWS needed). */
import { newId } from '@ferry/core';
import type { Resources } from '../resources.ts';
import { ingestDb } from './ingestions.ts';

/** Records a Pending ingestion on the cluster and returns its id. */
export async function insertIngestion(
  resources: Pick<Resources, 'db' | 'clock'>,
  cluster: { id: string; workspace_id: string; org_id: string },
): Promise<string> {
  const now = resources.clock.now();
  const id = newId('ingestion', now.getTime());
  await ingestDb(resources.db)
    .insertInto('ingestions')
    .values({
      id,
      workspace_id: cluster.workspace_id,
      org_id: cluster.org_id,
      cluster_id: cluster.id,
      connection_id: 'con_00000000000000000000000000',
      connection_name: 'fixture-stream',
      stream_arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/fixture',
      region: 'us-east-1',
      starting_position: JSON.stringify({ type: 'TRIM_HORIZON' }),
      format: JSON.stringify({ type: 'json' }),
      flush_records: 100,
      flush_seconds: 5,
      mode: 'one-shot',
      bucket: 'fixture-results',
      prefix: `ingestions/${id}/`,
      destination_connection_id: null,
      destination_connection_name: null,
      destination_region: null,
      state: 'Pending',
      state_reason: null,
      node_id: null,
      lease_until: null,
      stop_requested: false,
      created_by: 'usr_00000000000000000000000000',
      created_at: now,
      updated_at: now,
      finished_at: null,
    })
    .execute();
  return id;
}
