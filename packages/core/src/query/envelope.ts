/**
 * The envelope every remote query travels in. A serialized polars plan carries no version
 * of its own, and a JSON plan from another polars version is often accepted silently and
 * may run differently, so ferry wraps each plan with the ferry and polars versions it was
 * built with and refuses a mismatch on both sides (the SDK before sending, the worker on
 * receipt).
 */
import { z } from 'zod';

export const QUERY_FORMATS = ['polars-json'] as const;
export const QUERY_KINDS = ['plan', 'sql'] as const;
export const SINK_FORMATS = ['parquet', 'csv', 'ipc', 'ndjson'] as const;
export const QUERY_ENGINES = ['auto', 'streaming', 'in-memory'] as const;

export type QueryKind = (typeof QUERY_KINDS)[number];
export type SinkFormat = (typeof SINK_FORMATS)[number];
export type QueryEngine = (typeof QUERY_ENGINES)[number];

/** Rows shipped inline with a result unless the query asks otherwise. */
export const DEFAULT_HEAD_ROWS = 100;
/** The most rows a query may ask to ship inline. */
export const MAX_HEAD_ROWS = 10_000;
/** The largest plan text accepted (bytes of UTF-8); in-memory frames are bounded apart. */
export const MAX_PLAN_BYTES = 16 * 1024 * 1024;
export const MAX_SQL_LENGTH = 1024 * 1024;
/** A query's timeout when it names none, and the longest it may name. */
export const DEFAULT_QUERY_TIMEOUT_SECONDS = 3600;
export const MAX_QUERY_TIMEOUT_SECONDS = 24 * 3600;

const labelsSchema = z
  .record(
    z
      .string()
      .min(1)
      .max(63)
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9._/-]*$/, { error: 'letters, digits, . _ / - only' }),
    z.string().max(256),
  )
  .refine((labels) => Object.keys(labels).length <= 32, { error: 'at most 32 labels' });

const versionSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[0-9A-Za-z.+-]+$/, { error: 'must be a version such as 0.26.1' });

export const sinkSchema = z.strictObject({
  format: z.enum(SINK_FORMATS),
  uri: z
    .string()
    .max(2048)
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, {
      error: 'must be an s3:// location (s3://bucket/key)',
    }),
});

/** A data connection's name (as the workspace's connections name them). */
export const CONNECTION_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
/** The most connections one query may name. */
export const MAX_QUERY_CONNECTIONS = 16;

/** The envelope as it travels (JSON). */
export const queryEnvelopeSchema = z
  .strictObject({
    ferryVersion: versionSchema,
    polarsVersion: versionSchema,
    format: z.enum(QUERY_FORMATS),
    kind: z.enum(QUERY_KINDS),
    /** kind `plan`: `lf.serialize('json')` as UTF-8 text. */
    plan: z.string().min(1).max(MAX_PLAN_BYTES).optional(),
    /** kind `sql`. */
    sql: z.string().min(1).max(MAX_SQL_LENGTH).optional(),
    /** Where the whole result goes instead of the results bucket (s3:// only). */
    sink: sinkSchema.optional(),
    engine: z.enum(QUERY_ENGINES).optional(),
    headRows: z.number().int().min(0).max(MAX_HEAD_ROWS).optional(),
    timeoutSeconds: z.number().int().min(1).max(MAX_QUERY_TIMEOUT_SECONDS).optional(),
    labels: labelsSchema.optional(),
    /**
     * The data connections the query reads through (names only): the control plane checks
     * `connections:use` and hands the worker each one's session, never the client.
     */
    connections: z
      .array(
        z
          .string()
          .min(1)
          .max(64)
          .regex(CONNECTION_NAME_PATTERN, { error: 'lower-case letters, digits, - and _ only' }),
      )
      .min(1)
      .max(MAX_QUERY_CONNECTIONS)
      .refine((names) => new Set(names).size === names.length, {
        error: 'names a connection twice',
      })
      .optional(),
  })
  .superRefine((e, ctx) => {
    if (e.kind === 'plan' && e.plan === undefined)
      ctx.addIssue({ code: 'custom', path: ['plan'], message: "is required when kind is 'plan'" });
    if (e.kind === 'plan' && e.sql !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['sql'],
        message: "must be absent when kind is 'plan'",
      });
    if (e.kind === 'sql' && e.sql === undefined)
      ctx.addIssue({ code: 'custom', path: ['sql'], message: "is required when kind is 'sql'" });
    if (e.kind === 'sql' && e.plan !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['plan'],
        message: "must be absent when kind is 'sql'",
      });
  });

export type QueryEnvelope = z.infer<typeof queryEnvelopeSchema>;

/** The versions a side runs. */
export interface QueryRuntimeVersions {
  readonly ferryVersion: string;
  readonly polarsVersion: string;
}

/** Why an envelope was refused for its versions. */
export interface VersionMismatch {
  readonly code: 'version_mismatch';
  readonly message: string;
  readonly client: QueryRuntimeVersions;
  readonly cluster: QueryRuntimeVersions;
}

/**
 * Null when the client's versions equal the cluster's; otherwise the refusal, naming both
 * versions and the command that makes the client match the cluster.
 */
export function checkEnvelopeVersions(
  client: QueryRuntimeVersions,
  cluster: QueryRuntimeVersions,
): VersionMismatch | null {
  const parts: string[] = [];
  if (client.ferryVersion !== cluster.ferryVersion)
    parts.push(
      `ferry ${client.ferryVersion} on the client, ${cluster.ferryVersion} on the cluster`,
    );
  if (client.polarsVersion !== cluster.polarsVersion)
    parts.push(
      `nodejs-polars ${client.polarsVersion} on the client, ${cluster.polarsVersion} on the cluster`,
    );
  if (parts.length === 0) return null;
  const fix = `npm install @ferry/sdk@${cluster.ferryVersion} nodejs-polars@${cluster.polarsVersion}`;
  return {
    code: 'version_mismatch',
    message: `Version mismatch: ${parts.join('; ')}. A plan built by one version may run differently on another, so it is refused. Run \`${fix}\` to match the cluster.`,
    client: { ferryVersion: client.ferryVersion, polarsVersion: client.polarsVersion },
    cluster: { ferryVersion: cluster.ferryVersion, polarsVersion: cluster.polarsVersion },
  };
}
