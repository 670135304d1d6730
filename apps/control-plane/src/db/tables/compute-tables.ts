/** Tables of compute clusters: manifests, clusters and their events, nodes, logs, samples. */
import type { ColumnType, Generated } from 'kysely';
import type { Timestamp } from '../platform-tables.ts';
import type { Json } from './identity-tables.ts';

/** A named compute context of a workspace. */
export interface ComputeManifestsTable {
  workspace_id: string;
  name: string;
  /** The context as the client sent it (normalised again at each start). */
  spec: Json<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One cluster: its request, chosen type, state and launch bookkeeping. */
export interface ClustersTable {
  id: string;
  workspace_id: string;
  org_id: string;
  manifest: string | null;
  region: string;
  /** The normalised ComputeContext of `@ferry/core`. */
  context: Json<Record<string, unknown>>;
  /** A ClusterState of `@ferry/core`. */
  state: string;
  /** A TerminationReason, once stopping or failed. */
  reason: string | null;
  error_code: string | null;
  error_message: string | null;
  instance_type: string | null;
  usd_per_hour: number | null;
  /** The Selection of `@ferry/core` (the explanation shown to users). */
  selection: Json<Record<string, unknown>> | null;
  /** The attempt of the next (or in-flight) CreateFleet; its ClientToken derives from it. */
  launch_attempt: ColumnType<number, number | undefined, number>;
  /** Set before each CreateFleet is sent, so a crash leaves a trace of the launch. */
  launched_at: Timestamp | null;
  fleet_ids: ColumnType<string[], string | undefined, string>;
  launch_template_id: string | null;
  /** sha256 of the one-time bootstrap token in the nodes' user-data; null once all registered. */
  bootstrap_token_hash: string | null;
  started_by_kind: 'user' | 'service-account';
  started_by_id: string;
  last_activity_at: Timestamp;
  last_heartbeat_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  stopped_at: Timestamp | null;
  revision: ColumnType<number, number | undefined, number>;
}

/** One state change of a cluster. */
export interface ClusterEventsTable {
  id: Generated<string>;
  cluster_id: string;
  at: Timestamp;
  from_state: string | null;
  to_state: string;
  event: string;
  message: string | null;
}

/** One EC2 instance of a cluster. */
export interface ClusterNodesTable {
  instance_id: string;
  cluster_id: string;
  workspace_id: string;
  instance_type: string;
  availability_zone: string | null;
  private_ip: string | null;
  /** EC2's public address of the node, when it has one (direct-mode clients outside the VPC). */
  public_ip: ColumnType<string | null, string | null | undefined, string | null>;
  ec2_state: string;
  agent_state: 'idle' | 'busy' | null;
  vcpus: number;
  memory_gib: number;
  storage_gib: number;
  usd_per_hour: number;
  node_token_hash: string | null;
  launched_at: Timestamp;
  registered_at: Timestamp | null;
  last_heartbeat_at: Timestamp | null;
  terminated_at: Timestamp | null;
  /** The worker's HTTPS port for direct-mode queries (from registration). */
  query_port: ColumnType<number | null, number | null | undefined, number | null>;
  /** sha256 of the worker certificate's DER, hex (from registration). */
  tls_fingerprint: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A log line a node sent. */
export interface NodeLogsTable {
  id: Generated<string>;
  cluster_id: string;
  instance_id: string;
  at: Timestamp;
  stream: 'stdout' | 'stderr' | 'agent';
  line: string;
}

/** A CPU/memory/disk sample a node sent. */
export interface NodeSamplesTable {
  id: Generated<string>;
  cluster_id: string;
  instance_id: string;
  at: Timestamp;
  cpu_percent: number;
  memory_percent: number;
  disk_percent: number;
}

/** The compute tables by name. */
export interface ComputeTables {
  compute_manifests: ComputeManifestsTable;
  clusters: ClustersTable;
  cluster_events: ClusterEventsTable;
  cluster_nodes: ClusterNodesTable;
  node_logs: NodeLogsTable;
  node_samples: NodeSamplesTable;
}
