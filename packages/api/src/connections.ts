/**
 * Data connections: S3 buckets and Kinesis streams in any account, reached through a role
 * the data owner creates (assumed with an external ID ferry reserved) or, for S3 only,
 * access keys. Prepared, tested before they are saved, re-tested daily.
 */
import { z } from 'zod';
import { awsRegionSchema, bucketNameSchema } from './aws-setup.ts';
import { pageQuerySchema, pageSchema, timestampSchema } from './common.ts';
import { defineContract } from './contract.ts';
import { workspaceParamsSchema } from './workspace-schemas.ts';

const V1 = '/api/v1';

/** A connection's name: unique in its workspace, immutable, used in queries. */
export const connectionNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, { error: 'lower-case letters, digits, - and _ only' });

/** An S3 key prefix: a folder, so that `events/` cannot also reach `events-private/`. */
export const s3PrefixSchema = z
  .string()
  .min(2)
  .max(512)
  .regex(/^[^/*?]/, { error: 'must not start with / (keys have no leading slash)' })
  .regex(/^[^*?]*$/, { error: 'must not contain * or ? (a prefix, not a pattern)' })
  .regex(/\/$/, { error: 'must end with / (a folder, e.g. events/)' });

const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'];

/** An IAM role ARN, checked part by part so the error says which part is wrong. */
export const roleArnSchema = z.string().superRefine((arn, ctx) => {
  const parts = arn.split(':');
  const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
  if (parts.length !== 6 || parts[0] !== 'arn')
    return problem('must be a role ARN like arn:aws:iam::123456789012:role/ferry-sales');
  if (!PARTITIONS.includes(parts[1]!))
    return problem(`partition "${parts[1]}" is not one of ${PARTITIONS.join(', ')}`);
  if (parts[2] !== 'iam') return problem(`service "${parts[2]}" must be iam`);
  if (parts[3] !== '') return problem('IAM ARNs have no region (arn:aws:iam::…)');
  if (!/^\d{12}$/.test(parts[4]!)) return problem('account must be 12 digits');
  if (!/^role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/.test(parts[5]!))
    return problem('resource must be role/<name> (a role, not a user or an assumed-role)');
});

/** The ID ferry reserved for a connection with `prepare`. */
export const externalIdSchema = z
  .string()
  .regex(/^ferry-[A-Za-z0-9_-]{20,100}$/, { error: 'must be an external ID from prepare' });

/** A Kinesis stream: its name, or its ARN. */
export const kinesisStreamSchema = z.union(
  [
    z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/),
    z
      .string()
      .regex(/^arn:aws(-cn|-us-gov)?:kinesis:[a-z0-9-]+:\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/),
  ],
  { error: 'must be a stream name or arn:aws:kinesis:<region>:<account>:stream/<name>' },
);

export const s3TargetSchema = z.strictObject({
  type: z.literal('s3'),
  bucket: bucketNameSchema,
  /** Bounds what the connection may read; the whole bucket when absent. */
  prefix: s3PrefixSchema.optional(),
  /** Where the connection may write (landed data); read-only when absent. */
  writePrefix: s3PrefixSchema.optional(),
  region: awsRegionSchema,
});

export const kinesisTargetSchema = z.strictObject({
  type: z.literal('kinesis'),
  stream: kinesisStreamSchema,
  region: awsRegionSchema,
});

/** What a connection reaches. */
export const connectionTargetSchema = z.discriminatedUnion('type', [
  s3TargetSchema,
  kinesisTargetSchema,
]);

/** Long-term access keys (S3 only, not recommended). */
export const accessKeysSchema = z.strictObject({
  accessKeyId: z
    .string()
    .regex(/^AKIA[A-Z0-9]{16}$/, { error: 'must be a long-term access key id (AKIA…)' }),
  secretAccessKey: z
    .string()
    .regex(/^[A-Za-z0-9/+=]{40}$/, { error: 'must be a 40-character secret access key' }),
});

/** How ferry authenticates: a role with the reserved external ID, or access keys. */
export const connectionAuthSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('role'), roleArn: roleArnSchema, externalId: externalIdSchema }),
  z.strictObject({ kind: z.literal('accessKeys'), ...accessKeysSchema.shape }),
]);

export const connectionStateSchema = z.enum(['Verified', 'Unverified', 'Failing']);

/** One check of a connection test. */
export const connectionCheckSchema = z.object({
  name: z.string(),
  outcome: z.enum(['pass', 'fail', 'skipped']),
  /** The IAM action the check needs, when it calls one. */
  action: z.string().nullable(),
  awsErrorCode: z.string().nullable(),
  message: z.string(),
  /** On a failed permission: the statement of the connection's policy that grants it. */
  missingStatement: z.record(z.string(), z.unknown()).nullable(),
});

export const connectionTestSchema = z.object({
  ok: z.boolean(),
  testedAt: timestampSchema,
  checks: z.array(connectionCheckSchema),
});

/** The policies the data owner copies (the trust parts are null for access keys). */
export const connectionPoliciesSchema = z.object({
  principalArn: z.string().nullable(),
  externalId: z.string().nullable(),
  roleName: z.string().nullable(),
  trustPolicy: z.record(z.string(), z.unknown()).nullable(),
  permissionsPolicy: z.record(z.string(), z.unknown()),
  cloudFormationTemplate: z.record(z.string(), z.unknown()).nullable(),
  createRoleCommand: z.string().nullable(),
});

