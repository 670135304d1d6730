/**
 * Phone-home handling: a CloudFormation custom-resource request from a customer's stack,
 * delivered by SNS to the platform's queue. It is believed only when it names a workspace
 * with a setup, carries that workspace's external ID and comes from the stack's own
 * account; it is always answered (SUCCESS or FAILED to its ResponseURL), Delete included,
 * so a stack never hangs and can always be deleted.
 */
import {
  PHONE_HOME_RESOURCE_TYPE,
  PHONE_HOME_STAGES,
  type PhoneHomeStage,
} from '@ferry/aws-template';
import { recordAudit } from '../audit/record-audit.ts';
import type { AwsSetupStageRecord } from '../db/tables/index.ts';
import type { Resources } from '../resources.ts';
import { verifyJob } from './aws-job-types.ts';
import { moveWorkspace } from './setup-service.ts';

/** A custom-resource request as CloudFormation sends it. */
export interface CustomResourceRequest {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResourceType: string;
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, unknown>;
}

/** What handling a request decided. */
export interface PhoneHomeOutcome {
  status: 'SUCCESS' | 'FAILED';
  reason?: string;
  workspaceId?: string;
  stage?: PhoneHomeStage;
  /** True when the stack reported Connected (verification should start). */
  connected: boolean;
}

/** Parses an SQS message body (an SNS envelope) into the request, or undefined. */
export function parsePhoneHome(body: string): CustomResourceRequest | undefined {
  try {
    const envelope = JSON.parse(body) as { Type?: unknown; Message?: unknown };
    const message =
      envelope.Type === 'Notification' && typeof envelope.Message === 'string'
        ? (JSON.parse(envelope.Message) as unknown)
        : envelope;
    const r = message as Partial<CustomResourceRequest>;
    if (
      typeof r.RequestType === 'string' &&
      typeof r.ResponseURL === 'string' &&
      typeof r.StackId === 'string' &&
      typeof r.RequestId === 'string' &&
      typeof r.LogicalResourceId === 'string' &&
      typeof r.ResourceProperties === 'object' &&
      r.ResourceProperties !== null
    ) {
      return r as CustomResourceRequest;
    }
  } catch {
    // Not JSON: not ours.
  }
  return undefined;
}

/** The account in a stack ARN (`arn:aws:cloudformation:REGION:ACCOUNT:stack/…`). */
const stackAccount = (stackId: string): string => stackId.split(':')[4] ?? '';

