/**
 * The AWS connection's background jobs: reading the phone-home queue, verifying a workspace
 * after Connected, and re-verifying connected workspaces for drift.
 */
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { jobEntry } from '../jobs/job-catalog.ts';
import type { Resources } from '../resources.ts';
import { driftJob, phoneHomeJob, verifyJob } from './aws-job-types.ts';
import { answerPhoneHome, handlePhoneHome, parsePhoneHome } from './phone-home.ts';
import { loadPlatform, PlatformNotInitializedError } from './platform-init.ts';
import { verifyWorkspace } from './verifier.ts';

export { driftJob, phoneHomeJob, verifyJob } from './aws-job-types.ts';

/** Reads and handles one batch of phone-home messages; returns how many were handled. */
export async function consumePhoneHome(
  resources: Resources,
  signal?: AbortSignal,
): Promise<number> {
  let platform;
  try {
    platform = await loadPlatform(resources);
  } catch (err) {
    if (err instanceof PlatformNotInitializedError) return 0;
    throw err;
  }
  const { clients, credentialsCheck } = resources.aws;
  // Without credentials there is nothing to read; the check has said so once in the log.
  if (!(await credentialsCheck.available())) return 0;
  const sqs = clients.sqs(undefined, platform.region);
  let handled = 0;
  try {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: platform.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: resources.config.jobs.phoneHomeWaitSeconds,
      }),
      signal ? { abortSignal: signal } : {},
    );
    for (const message of out.Messages ?? []) {
      const request = parsePhoneHome(message.Body ?? '');
      if (request !== undefined) {
        try {
          const outcome = await handlePhoneHome(resources, request);
          await answerPhoneHome(request, outcome);
          resources.log.info(
            { workspaceId: outcome.workspaceId, stage: outcome.stage, status: outcome.status },
            'phone-home handled',
          );
        } catch (err) {
          // Left in the queue: redelivered after its visibility timeout, handled again
          // (recording a stage is idempotent). The rest of the batch goes on.
          resources.log.warn({ err, stackId: request.StackId }, 'phone-home not handled yet');
          continue;
        }
      }
      // Unparseable messages are dropped: nobody can answer them.
      await sqs.send(
        new DeleteMessageCommand({
          QueueUrl: platform.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
        }),
      );
      handled++;
    }
  } finally {
    sqs.destroy();
  }
  return handled;
}

/** Re-verifies every connected workspace; returns how many were checked. */
export async function checkDrift(resources: Resources, signal?: AbortSignal): Promise<number> {
  const rows = await resources.db
    .selectFrom('aws_setups')
    .select('workspace_id')
    .where('status', 'in', ['active', 'degraded'])
    .execute();
  if (rows.length > 0 && !(await resources.aws.credentialsCheck.available())) return 0;
  for (const row of rows) {
    if (signal?.aborted) break;
    try {
      await verifyWorkspace(resources, row.workspace_id, {
        actor: { kind: 'system', name: 'drift' },
        mode: 'drift',
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      resources.log.warn({ err, workspaceId: row.workspace_id }, 'drift check failed');
    }
  }
  return rows.length;
}

/** The AWS entries of the job catalog (intervals from `config.jobs`). */
export const awsSetupJobs = [
  jobEntry({
    type: phoneHomeJob,
    async run(resources, _payload, ctx) {
      await consumePhoneHome(resources, ctx.signal);
    },
    schedule: { every: (config) => config.jobs.phoneHomeEveryMs, payload: {} },
  }),
  jobEntry({
    type: verifyJob,
    async run(resources, payload, ctx) {
      await verifyWorkspace(resources, payload.workspaceId, {
        actor: { kind: 'system', name: 'verifier' },
        mode: 'auto',
        signal: ctx.signal,
      });
    },
  }),
  jobEntry({
    type: driftJob,
    async run(resources, _payload, ctx) {
      await checkDrift(resources, ctx.signal);
    },
    schedule: { every: (config) => config.jobs.driftEveryMs, payload: {} },
  }),
];
