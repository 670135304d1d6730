/**
 * Starting and reading a workspace's AWS setup: a fresh external ID (never reused), the
 * template uploaded to the platform's bucket behind a presigned URL, the quick-create link,
 * the awscli command, an expiring setup link for the ops team; the workspace goes Pending.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { WorkspaceState } from '@ferry/core';
import { NotFoundError } from '@ferry/core';
import type {
  AwsSetupCheckRecord,
  AwsSetupStageRecord,
  AwsSetupStatus,
} from '../db/tables/index.ts';
import type { Resources } from '../resources.ts';
import { setWorkspaceState } from '../workspaces/workspaces.ts';
import { loadPlatform } from './platform-init.ts';
import {
  createStackCommand,
  quickCreateUrl,
  stackParameters,
  templateTexts,
  type SetupInstructions,
  type SetupRequest,
} from './setup-instructions.ts';

/** The setup as the API shows it. */
export interface AwsSetupView {
  workspaceId: string;
  workspaceState: WorkspaceState;
  status: AwsSetupStatus;
  reason: string | null;
  externalId: string;
  region: string;
  accountId: string | null;
  stages: AwsSetupStageRecord[];
  outputs: Record<string, unknown>;
  checks: AwsSetupCheckRecord[];
  verifiedAt: string | null;
  /** A digest of everything above: long-pollers wait until it changes. */
  revision: string;
}

/** A started setup: the view plus how to deploy. */
export interface StartedAwsSetup extends AwsSetupView {
  instructions: SetupInstructions;
  setupLink: string;
  setupLinkExpiresAt: string;
}

/** Presigned template URLs last as long as SigV4 allows (7 days). */
const TEMPLATE_URL_SECONDS = 7 * 24 * 3600;

/** A new external ID: 43 random base64url characters after `ferry-` (STS's allowed set). */
export function newExternalId(): string {
  return `ferry-${randomBytes(32).toString('base64url')}`;
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** The stack name ferry suggests for a workspace. */
export const stackNameFor = (workspaceId: string): string =>
  `ferry-${workspaceId.replace(/_/g, '-')}`;

/** Starts (or restarts, with a new external ID) the setup of a workspace. */
export async function startAwsSetup(
  resources: Resources,
  input: { workspaceId: string; orgId: string; request: SetupRequest; now: Date },
): Promise<StartedAwsSetup> {
  const { clients } = resources.aws;
  const platform = await loadPlatform(resources);
  const db = resources.db;
  const externalId = newExternalId();
  const linkToken = `ferry_setup_${randomBytes(24).toString('base64url')}`;
  const linkExpires = new Date(input.now.getTime() + resources.aws.options.setupLinkTtlMs);
  const parameters = stackParameters({
    workspaceId: input.workspaceId,
    externalId,
    principalArn: platform.principalArn,
    topicArn: platform.topicArn,
    request: input.request,
  });
  const texts = templateTexts(
    input.request,
    parameters,
    resources.aws.options.templatePermissions,
    resources.aws.options.templateResultsBucket,
  );
  const key = `workspaces/${input.workspaceId}/${hashToken(externalId).slice(0, 16)}.json`;
  const s3 = clients.s3();
  let templateUrl: string;
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: platform.templateBucket,
        Key: key,
        Body: texts.json,
        ContentType: 'application/json',
      }),
    );
    templateUrl = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: platform.templateBucket, Key: key }),
      { expiresIn: TEMPLATE_URL_SECONDS },
    );
  } finally {
    s3.destroy();
  }
  const stackName = stackNameFor(input.workspaceId);
  const endpointUrl = resources.config.aws.endpointUrl;
  const linkInput = {
    endpointUrl,
    region: input.request.region,
    templateUrl,
    stackName,
    parameters,
  };
  const instructions: SetupInstructions = {
    externalId,
    region: input.request.region,
    stackName,
    templateUrl,
    quickCreateUrl: quickCreateUrl(linkInput),
    parameters,
    createStackCommand: createStackCommand(linkInput),
    templateJson: texts.json,
    templateYaml: texts.yaml,
  };
  await db.transaction().execute(async (trx) => {
    // The primary key makes an external ID unique for ever, across workspaces and restarts.
    await trx
      .insertInto('aws_external_ids')
      .values({ external_id: externalId, workspace_id: input.workspaceId, created_at: input.now })
      .execute();
    const row = {
      workspace_id: input.workspaceId,
      org_id: input.orgId,
      external_id: externalId,
      region: input.request.region,
      request: JSON.stringify({ ...input.request, instructions }),
      status: 'pending' as const,
      reason: null,
      account_id: null,
      stages: '[]',
      outputs: '{}',
      checks: '[]',
      setup_link_hash: hashToken(linkToken),
      setup_link_expires_at: linkExpires,
      connected_at: null,
      verified_at: null,
      created_at: input.now,
      updated_at: input.now,
    };
    await trx
      .insertInto('aws_setups')
      .values(row)
      .onConflict((oc) => oc.column('workspace_id').doUpdateSet(row))
      .execute();
  });
  await moveWorkspace(resources, input.workspaceId, 'Pending', input.now);
  const view = await getAwsSetup(resources, input.workspaceId);
  return {
    ...view,
    instructions,
    setupLink: `${resources.config.publicUrl}/api/v1/aws-setup-link?token=${linkToken}`,
    setupLinkExpiresAt: linkExpires.toISOString(),
  };
}

