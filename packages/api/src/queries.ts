/**
 * Remote queries: the record of every query (both connection modes), submit through the
 * control plane (proxy mode), list, get, wait, cancel, head and profile; and `connect`,
 * which gives a direct-mode client the node's address, its certificate fingerprint and a
 * short-lived query token.
 */
import { CONNECTION_MODES } from '@ferry/core';
import { z } from 'zod';
import { pageQuerySchema, pageSchema, timestampSchema } from './common.ts';
import { clusterIdSchema } from './compute.ts';
import { defineContract } from './contract.ts';
import {
  QUERY_STATES,
  queryErrorSchema,
  queryIdSchema,
  queryProfileSchema,
  queryStateSchema,
  resultColumnSchema,
  submitQueryBodySchema,
} from './worker-wire.ts';
import { workspaceParamsSchema } from './workspace-schemas.ts';

const V1 = '/api/v1';

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
  /** The result's columns and their polars dtypes. */
  schema: z.array(resultColumnSchema).nullable(),
  /** The node's $/hour × the query's running time. */
  costUsd: z.number().nullable(),
  revision: z.number().int(),
});

/** Where a query's time went (as its node reported), and its cost. */
export const queryProfileViewSchema = queryProfileSchema.extend({
  queryId: queryIdSchema,
  state: queryStateSchema,
  /** Queued to finished, milliseconds (null while it runs). */
  totalMs: z.number().nullable(),
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
    errors: [409],
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
    errors: [409],
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
    summary:
      'Long-poll: answer when the query has finished, or after waitSeconds (≤ 30); a direct-mode query not yet reported by its worker is waited for',
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
    errors: [409],
    response: queryHeadSchema,
  }),
  'queries.profile': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/queries/:queryId/profile`,
    summary: "A query's phase timings and its node's CPU and memory while it ran",
    tag: 'queries',
    params: queryParamsSchema,
    status: 200,
    response: queryProfileViewSchema,
  }),
} as const;

export type QueryView = z.infer<typeof querySchema>;
export type QueryProfileView = z.infer<typeof queryProfileViewSchema>;
export type Connection = z.infer<typeof connectionSchema>;
