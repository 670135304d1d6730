/**
 * Remote queries: the record of every query (both connection modes), submit through the
 * control plane (proxy mode), list, get, wait, cancel, head and profile; and `connect`,
 * which gives a direct-mode client the node's address, its certificate fingerprint and a
 * short-lived query token.
 */
import { CONNECTION_MODES } from '@ferry/core';
import { z } from 'zod';
import { idSchema, pageQuerySchema, pageSchema, timestampSchema } from './common.ts';
import { clusterIdSchema } from './compute.ts';
import { defineContract } from './contract.ts';
import { workspaceParamsSchema } from './workspace-schemas.ts';

const V1 = '/api/v1';

export const queryIdSchema = idSchema('query');

/** A query's states, in order: Queued → Running → Succeeded | Failed | Canceled. */
export const QUERY_STATES = ['Queued', 'Running', 'Succeeded', 'Failed', 'Canceled'] as const;
export type QueryState = (typeof QUERY_STATES)[number];
/** States a query never leaves. */
export const FINAL_QUERY_STATES: readonly QueryState[] = ['Succeeded', 'Failed', 'Canceled'];
export const queryStateSchema = z.enum(QUERY_STATES);

/** Labels of a query: short keys and values. */
export const queryLabelsSchema = z
  .record(z.string().min(1).max(128), z.string().max(256))
  .refine((labels) => Object.keys(labels).length <= 32, { error: 'at most 32 labels' });

/**
 * A query envelope as it travels: ferry's and polars' versions around the serialized plan
 * or the SQL text. The plan-safety walk and the version check run on both sides; this
 * schema only bounds the shape.
 */
export const queryEnvelopeBodySchema = z.strictObject({
  ferryVersion: z.string().min(1).max(64),
  polarsVersion: z.string().min(1).max(64),
  format: z.literal('polars-json'),
  kind: z.enum(['plan', 'sql']),
  plan: z
    .string()
    .max(8 * 1024 * 1024)
    .optional(),
  sql: z
    .string()
    .max(1024 * 1024)
    .optional(),
  sink: z
    .strictObject({
      format: z.enum(['parquet', 'csv', 'ipc', 'ndjson']),
      uri: z.string().regex(/^s3:\/\/[^/]+\/.+/, { error: 'must be an s3://bucket/key URI' }),
    })
    .optional(),
  engine: z.enum(['auto', 'streaming', 'in-memory']).optional(),
  headRows: z.number().int().min(0).max(10_000).optional(),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .optional(),
  labels: queryLabelsSchema.optional(),
});

/** Submit a query through the control plane (proxy mode). */
export const submitQueryBodySchema = z.strictObject({ envelope: queryEnvelopeBodySchema });

export const queryParamsSchema = z.strictObject({
  workspaceId: workspaceParamsSchema.shape.workspaceId,
  queryId: queryIdSchema,
});

export const clusterQueryParamsSchema = z.strictObject({
  workspaceId: workspaceParamsSchema.shape.workspaceId,
  clusterId: clusterIdSchema,
});

const statesPattern = `(${QUERY_STATES.join('|')})`;

export const listQueriesQuerySchema = pageQuerySchema.extend({
  clusterId: clusterIdSchema.optional(),
  /** Comma-separated states, e.g. `Queued,Running`. */
  state: z
    .string()
    .regex(new RegExp(`^${statesPattern}(,${statesPattern})*$`), {
      error: `comma-separated states among ${QUERY_STATES.join(', ')}`,
    })
    .optional(),
  /** `key=value`: queries carrying that label. */
  label: z
    .string()
    .regex(/^[^=]{1,128}=.{0,256}$/, { error: 'must be key=value' })
    .optional(),
  mode: z.enum(CONNECTION_MODES).optional(),
});

/** Long-poll until the query is finished or `waitSeconds` pass. */
export const waitQueryQuerySchema = z.strictObject({
  waitSeconds: z.coerce.number().int().min(0).max(30).optional(),
});

export const queryErrorSchema = z.object({ code: z.string(), message: z.string() });

/** A query as the API shows it. */
export const querySchema = z.object({
  id: queryIdSchema,
  workspaceId: z.string(),
  clusterId: z.string(),
  /** The node that runs (or ran) it. */
  instanceId: z.string().nullable(),
  actor: z.object({ kind: z.enum(['user', 'service-account']), id: z.string() }),
  mode: z.enum(CONNECTION_MODES),
  kind: z.enum(['plan', 'sql']),
  labels: z.record(z.string(), z.string()),
  state: queryStateSchema,
  queuedAt: timestampSchema,
  startedAt: timestampSchema.nullable(),
  finishedAt: timestampSchema.nullable(),
  /** Polars' optimized plan, as text. */
  optimizedPlan: z.string().nullable(),
  error: queryErrorSchema.nullable(),
  /** Where the full result is (s3://…), or the sink's target. */
  location: z.string().nullable(),
  rowCount: z.number().nullable(),
  bytes: z.number().nullable(),
  /** Column name → polars dtype. */
  schema: z.record(z.string(), z.string()).nullable(),
  /** The node's $/hour × the query's running time. */
  costUsd: z.number().nullable(),
  revision: z.number().int(),
});

