/**
 * The worker's wire: its HTTPS API (direct mode, port 5051, a Bearer query token on every
 * route but `/v1/info`), what it sends to the control plane (query reports, the proxy
 * work long-poll, head uploads; authenticated like the heartbeat with the
 * `x-ferry-node-token` header), and the query fields of node registration.
 */
import {
  CONNECTION_MODES,
  CONNECTION_NAME_PATTERN,
  MAX_QUERY_CONNECTIONS,
  QUERY_KINDS,
  idPattern,
  queryEnvelopeSchema,
} from '@ferry/core';
import { z } from 'zod';
import { idSchema, timestampSchema } from './common.ts';
import { defineContract } from './contract.ts';

const V1 = '/api/v1';

/** The port the worker's HTTPS API listens on unless configured otherwise. */
export const DEFAULT_WORKER_QUERY_PORT = 5051;
/** The largest head (Arrow IPC bytes) a worker uploads to the control plane in proxy mode. */
export const MAX_HEAD_BYTES = 8 * 1024 * 1024;
/** The longest a long-poll (work, or a query's status) may wait. */
export const MAX_WAIT_SECONDS = 60;

export const queryIdSchema = idSchema('query');
export const QUERY_STATES = ['Queued', 'Running', 'Succeeded', 'Failed', 'Canceled'] as const;
export const queryStateSchema = z.enum(QUERY_STATES);
export type QueryState = (typeof QUERY_STATES)[number];
/** States a query never leaves. */
export const FINISHED_QUERY_STATES: readonly QueryState[] = ['Succeeded', 'Failed', 'Canceled'];
export const queryModeSchema = z.enum(CONNECTION_MODES);

// ---- registration (optional fields of nodes.register) ----

/** sha256 of the worker certificate's DER encoding, lower-case hex. */
export const tlsFingerprintSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { error: 'must be a sha256 fingerprint (64 lower-case hex digits)' });

/** What a node that serves queries adds to its registration. */
export const nodeQueryEndpointSchema = z.strictObject({
  port: z.number().int().min(1).max(65_535),
  tlsFingerprint: tlsFingerprintSchema,
});

/** What the control plane adds to its registration answer for query serving. */
export const registeredNodeQueryFields = {
  /** The control plane's Ed25519 public key (SPKI PEM) that signs query tokens. */
  queryTokenPublicKey: z.string().max(4096).optional(),
  connectionMode: queryModeSchema.optional(),
  /** The results bucket of the workspace's stack (see `resultsBucketName`). */
  resultsBucket: z.string().max(63).optional(),
};

// ---- the worker's HTTPS API ----

export const workerInfoSchema = z.object({
  ferryVersion: z.string(),
  polarsVersion: z.string(),
  clusterId: z.string(),
  /** The instance id of the node. */
  nodeId: z.string(),
  vcpus: z.number().int(),
  memoryMiB: z.number().int(),
});

export const submitQueryBodySchema = z.strictObject({ envelope: queryEnvelopeSchema });
export const submittedQuerySchema = z.object({ queryId: queryIdSchema });

/** A column of a result. */
export const resultColumnSchema = z.object({ name: z.string(), dtype: z.string() });

/** Where the time of a query went (milliseconds), and the node while it ran. */
export const queryProfileSchema = z.object({
  phases: z.object({
    queueWaitMs: z.number().optional(),
    planCheckMs: z.number().optional(),
    credentialInjectionMs: z.number().optional(),
    executionMs: z.number().optional(),
    resultWriteMs: z.number().optional(),
    uploadMs: z.number().optional(),
  }),
  /** The node's CPU and memory while the query ran (about one a second). */
  samples: z
    .array(
      z.object({
        at: timestampSchema,
        cpuPercent: z.number(),
        memoryUsedBytes: z.number(),
      }),
    )
    .max(3600)
    .default([]),
  engine: z.enum(['streaming', 'in-memory']).optional(),
});

/** A query's error: ferry's code, and polars' message verbatim when polars failed. */
export const queryErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  /** Fields or plan locations at fault (plan safety, validation). */
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** A query's status as the worker tells it (and reports it). */
export const workerQueryStatusSchema = z.object({
  queryId: queryIdSchema,
  kind: z.enum(QUERY_KINDS),
  state: queryStateSchema,
  queuedAt: timestampSchema,
  startedAt: timestampSchema.nullable(),
  finishedAt: timestampSchema.nullable(),
  error: queryErrorSchema.nullable(),
  optimizedPlan: z.string().nullable(),
  rowCount: z.number().int().nullable(),
  /** Bytes of the result written to S3. */
  bytes: z.number().int().nullable(),
  /** s3:// location of the full result (the sink's, or the results bucket's). */
  location: z.string().nullable(),
  schema: z.array(resultColumnSchema).nullable(),
  /** Rows in the head (0 when none was kept). */
  headRows: z.number().int().nullable(),
  profile: queryProfileSchema.nullable(),
  labels: z.record(z.string(), z.string()),
});

export const queryStatusQuerySchema = z.strictObject({
  waitSeconds: z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS).optional(),
});

/** Short-lived presigned GET URLs of a result's files (signed with the Worker role). */
export const resultUrlsSchema = z.object({
  format: z.enum(['parquet', 'csv', 'ipc', 'ndjson']),
  expiresAt: timestampSchema,
  files: z.array(
    z.object({ location: z.string(), url: z.string(), bytes: z.number().int().nullable() }),
  ),
});

// ---- worker → control plane ----

/** `PUT /api/v1/nodes/queries/:queryId`: idempotent; reports only move a query forward. */
export const queryReportBodySchema = workerQueryStatusSchema.omit({ queryId: true }).extend({
  clusterId: z.string(),
  instanceId: z.string(),
  mode: queryModeSchema,
  /** The actor of the query: the token's `sub` (direct) or the submission's (proxy). */
  actorId: z.string(),
});

