/**
 * Compute clusters: start (ad hoc or from a named manifest), list, get, wait for a state,
 * stop; their nodes' logs and metrics; a workspace's usage; and the two routes the worker
 * agent on each node calls (register with its one-time bootstrap token, then heartbeat).
 */
import {
  ARCHITECTURES,
  CLUSTER_STATES,
  CONNECTION_MODES,
  TERMINATION_REASONS,
  computeContextSchema,
} from '@ferry/core';
import { z } from 'zod';
import { idSchema, pageQuerySchema, pageSchema, timestampSchema } from './common.ts';
import { defineContract } from './contract.ts';
import {
  nodeQueryEndpointSchema,
  queryIdSchema,
  registeredNodeQueryFields,
} from './worker-wire.ts';
import { workspaceParamsSchema } from './workspace-schemas.ts';

const V1 = '/api/v1';

export const clusterIdSchema = idSchema('cluster');
export const clusterStateSchema = z.enum(CLUSTER_STATES);

/** A manifest's name: lower-case letters, digits and `-`, like a DNS label. */
export const manifestNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'lower-case letters, digits and - only' });

/**
 * A compute context as clients send it. The server normalises it again with its configured
 * minimum idle timeout (10 minutes in production), so that bound is checked there.
 */
export const computeContextBodySchema = computeContextSchema(1);

/** Start a cluster: a context, or the name of a registered manifest (not both). */
export const startClusterBodySchema = z.strictObject({
  ...computeContextBodySchema.shape,
  manifest: manifestNameSchema.optional(),
});

export const clusterParamsSchema = z.strictObject({
  workspaceId: workspaceParamsSchema.shape.workspaceId,
  clusterId: clusterIdSchema,
});

export const manifestParamsSchema = z.strictObject({
  workspaceId: workspaceParamsSchema.shape.workspaceId,
  name: manifestNameSchema,
});

export const listClustersQuerySchema = pageQuerySchema.extend({
  /** Comma-separated states, e.g. `Idle,Busy`. */
  state: z
    .string()
    .regex(new RegExp(`^(${CLUSTER_STATES.join('|')})(,(${CLUSTER_STATES.join('|')}))*$`), {
      error: `comma-separated states among ${CLUSTER_STATES.join(', ')}`,
    })
    .optional(),
  /** `key=value`: clusters carrying that label. */
  label: z
    .string()
    .regex(/^[^=]{1,128}=.{0,256}$/, { error: 'must be key=value' })
    .optional(),
});

/** Long-poll until the cluster is in one of `state` (comma-separated) or `waitSeconds` pass. */
export const waitClusterQuerySchema = z.strictObject({
  state: listClustersQuerySchema.shape.state.unwrap(),
  waitSeconds: z.coerce.number().int().min(0).max(30).optional(),
});

/** One candidate instance type as selection judged it. */
export const selectionCandidateSchema = z.object({
  instanceType: z.string(),
  vcpus: z.number(),
  memoryGiB: z.number(),
  usdPerHour: z.number().optional(),
  zones: z.array(z.string()),
  rejected: z.array(z.string()),
  rank: z.number().optional(),
});

/** Why this instance type: the sentence and every candidate considered. */
export const selectionSchema = z.object({
  instanceType: z.string(),
  usdPerHour: z.number(),
  zones: z.array(z.string()),
  reason: z.string(),
  fallbacks: z.array(
    z.object({ instanceType: z.string(), usdPerHour: z.number(), zones: z.array(z.string()) }),
  ),
  candidates: z.array(selectionCandidateSchema),
});

/** One EC2 instance of a cluster. */
export const clusterNodeSchema = z.object({
  instanceId: z.string(),
  instanceType: z.string(),
  availabilityZone: z.string().nullable(),
  privateIp: z.string().nullable(),
  /** EC2's state as last observed: pending, running, shutting-down, terminated… */
  ec2State: z.string(),
  /** What the worker last reported: idle or busy; null before it registered. */
  agentState: z.enum(['idle', 'busy']).nullable(),
  launchedAt: timestampSchema,
  registeredAt: timestampSchema.nullable(),
  lastHeartbeatAt: timestampSchema.nullable(),
  terminatedAt: timestampSchema.nullable(),
});

/** A cluster as the API shows it. */
export const clusterSchema = z.object({
  id: clusterIdSchema,
  workspaceId: z.string(),
  manifest: z.string().nullable(),
  state: clusterStateSchema,
  reason: z.enum(TERMINATION_REASONS).nullable(),
  /** AWS's (or ferry's) error when Failed. */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  region: z.string(),
  /** The requested sizing: bounds or an explicit instance type. */
  cpus: z.number().nullable(),
  memory: z.number().nullable(),
  requestedInstanceType: z.string().nullable(),
  architecture: z.enum(ARCHITECTURES),
  storage: z.number(),
  clusterSize: z.number(),
  connectionMode: z.enum(CONNECTION_MODES),
  idleTimeoutMins: z.number(),
  labels: z.record(z.string(), z.string()),
  /** The chosen type and its price (null until selection ran). */
  instanceType: z.string().nullable(),
  usdPerHour: z.number().nullable(),
  selection: selectionSchema.nullable(),
  /** Cost so far: every node's running time × $/hour. */
  runningCostUsd: z.number(),
  nodes: z.array(clusterNodeSchema),
  startedBy: z.object({ kind: z.enum(['user', 'service-account']), id: z.string() }),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  stoppedAt: timestampSchema.nullable(),
  lastActivityAt: timestampSchema,
  /** Changes whenever the cluster changes. */
  revision: z.number().int(),
});