/** Moves the workspace if it is not there yet (the state machine checks the step). */
export async function moveWorkspace(
  resources: Resources,
  workspaceId: string,
  to: Exclude<WorkspaceState, 'Deleted'>,
  now: Date,
): Promise<void> {
  const row = await resources.db
    .selectFrom('workspaces')
    .select('state')
    .where('id', '=', workspaceId)
    .executeTakeFirst();
  if (row === undefined || row.state === to) return;
  // Active cannot fail directly: it degrades first.
  if (row.state === 'Active' && to === 'Failed') {
    await setWorkspaceState(resources.db, workspaceId, 'Degraded', now);
  }
  await setWorkspaceState(resources.db, workspaceId, to, now);
}

/** The setup of a workspace as the API shows it. */
export async function getAwsSetup(
  resources: Resources,
  workspaceId: string,
): Promise<AwsSetupView> {
  const row = await resources.db
    .selectFrom('aws_setups')
    .innerJoin('workspaces', 'workspaces.id', 'aws_setups.workspace_id')
    .selectAll('aws_setups')
    .select('workspaces.state as workspace_state')
    .where('aws_setups.workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError('This workspace has no AWS setup yet.');
  const view = {
    workspaceId: row.workspace_id,
    workspaceState: row.workspace_state,
    status: row.status,
    reason: row.reason,
    externalId: row.external_id,
    region: row.region,
    accountId: row.account_id,
    stages: row.stages,
    outputs: row.outputs,
    checks: row.checks,
    verifiedAt: row.verified_at ? new Date(row.verified_at).toISOString() : null,
  };
  const revision = createHash('sha256').update(JSON.stringify(view)).digest('hex').slice(0, 16);
  return { ...view, revision };
}

const WAIT_POLL_MS = 500;

/**
 * Long-poll over the database (so it works behind any replica): returns as soon as the
 * setup's revision differs from `after`, or when `waitSeconds` have passed.
 */
export async function waitForAwsSetup(
  resources: Resources,
  workspaceId: string,
  wait: { after?: string | undefined; waitSeconds?: number | undefined },
): Promise<AwsSetupView> {
  const deadline = resources.clock.now().getTime() + (wait.waitSeconds ?? 0) * 1000;
  let view = await getAwsSetup(resources, workspaceId);
  while (
    wait.after !== undefined &&
    view.revision === wait.after &&
    resources.clock.now().getTime() < deadline
  ) {
    await resources.clock.sleep(WAIT_POLL_MS);
    view = await getAwsSetup(resources, workspaceId);
  }
  return view;
}

/** The instructions behind a setup link, while it is valid. */
export async function setupFromLink(
  resources: Resources,
  token: string,
  now: Date,
): Promise<SetupInstructions> {
  const row = await resources.db
    .selectFrom('aws_setups')
    .select(['request', 'setup_link_expires_at'])
    .where('setup_link_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (row === undefined || new Date(row.setup_link_expires_at).getTime() <= now.getTime()) {
    throw new NotFoundError('This setup link is unknown or has expired.');
  }
  return (row.request as { instructions: SetupInstructions }).instructions;
}
