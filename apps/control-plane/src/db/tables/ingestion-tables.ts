/** Tables of Kinesis landing. */
import type { Timestamp } from '../platform-tables.ts';
import type { Json } from './identity-tables.ts';

/** Where a shard without a checkpoint starts (LATEST resolved to the start time). */
export type StoredStartingPosition =
  { type: 'TRIM_HORIZON' } | { type: 'LATEST' } | { type: 'AT_TIMESTAMP'; timestamp: string };

/** How records parse. */
export type StoredIngestionFormat =
  { type: 'json' } | { type: 'csv'; columns: string[]; delimiter?: string | undefined };

/** A file announced before it is written. */
export interface StoredIngestionIntent {
  firstSequenceNumber: string;
  lastSequenceNumber: string;
  records: number;
  key: string;
}

/** One ingestion. */
export interface IngestionsTable {
  id: string;
  workspace_id: string;
  org_id: string;
  cluster_id: string;
  connection_id: string;
  connection_name: string;
  stream_arn: string;
  region: string;
  starting_position: Json<StoredStartingPosition>;
  format: Json<StoredIngestionFormat>;
  flush_records: number;
  flush_seconds: number;
  mode: 'one-shot' | 'continuous';
  bucket: string;
  prefix: string;
  /** The S3 connection landed into (null: the workspace's results bucket, Worker role). */
  destination_connection_id: string | null;
  destination_connection_name: string | null;
  /** The destination bucket's region (null with the results bucket). */
  destination_region: string | null;
  state: 'Pending' | 'Running' | 'Completed' | 'Stopped' | 'Failed';
  state_reason: string | null;
  /** The instance that holds the ingestion, until `lease_until`. */
  node_id: string | null;
  lease_until: Timestamp | null;
  stop_requested: boolean;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

/** One shard's checkpoint. */
export interface IngestionShardsTable {
  ingestion_id: string;
  shard_id: string;
  parent_shard_ids: Json<string[]>;
  last_sequence_number: string | null;
  pending: Json<StoredIngestionIntent> | null;
  records: number;
  files: number;
  finished: boolean;
  updated_at: Timestamp;
}

/** The ingestion tables by name. */
export interface IngestionTables {
  ingestions: IngestionsTable;
  ingestion_shards: IngestionShardsTable;
}