export const nodeQueryParamsSchema = z.strictObject({ queryId: queryIdSchema });

export const workPollQuerySchema = z.strictObject({
  waitSeconds: z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS).optional(),
});

/** The answer of the work long-poll: proxy submissions, and cancels in either mode. */
export const workPollAnswerSchema = z.object({
  queries: z.array(
    z.object({ queryId: queryIdSchema, envelope: queryEnvelopeSchema, actorId: z.string() }),
  ),
  cancel: z.array(queryIdSchema),
});

/** `PUT /api/v1/nodes/queries/:queryId/head` (proxy mode): the head and the result's URLs. */
export const headUploadBodySchema = z.strictObject({
  /** Arrow IPC stream bytes (zstd-compressed buffers), base64. */
  arrowIpcBase64: z
    .string()
    .max(Math.ceil(MAX_HEAD_BYTES / 3) * 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'must be base64' }),
  rows: z.number().int().min(0),
  resultUrls: resultUrlsSchema.nullable(),
});

/** `POST /api/v1/nodes/queries/:queryId/connections`: the sessions of a query's connections. */
export const connectionGrantBodySchema = z.strictObject({
  connections: z
    .array(
      z
        .string()
        .min(1)
        .max(64)
        .regex(CONNECTION_NAME_PATTERN, { error: 'lower-case letters, digits, - and _ only' }),
    )
    .min(1)
    .max(MAX_QUERY_CONNECTIONS),
  /** Direct mode: the client's query token (it proves the actor); absent in proxy mode. */
  queryToken: z.string().min(1).max(8192).optional(),
});

/** One connection's session for one query: read-only under `prefix` of `bucket`. */
export const connectionGrantSchema = z.object({
  name: z.string(),
  bucket: z.string(),
  /** The prefix the session may read under (`''`: the whole bucket). */
  prefix: z.string(),
  region: z.string(),
  credentials: z.object({
    accessKeyId: z.string(),
    secretAccessKey: z.string(),
    sessionToken: z.string().optional(),
    expiration: timestampSchema.optional(),
  }),
});

export const connectionGrantAnswerSchema = z.object({
  connections: z.array(connectionGrantSchema),
});

/**
 * The node routes the worker calls for queries. The control plane serves them
 * (public like the heartbeat: the `x-ferry-node-token` header authenticates the node).
 */
export const workerWireContracts = {
  'nodes.queries.report': defineContract({
    method: 'PUT',
    path: `${V1}/nodes/queries/:queryId`,
    summary: "A worker node reports a query's record (header x-ferry-node-token)",
    tag: 'nodes',
    params: nodeQueryParamsSchema,
    body: queryReportBodySchema,
    status: 204,
    errors: [401, 403, 409],
    public: true,
  }),
  'nodes.work': defineContract({
    method: 'GET',
    path: `${V1}/nodes/work`,
    summary: "A worker node long-polls its cluster's work: proxy submissions and cancels",
    tag: 'nodes',
    query: workPollQuerySchema,
    status: 200,
    errors: [401, 403, 409],
    response: workPollAnswerSchema,
    public: true,
  }),
  'nodes.queries.head': defineContract({
    method: 'PUT',
    path: `${V1}/nodes/queries/:queryId/head`,
    summary: "A worker node uploads a proxy query's head and result URLs",
    tag: 'nodes',
    params: nodeQueryParamsSchema,
    body: headUploadBodySchema,
    status: 204,
    errors: [401, 403, 409],
    public: true,
  }),
  'nodes.queries.connections': defineContract({
    method: 'POST',
    path: `${V1}/nodes/queries/:queryId/connections`,
    summary:
      'A worker node gets the sessions of the data connections a query reads through (header x-ferry-node-token)',
    tag: 'nodes',
    params: nodeQueryParamsSchema,
    body: connectionGrantBodySchema,
    status: 200,
    errors: [401, 403, 404, 409],
    response: connectionGrantAnswerSchema,
    public: true,
  }),
} as const;

/** The worker's own HTTPS API paths (not part of /api/v1). */
export const WORKER_API_PATHS = {
  info: '/v1/info',
  submit: '/v1/queries',
  status: '/v1/queries/:queryId',
  head: '/v1/queries/:queryId/head',
  resultUrls: '/v1/queries/:queryId/result-urls',
  cancel: '/v1/queries/:queryId/cancel',
  profile: '/v1/queries/:queryId/profile',
} as const;

/** The content type of a head: an Arrow IPC stream. */
export const ARROW_STREAM_CONTENT_TYPE = 'application/vnd.apache.arrow.stream';

export function isQueryId(value: unknown): value is string {
  return typeof value === 'string' && idPattern('query').test(value);
}

export type WorkerInfo = z.infer<typeof workerInfoSchema>;
export type WorkerQueryStatus = z.infer<typeof workerQueryStatusSchema>;
export type QueryProfile = z.infer<typeof queryProfileSchema>;
export type QueryError = z.infer<typeof queryErrorSchema>;
export type ResultUrls = z.infer<typeof resultUrlsSchema>;
export type QueryReportBody = z.infer<typeof queryReportBodySchema>;
export type WorkPollAnswer = z.infer<typeof workPollAnswerSchema>;
export type HeadUploadBody = z.infer<typeof headUploadBodySchema>;
export type NodeQueryEndpoint = z.infer<typeof nodeQueryEndpointSchema>;
export type ConnectionGrant = z.infer<typeof connectionGrantSchema>;
export type ConnectionGrantAnswer = z.infer<typeof connectionGrantAnswerSchema>;
