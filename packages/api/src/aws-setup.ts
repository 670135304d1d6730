/** Connecting a workspace to AWS: start the setup, follow its stages, verify it. */
import { z } from 'zod';
import { defineContract } from './contract.ts';
import { timestampSchema } from './common.ts';
import { workspaceParamsSchema, workspaceStateSchema } from './workspace-schemas.ts';

const V1 = '/api/v1';

/** An AWS region name, e.g. `eu-west-1`. */
export const awsRegionSchema = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'must be an AWS region like eu-west-1' });

/** IPv4 CIDR, e.g. `203.0.113.0/24`. */
export const ipv4CidrSchema = z
  .string()
  .regex(/^(\d{1,3})(\.\d{1,3}){3}\/(\d|[12]\d|3[0-2])$/, {
    error: 'must be an IPv4 CIDR like 203.0.113.0/24',
  })
  .refine(
    (s) =>
      s
        .split('/')[0]!
        .split('.')
        .every((o) => Number(o) <= 255),
    {
      error: 'must be an IPv4 CIDR like 203.0.113.0/24',
    },
  );

/** An S3 bucket name as AWS accepts it. */
export const bucketNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'must be an S3 bucket name' });

/** Where the workers run: a new VPC, or an existing one with its subnets. */
export const awsNetworkSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('new') }),
  z.strictObject({
    kind: z.literal('existing'),
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { error: 'must be a VPC id like vpc-0abc…' }),
    subnetIds: z
      .array(
        z
          .string()
          .regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'must be a subnet id like subnet-0abc…' }),
      )
      .min(1)
      .max(16),
  }),
]);

export const startAwsSetupBodySchema = z.strictObject({
  region: awsRegionSchema,
  network: awsNetworkSchema,
  allowedClientCidr: ipv4CidrSchema,
  workerBuckets: z.array(bucketNameSchema).max(20).default([]),
});

export const awsSetupStatusSchema = z.enum([
  'pending',
  'connected',
  'verifying',
  'active',
  'degraded',
  'failed',
  'disconnected',
]);

export const awsSetupStageSchema = z.object({
  stage: z.string(),
  at: timestampSchema,
  requestType: z.string(),
});

export const awsSetupCheckSchema = z.object({
  name: z.string(),
  role: z.string().nullable(),
  outcome: z.enum(['pass', 'fail', 'skipped']),
  awsErrorCode: z.string().nullable(),
  message: z.string(),
  fixHint: z.string().nullable(),
});

/** How to deploy the stack: every way an admin (or their ops team) may use. */
export const awsSetupInstructionsSchema = z.object({
  externalId: z.string(),
  region: z.string(),
  stackName: z.string(),
  templateUrl: z.string(),
  quickCreateUrl: z.string(),
  parameters: z.array(z.object({ ParameterKey: z.string(), ParameterValue: z.string() })),
  createStackCommand: z.string(),
  templateJson: z.string(),
  templateYaml: z.string(),
});

export const awsSetupSchema = z.object({
  workspaceId: z.string(),
  workspaceState: workspaceStateSchema,
  status: awsSetupStatusSchema,
  reason: z.string().nullable(),
  /** Null unless the caller may manage the connection (`workspace:manage`). */
  externalId: z.string().nullable(),
  region: z.string(),
  accountId: z.string().nullable(),
  stages: z.array(awsSetupStageSchema),
  outputs: z.record(z.string(), z.unknown()),
  checks: z.array(awsSetupCheckSchema),
  verifiedAt: timestampSchema.nullable(),
  /** Changes whenever anything above changes; pass it back as `after` to wait for news. */
  revision: z.string(),
});

/** Long-poll: answer once the setup's revision differs from `after`, or after `waitSeconds`. */
export const awsSetupWaitQuerySchema = z.strictObject({
  after: z
    .string()
    .regex(/^[0-9a-f]{16}$/, { error: 'must be a revision returned by this endpoint' })
    .optional(),
  waitSeconds: z.coerce.number().int().min(0).max(30).optional(),
});

export const startedAwsSetupSchema = awsSetupSchema.extend({
  instructions: awsSetupInstructionsSchema,
  /** Hand this to the ops team: it shows the instructions without dashboard access. */
  setupLink: z.string(),
  setupLinkExpiresAt: timestampSchema,
});

export const awsSetupLinkQuerySchema = z.strictObject({
  token: z
    .string()
    .regex(/^ferry_setup_[A-Za-z0-9_-]{20,100}$/, { error: 'must be a setup link token' }),
});

/** One permission a stack update grants or takes away. */
export const awsPermissionChangeSchema = z.object({
  /** The principal column of the IAM table, e.g. `AWS:${UserInitiatedRole}`. */
  principal: z.string(),
  action: z.string(),
});

/** A newer template than the workspace's stack, and what updating to it changes. */
export const awsStackUpdateSchema = z.object({
  workspaceId: z.string(),
  stackName: z.string(),
  /** The version the stack reported when it last phoned home. */
  deployedVersion: z.string(),
  latestVersion: z.string(),
  upToDate: z.boolean(),
  /** The permission/security table of `@aws-cdk/cloudformation-diff`, as rows and as text. */
  iamChanges: z.object({
    rows: z.array(z.array(z.string())),
    text: z.string(),
    added: z.array(awsPermissionChangeSchema),
    removed: z.array(awsPermissionChangeSchema),
  }),
  resourceChanges: z.array(
    z.object({
      logicalId: z.string(),
      resourceType: z.string(),
      change: z.enum(['added', 'removed', 'updated']),
    }),
  ),
  /** The latest template (presigned); null when the stack is up to date. */
  templateUrl: z.string().nullable(),
  /** `aws cloudformation update-stack …` keeping every parameter; null when up to date. */
  updateStackCommand: z.string().nullable(),
  /** The console's update-stack page with the new template; null when up to date. */
  updateUrl: z.string().nullable(),
});

/** The contracts of the AWS setup routes. */
export const awsSetupContracts = {
  'awsSetup.start': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/aws-setup`,
    summary: 'Start connecting a workspace to AWS: external ID, template, quick-create link',
    tag: 'aws',
    params: workspaceParamsSchema,
    body: startAwsSetupBodySchema,
    status: 201,
    response: startedAwsSetupSchema,
    errors: [409],
  }),
  'awsSetup.get': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/aws-setup`,
    summary:
      'Status of the AWS connection: stages received and verification checks (long-poll with after + waitSeconds)',
    tag: 'aws',
    params: workspaceParamsSchema,
    query: awsSetupWaitQuerySchema,
    status: 200,
    response: awsSetupSchema,
  }),
  'awsSetup.verify': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/aws-setup/verify`,
    summary: 'Verify the AWS connection now (roles, external ID, permissions, denials)',
    tag: 'aws',
    params: workspaceParamsSchema,
    status: 200,
    response: awsSetupSchema,
    errors: [409],
  }),
  'awsSetup.update': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/aws-setup/update`,
    summary:
      'Whether a newer template is available for the workspace’s stack, the permission and resource diff, and how to update',
    tag: 'aws',
    params: workspaceParamsSchema,
    status: 200,
    response: awsStackUpdateSchema,
    errors: [409],
  }),
  'awsSetup.link': defineContract({
    method: 'GET',
    path: `${V1}/aws-setup-link`,
    summary: 'The setup instructions behind an expiring setup link (for an ops team)',
    tag: 'aws',
    query: awsSetupLinkQuerySchema,
    status: 200,
    response: awsSetupInstructionsSchema,
    public: true,
    errors: [404],
  }),
} as const;