/** One timed phase of a query. */
export const queryPhaseSchema = z.object({ name: z.string(), ms: z.number() });

/** Where a query's time went, and the node's CPU and memory while it ran. */
export const queryProfileSchema = z.object({
  queryId: queryIdSchema,
  state: queryStateSchema,
  phases: z.array(queryPhaseSchema),
  totalMs: z.number().nullable(),
  samples: z.array(
    z.object({ at: timestampSchema, cpuPercent: z.number(), memoryPercent: z.number() }),
  ),
  costUsd: z.number().nullable(),
});

/** The first rows of a proxy-mode result (Arrow IPC, base64) and the result's URLs. */
export const queryHeadSchema = z.object({
  queryId: queryIdSchema,
  format: z.literal('arrow-ipc'),
  /** base64 of the Arrow IPC stream bytes. */
  data: z.string(),
  /** Short-lived presigned GET URLs of the full result's files. */
  resultUrls: z.array(z.string()),
});

/** What a direct-mode client needs to reach the cluster's worker. */
export const connectionSchema = z.object({
  clusterId: clusterIdSchema,
  workspaceId: z.string(),
  connectionMode: z.enum(CONNECTION_MODES),
  /** The node to talk to (direct mode), null in proxy mode. */
  node: z
    .object({
      instanceId: z.string(),
      address: z.string(),
      port: z.number().int(),
      /** sha256 of the worker certificate's DER, hex: pin it. */
      tlsFingerprint: z.string(),
    })
    .nullable(),
  /** A short-lived query token (direct mode), signed by the control plane. */
  token: z.string().nullable(),
  expiresAt: timestampSchema.nullable(),
});

/** The contracts of queries. */
export const queryContracts = {
  'queries.submit': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/clusters/:clusterId/queries`,
    summary: 'Submit a query through the control plane (proxy mode); it is queued for a node',
    tag: 'queries',
    params: clusterQueryParamsSchema,
    body: submitQueryBodySchema,
    status: 201,
    response: querySchema,
    idempotent: true,
  }),
  'queries.connect': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/clusters/:clusterId/connect`,
    summary:
      "Direct mode: the worker's address and certificate fingerprint, and a short-lived query token",
    tag: 'queries',
    params: clusterQueryParamsSchema,
    status: 200,
    response: connectionSchema,
  }),
  'queries.list': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/queries`,
    summary: "List a workspace's queries (newest first), filtered by cluster, state, label, mode",
    tag: 'queries',
    params: workspaceParamsSchema,
    query: listQueriesQuerySchema,
    status: 200,
    response: pageSchema(querySchema),
  }),
  'queries.get': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/queries/:queryId`,
    summary: 'A query: state, times, error, result location, rows, bytes, cost',
    tag: 'queries',
    params: queryParamsSchema,
    status: 200,
    response: querySchema,
  }),
  'queries.wait': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/queries/:queryId/wait`,
    summary: 'Long-poll: answer when the query has finished, or after waitSeconds (≤ 30)',
    tag: 'queries',
    params: queryParamsSchema,
    query: waitQueryQuerySchema,
    status: 200,
    response: querySchema,
  }),
  'queries.cancel': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/queries/:queryId/cancel`,
    summary: 'Cancel a query (its node kills the executor running it)',
    tag: 'queries',
    params: queryParamsSchema,
    status: 200,
    response: querySchema,
  }),
  'queries.head': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/queries/:queryId/head`,
    summary: "Proxy mode: a finished query's first rows and its result URLs (kept for a while)",
    tag: 'queries',
    params: queryParamsSchema,
    status: 200,
    response: queryHeadSchema,
  }),
  'queries.profile': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/queries/:queryId/profile`,
    summary: "A query's phase timings and its node's CPU and memory while it ran",
    tag: 'queries',
    params: queryParamsSchema,
    status: 200,
    response: queryProfileSchema,
  }),
} as const;

export type QueryView = z.infer<typeof querySchema>;
export type QueryProfile = z.infer<typeof queryProfileSchema>;
export type Connection = z.infer<typeof connectionSchema>;