/** Validates the request against the workspace and records the stage. */
export async function handlePhoneHome(
  resources: Resources,
  request: CustomResourceRequest,
): Promise<PhoneHomeOutcome> {
  const props = request.ResourceProperties;
  const workspaceId = typeof props.WorkspaceId === 'string' ? props.WorkspaceId : '';
  const stage = PHONE_HOME_STAGES.find((s) => s === props.Stage);
  const fail = (reason: string): PhoneHomeOutcome => ({
    // Delete must succeed, or the customer could never delete the stack.
    status: request.RequestType === 'Delete' ? 'SUCCESS' : 'FAILED',
    reason,
    connected: false,
  });
  if (request.ResourceType !== PHONE_HOME_RESOURCE_TYPE || stage === undefined) {
    return fail('Not a ferry phone-home resource.');
  }
  const db = resources.db;
  const setup = await db
    .selectFrom('aws_setups')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (setup === undefined) return fail(`ferry knows no setup for workspace ${workspaceId}.`);
  if (props.ExternalId !== setup.external_id) {
    return fail(
      'The external ID does not match this workspace’s current setup: start the setup again and use the new template.',
    );
  }
  const account = stackAccount(request.StackId);
  // A stack's own roles live in its own account: role ARNs elsewhere are not its roles.
  const foreignRoles = Object.entries(props).filter(
    ([k, v]) =>
      /(Role|InstanceProfile)Arn$/.test(k) && typeof v === 'string' && v.split(':')[4] !== account,
  );
  if (props.AccountId !== account || foreignRoles.length > 0) {
    return fail('The stack reports another account than its own.');
  }
  const refuseAccount = async (): Promise<PhoneHomeOutcome> => {
    await recordAudit(resources, {
      actorType: 'system',
      orgId: setup.org_id,
      workspaceId,
      action: 'aws.phoneHome.refused',
      targetType: 'workspace',
      targetId: workspaceId,
      outcome: 'denied',
      details: { account, boundAccount: setup.account_id, stackId: request.StackId },
    });
    return fail(`This workspace is bound to another AWS account than ${account}.`);
  };
  if (setup.account_id !== null && setup.account_id !== account) return refuseAccount();
  const now = resources.clock.now();
  // SQS may deliver a message twice, and an unanswered one comes back: record a stage once.
  const seen = setup.stages.some((s) => s.stage === stage && s.requestType === request.RequestType);
  const record: AwsSetupStageRecord = {
    stage,
    at: now.toISOString(),
    requestType: request.RequestType,
  };
  if (request.RequestType === 'Delete') {
    await db
      .updateTable('aws_setups')
      .set({
        stages: JSON.stringify(seen ? setup.stages : [...setup.stages, record]),
        updated_at: now,
      })
      .where('workspace_id', '=', workspaceId)
      .execute();
    if (stage === 'Connected' && setup.connected_at !== null) {
      const reason = `The stack ${request.StackId} was deleted: the workspace is disconnected from AWS.`;
      await db
        .updateTable('aws_setups')
        .set({ status: 'disconnected', reason, updated_at: now })
        .where('workspace_id', '=', workspaceId)
        .execute();
      await moveWorkspace(resources, workspaceId, 'Failed', now);
    }
    return { status: 'SUCCESS', workspaceId, stage, connected: false };
  }
  const connected = stage === 'Connected';
  // The stack's id is kept beside its outputs: the update-stack link names it.
  const outputs = connected
    ? {
        ...Object.fromEntries(
          Object.entries(props).filter(([k]) => k !== 'ServiceToken' && k !== 'ExternalId'),
        ),
        StackId: request.StackId,
      }
    : setup.outputs;
  // The first account binds the workspace; a second racing it finds the binding taken.
  // Connected enqueues the verification with the status it verifies, in one transaction.
  const bound = await resources.db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('aws_setups')
      .set({
        stages: JSON.stringify(seen ? setup.stages : [...setup.stages, record]),
        account_id: account,
        outputs: JSON.stringify(outputs),
        ...(connected ? { status: 'connected' as const, connected_at: now, reason: null } : {}),
        updated_at: now,
      })
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([eb('account_id', 'is', null), eb('account_id', '=', account)]))
      .executeTakeFirst();
    if (connected && Number(updated.numUpdatedRows) === 1) {
      await resources.jobs.enqueue(
        verifyJob,
        { workspaceId },
        { db: trx, dedupeKey: `aws.verify:${workspaceId}` },
      );
    }
    return updated;
  });
  if (Number(bound.numUpdatedRows) !== 1) return refuseAccount();
  return { status: 'SUCCESS', workspaceId, stage, connected };
}

/** Answers the request at its ResponseURL (a presigned PUT, as CloudFormation expects). */
export async function answerPhoneHome(
  request: CustomResourceRequest,
  outcome: PhoneHomeOutcome,
): Promise<void> {
  const body = JSON.stringify({
    Status: outcome.status,
    Reason:
      outcome.reason ?? (outcome.status === 'SUCCESS' ? 'ferry recorded the stage' : 'refused'),
    PhysicalResourceId:
      request.PhysicalResourceId ?? `ferry-phone-home-${request.LogicalResourceId}`,
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: request.LogicalResourceId,
    Data: outcome.stage !== undefined ? { Stage: outcome.stage } : {},
  });
  // A dropped connection or a 5xx is retried a few times (the answer is idempotent); if
  // all fail, the message stays in the queue and is answered on redelivery.
  for (let attempt = 1; ; attempt++) {
    try {
      // Content-Type must be empty: the URL is presigned without it.
      const res = await fetch(request.ResponseURL, {
        method: 'PUT',
        body,
        headers: { 'content-type': '' },
      });
      if (res.ok) return;
      if (res.status < 500 || attempt >= ANSWER_ATTEMPTS) {
        throw new AnswerFailedError(`ResponseURL answered HTTP ${res.status}`);
      }
    } catch (err) {
      if (err instanceof AnswerFailedError || attempt >= ANSWER_ATTEMPTS) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
  }
}

const ANSWER_ATTEMPTS = 4;

class AnswerFailedError extends Error {}