export const connectionTargetViewSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('s3'),
    bucket: z.string(),
    prefix: z.string().nullable(),
    writePrefix: z.string().nullable(),
    region: z.string(),
  }),
  z.object({
    type: z.literal('kinesis'),
    stream: z.string(),
    streamArn: z.string().nullable(),
    region: z.string(),
  }),
]);

export const connectionAuthViewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('role'), roleArn: z.string(), externalId: z.string() }),
  z.object({
    kind: z.literal('accessKeys'),
    /** The last four characters of the key id; the keys themselves are never returned. */
    accessKeyIdHint: z.string(),
    notRecommended: z.literal(true),
    warning: z.string(),
  }),
]);

export const dataConnectionSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  name: z.string(),
  description: z.string(),
  target: connectionTargetViewSchema,
  auth: connectionAuthViewSchema,
  state: connectionStateSchema,
  stateReason: z.string().nullable(),
  lastTest: connectionTestSchema.nullable(),
  createdBy: z.string(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});

export const connectionDetailSchema = dataConnectionSchema.extend({
  policies: connectionPoliciesSchema,
});

export const connectionParamsSchema = z.strictObject({
  workspaceId: workspaceParamsSchema.shape.workspaceId,
  connectionName: connectionNameSchema,
});

export const prepareConnectionBodySchema = z.strictObject({
  target: connectionTargetSchema,
  /** Names the suggested role (`ferry-<name>`). */
  name: connectionNameSchema.optional(),
  /** The data owner's account: needed for a Kinesis stream given by name. */
  accountId: z
    .string()
    .regex(/^\d{12}$/, { error: 'must be a 12-digit account id' })
    .optional(),
});

export const preparedConnectionSchema = z.object({
  workspaceId: z.string(),
  policies: connectionPoliciesSchema,
});

export const testConnectionBodySchema = z.strictObject({
  target: connectionTargetSchema,
  auth: connectionAuthSchema,
});

export const createConnectionBodySchema = z.strictObject({
  name: connectionNameSchema,
  description: z.string().max(1000).optional(),
  target: connectionTargetSchema,
  auth: connectionAuthSchema,
  /** Save without a passing test; the connection is then Unverified. */
  skipTest: z.boolean().optional(),
});

export const rotateConnectionKeysBodySchema = z.strictObject({
  ...accessKeysSchema.shape,
  skipTest: z.boolean().optional(),
});

/** The contracts of the connection routes. */
export const connectionContracts = {
  'connections.prepare': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/connections/prepare`,
    summary:
      'Reserve an external ID and render the trust and permissions policies for a connection, before its role exists',
    tag: 'connections',
    params: workspaceParamsSchema,
    body: prepareConnectionBodySchema,
    status: 201,
    response: preparedConnectionSchema,
    idempotent: true,
    errors: [409],
  }),
  'connections.test': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/connections/test`,
    summary:
      'Test a connection before saving it: assume (and the confused-deputy check), then one trial call per permission',
    tag: 'connections',
    params: workspaceParamsSchema,
    body: testConnectionBodySchema,
    status: 200,
    response: connectionTestSchema,
    errors: [409],
  }),
  'connections.create': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/connections`,
    summary: 'Save a connection after a passing test (or Unverified with skipTest)',
    tag: 'connections',
    params: workspaceParamsSchema,
    body: createConnectionBodySchema,
    status: 201,
    response: connectionDetailSchema,
    idempotent: true,
    errors: [409],
  }),
  'connections.list': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/connections`,
    summary: "A workspace's connections by name",
    tag: 'connections',
    params: workspaceParamsSchema,
    query: pageQuerySchema,
    status: 200,
    response: pageSchema(dataConnectionSchema),
  }),
  'connections.get': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/connections/:connectionName`,
    summary: 'A connection, its last test and the policies to copy',
    tag: 'connections',
    params: connectionParamsSchema,
    status: 200,
    response: connectionDetailSchema,
  }),
  'connections.retest': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/connections/:connectionName/test`,
    summary: 'Test a saved connection now; its state follows the result',
    tag: 'connections',
    params: connectionParamsSchema,
    status: 200,
    response: connectionDetailSchema,
    errors: [409],
  }),
  'connections.rotateKeys': defineContract({
    method: 'PUT',
    path: `${V1}/workspaces/:workspaceId/connections/:connectionName/access-keys`,
    summary: "Replace an access-key connection's keys (tested first unless skipTest)",
    tag: 'connections',
    params: connectionParamsSchema,
    body: rotateConnectionKeysBodySchema,
    status: 200,
    response: connectionDetailSchema,
    errors: [409],
  }),
  'connections.delete': defineContract({
    method: 'DELETE',
    path: `${V1}/workspaces/:workspaceId/connections/:connectionName`,
    summary: 'Delete a connection (its stored keys are erased)',
    tag: 'connections',
    params: connectionParamsSchema,
    status: 204,
  }),
} as const;

/** A connection as the API returns it. */
export type DataConnection = z.infer<typeof dataConnectionSchema>;
/** A connection with its policies. */
export type DataConnectionDetail = z.infer<typeof connectionDetailSchema>;
/** A connection test's answer. */
export type ConnectionTest = z.infer<typeof connectionTestSchema>;
/** What a connection reaches, as clients send it. */
export type ConnectionTargetInput = z.infer<typeof connectionTargetSchema>;
/** How a connection authenticates, as clients send it. */
export type ConnectionAuthInput = z.infer<typeof connectionAuthSchema>;