/** The answer to start: the cluster, and whether a live one of the manifest was returned. */
export const startedClusterSchema = clusterSchema.extend({ reused: z.boolean() });

/** One state change of a cluster, with its reason. */
export const clusterEventSchema = z.object({
  at: timestampSchema,
  from: clusterStateSchema.nullable(),
  to: clusterStateSchema,
  event: z.string(),
  message: z.string().nullable(),
});

/** A registered manifest. */
export const manifestSchema = z.object({
  workspaceId: z.string(),
  name: manifestNameSchema,
  spec: computeContextBodySchema,
  /** The live cluster started from it, if any. */
  liveClusterId: clusterIdSchema.nullable(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});

export const logsQuerySchema = z.strictObject({
  /** Only lines after this time. */
  since: timestampSchema.optional(),
  instanceId: z
    .string()
    .regex(/^i-[0-9a-f]{8,17}$/, { error: 'must be an instance id like i-0abc…' })
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const logLineSchema = z.object({
  at: timestampSchema,
  instanceId: z.string(),
  stream: z.enum(['stdout', 'stderr', 'agent']),
  line: z.string(),
});

export const metricSampleSchema = z.object({
  at: timestampSchema,
  instanceId: z.string(),
  cpuPercent: z.number(),
  memoryPercent: z.number(),
  diskPercent: z.number(),
});

export const usageQuerySchema = z.strictObject({
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
});

export const usageSchema = z.object({
  workspaceId: z.string(),
  from: timestampSchema,
  to: timestampSchema,
  instanceHours: z.number(),
  vcpuHours: z.number(),
  memoryGiBHours: z.number(),
  storageGiBHours: z.number(),
  costUsd: z.number(),
});

/** A share of a node's CPU, memory or disk, as the node samples it. */
const percentSchema = z.number().min(0).max(100);

/** Text a node reports about itself, stored and shown: printable ASCII only. */
const printableSchema = z
  .string()
  .max(64)
  .regex(/^[\x20-\x7e]*$/, { error: 'must be printable ASCII' });

/** A node's first call: its one-time bootstrap token (from the user-data) and who it is. */
export const registerNodeBodySchema = z.strictObject({
  bootstrapToken: z
    .string()
    .regex(/^ferry_boot_[A-Za-z0-9_-]{20,100}$/, { error: 'must be a bootstrap token' }),
  clusterId: clusterIdSchema,
  instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/, { error: 'must be an instance id' }),
  privateIp: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address' }).optional(),
  agentVersion: printableSchema.optional(),
  /** Present when the node serves queries over HTTPS (direct mode). */
  query: nodeQueryEndpointSchema.optional(),
});

/** What a registered node needs: its node token and the timings it follows. */
export const registeredNodeSchema = z.object({
  /** Send as the `x-ferry-node-token` header on heartbeats. */
  nodeToken: z.string(),
  heartbeatSeconds: z.number().int(),
  idleTimeoutMins: z.number().int(),
  ...registeredNodeQueryFields,
});

/** A heartbeat (header `x-ferry-node-token`): activity, samples and log lines since the last. */
export const heartbeatBodySchema = z.strictObject({
  state: z.enum(['idle', 'busy']),
  activeQueries: z.number().int().min(0).max(100_000),
  connectedClients: z.number().int().min(0).max(100_000),
  /** When the node last ran a query or had a client (its own idle clock). */
  lastActivityAt: timestampSchema,
  /**
   * The queries the node holds unfinished (Queued or Running): the control plane fails a
   * query its live node no longer holds and never reported finished (its reports were lost).
   */
  queryIds: z.array(queryIdSchema).max(10_000).optional(),
  samples: z
    .array(
      metricSampleSchema.omit({ instanceId: true }).extend({
        cpuPercent: percentSchema,
        memoryPercent: percentSchema,
        diskPercent: percentSchema,
      }),
    )
    .max(1000)
    .default([]),
  logs: z
    .array(logLineSchema.omit({ instanceId: true }).extend({ line: z.string().max(16_384) }))
    .max(5000)
    .default([]),
});

/** The control plane's answer: keep going, or stop (the cluster is stopping). */
export const heartbeatResponseSchema = z.object({
  stop: z.boolean(),
  idleTimeoutMins: z.number().int(),
});

/** The contracts of compute clusters, manifests, usage and the node agent. */
export const computeContracts = {
  'compute.start': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/clusters`,
    summary:
      'Start a cluster from a compute context or a manifest (a live cluster of the manifest is returned)',
    tag: 'compute',
    params: workspaceParamsSchema,
    body: startClusterBodySchema,
    status: 201,
    response: startedClusterSchema,
    idempotent: true,
  }),
  'compute.select': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/clusters/selection`,
    summary:
      'Which instance type a compute context would get, why, and its $/hour — without starting anything',
    tag: 'compute',
    params: workspaceParamsSchema,
    body: computeContextBodySchema,
    status: 200,
    response: selectionSchema,
  }),
  'compute.list': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/clusters`,
    summary: "List a workspace's clusters (newest first), filtered by state or label",
    tag: 'compute',
    params: workspaceParamsSchema,
    query: listClustersQuerySchema,
    status: 200,
    response: pageSchema(clusterSchema),
  }),
  'compute.get': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/clusters/:clusterId`,
    summary: 'A cluster: state, instance type and why, nodes, cost so far',
    tag: 'compute',
    params: clusterParamsSchema,
    status: 200,
    response: clusterSchema,
  }),
  'compute.wait': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/clusters/:clusterId/wait`,
    summary:
      'Long-poll: answer when the cluster reaches one of the states, or after waitSeconds (≤ 30)',
    tag: 'compute',
    params: clusterParamsSchema,
    query: waitClusterQuerySchema,
    status: 200,
    response: clusterSchema,
  }),
  'compute.stop': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/clusters/:clusterId/stop`,
    summary: 'Stop a cluster (Stopped once EC2 reports every instance terminated)',
    tag: 'compute',
    params: clusterParamsSchema,
    status: 200,
    response: clusterSchema,
  }),
  'compute.events': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/clusters/:clusterId/events`,
    summary: "A cluster's state changes with their reasons, oldest first",
    tag: 'compute',
    params: clusterParamsSchema,
    status: 200,
    response: z.object({ items: z.array(clusterEventSchema) }),
  }),
  'compute.logs': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/clusters/:clusterId/logs`,
    summary: "Log lines of a cluster's nodes, oldest first",
    tag: 'compute',
    params: clusterParamsSchema,
    query: logsQuerySchema,
    status: 200,
    response: z.object({ items: z.array(logLineSchema) }),
  }),
  'compute.metrics': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/clusters/:clusterId/metrics`,
    summary: "CPU, memory and disk samples of a cluster's nodes, oldest first",
    tag: 'compute',
    params: clusterParamsSchema,
    query: logsQuerySchema,
    status: 200,
    response: z.object({ items: z.array(metricSampleSchema) }),
  }),
  'compute.usage': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/usage`,
    summary: "A workspace's usage over a period: vCPU-, GiB- and storage-hours, cost",
    tag: 'compute',
    params: workspaceParamsSchema,
    query: usageQuerySchema,
    status: 200,
    response: usageSchema,
  }),
  'manifests.put': defineContract({
    method: 'PUT',
    path: `${V1}/workspaces/:workspaceId/manifests/:name`,
    summary: 'Register (or replace) a named compute manifest',
    tag: 'compute',
    params: manifestParamsSchema,
    body: computeContextBodySchema,
    status: 200,
    response: manifestSchema,
  }),
  'manifests.list': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/manifests`,
    summary: "A workspace's manifests by name",
    tag: 'compute',
    params: workspaceParamsSchema,
    query: pageQuerySchema,
    status: 200,
    response: pageSchema(manifestSchema),
  }),
  'manifests.get': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/manifests/:name`,
    summary: 'A manifest and its live cluster',
    tag: 'compute',
    params: manifestParamsSchema,
    status: 200,
    response: manifestSchema,
  }),
  'manifests.delete': defineContract({
    method: 'DELETE',
    path: `${V1}/workspaces/:workspaceId/manifests/:name`,
    summary: 'Delete a manifest (its live cluster keeps running)',
    tag: 'compute',
    params: manifestParamsSchema,
    status: 204,
  }),
  'nodes.register': defineContract({
    method: 'POST',
    path: `${V1}/nodes/register`,
    summary: "A worker node's first call: trade the one-time bootstrap token for a node token",
    tag: 'nodes',
    body: registerNodeBodySchema,
    status: 200,
    response: registeredNodeSchema,
    public: true,
    errors: [401, 409],
  }),
  'nodes.heartbeat': defineContract({
    method: 'POST',
    path: `${V1}/nodes/heartbeat`,
    summary: 'A worker node reports activity, metrics and logs (header x-ferry-node-token)',
    tag: 'nodes',
    body: heartbeatBodySchema,
    status: 200,
    response: heartbeatResponseSchema,
    public: true,
    errors: [401],
  }),
} as const;

/** A cluster as the API returns it. */
export type Cluster = z.infer<typeof clusterSchema>;
/** One node of a cluster. */
export type ClusterNode = z.infer<typeof clusterNodeSchema>;
/** One state change of a cluster. */
export type ClusterEventEntry = z.infer<typeof clusterEventSchema>;
/** A registered manifest. */
export type Manifest = z.infer<typeof manifestSchema>;
/** One log line of a node. */
export type LogLine = z.infer<typeof logLineSchema>;
/** One metric sample of a node. */
export type MetricSample = z.infer<typeof metricSampleSchema>;
/** A workspace's usage over a period. */
export type UsageReport = z.infer<typeof usageSchema>;
