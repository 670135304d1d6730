/**
 * Verification of a workspace's AWS connection, before Active and again for drift: each
 * role can be assumed with the external ID and NOT without it or with a wrong one (the
 * confused-deputy check), belongs to the expected account, can do every registry action
 * that has a cheap probe, and is denied a sample of what it must never do. Results are
 * stored per check and decide the state: all pass → Active; else Failed (or Degraded for a
 * workspace that was Active).
 */
import { randomBytes } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  CUSTOMER_ROLES,
  deniedSamplesForRole,
  entriesForRole,
  renderRolePolicy,
  renderTrustPolicy,
  resolvePattern,
  type CustomerRole,
  type ScopeValues,
} from '@ferry/aws-template';
import { ConflictError } from '@ferry/core';
import type { AwsSetupCheckRecord } from '../db/tables/index.ts';
import type { Resources } from '../resources.ts';
import { awsErrorCode, type AwsCredentials } from './aws-clients.ts';
import { AssumeRoleError, type BrokerActor } from './credential-broker.ts';
import {
  createProbeTemplate,
  deleteProbeTemplate,
  deniedProbeFor,
  dryRun,
  ec2ProbeFor,
  type ProbeTarget,
} from './role-probes.ts';
import { moveWorkspace } from './setup-service.ts';

/** How a verification was started. */
export type VerifyMode = 'auto' | 'manual' | 'drift';

/** The message of the confused-deputy check. */
export const CONFUSED_DEPUTY_MESSAGE = 'trust policy does not enforce the external ID';

/** Prefix of the verifier's marker objects in the Worker's bucket. */
export const MARKER_PREFIX = 'ferry-verify/';

export interface SetupForVerify {
  workspaceId: string;
  orgId: string;
  externalId: string;
  accountId: string;
  region: string;
  outputs: Record<string, unknown>;
  workerBuckets: string[];
  connectedAt: Date;
}

const ROLE_OUTPUT: Record<CustomerRole, string> = {
  UserInitiated: 'UserInitiatedRoleArn',
  Unattended: 'UnattendedRoleArn',
  Worker: 'WorkerRoleArn',
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' && v !== '' ? v.split(',') : [];

export async function loadSetup(
  resources: Resources,
  workspaceId: string,
): Promise<SetupForVerify> {
  const row = await resources.db
    .selectFrom('aws_setups')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (row === undefined || row.account_id === null || row.connected_at === null) {
    throw new ConflictError(
      'aws_setup_not_connected',
      'The stack has not reported Connected yet: nothing to verify.',
    );
  }
  return {
    workspaceId,
    orgId: row.org_id,
    externalId: row.external_id,
    accountId: row.account_id,
    region: row.region,
    outputs: row.outputs,
    workerBuckets: list((row.request as { workerBuckets?: unknown }).workerBuckets),
    connectedAt: new Date(row.connected_at),
  };
}

function scopeValues(setup: SetupForVerify, platformPrincipal: string): ScopeValues {
  const o = setup.outputs;
  return {
    Partition: 'aws',
    Region: setup.region,
    AccountId: setup.accountId,
    WorkspaceId: setup.workspaceId,
    VpcId: str(o.VpcId),
    DirectSecurityGroupId: str(o.DirectSecurityGroupId),
    ProxySecurityGroupId: str(o.ProxySecurityGroupId),
    WorkerRoleArn: str(o.WorkerRoleArn),
    WorkerInstanceProfileArn: str(o.WorkerInstanceProfileArn),
    PlatformPrincipalArn: platformPrincipal,
    ExternalId: setup.externalId,
    SubnetIds: list(o.SubnetIds),
    WorkerBuckets: setup.workerBuckets,
  };
}

/** The statement of the role's policy that grants `action`, to quote in a fix hint. */
function statementFor(role: CustomerRole, action: string, values: ScopeValues): string {
  const policy = renderRolePolicy(role, values);
  const statement = policy.Statement.find((s) =>
    ([] as unknown[]).concat(s.Action).includes(action),
  );
  return statement ? JSON.stringify(statement) : action;
}

function trustHint(role: CustomerRole, values: ScopeValues): string {
  const trust = renderTrustPolicy(role, values);
  const statement = trust.Statement.find((s) => s.Condition && 'StringEquals' in s.Condition);
  return `Restore the ExternalId condition in the trust policy of ferry-${values.WorkspaceId ?? ''}-${role}: ${JSON.stringify(statement ?? trust)}`;
}

/** Probes in flight per role: a handful of calls at once, far under EC2's per-account limits. */
export const PROBE_CONCURRENCY = 6;

/** Runs `tasks` at most `limit` at a time; the results keep the tasks' order. */
async function inOrder<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out = new Array<T>(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]!();
      }
    }),
  );
  return out;
}

type CheckInput = Omit<AwsSetupCheckRecord, 'awsErrorCode' | 'fixHint'> &
  Partial<AwsSetupCheckRecord>;
const check = (c: CheckInput): AwsSetupCheckRecord => ({ awsErrorCode: null, fixHint: null, ...c });

/**
 * Runs every check once (no state change). The three roles are checked side by side and,
 * once a role is assumed, its probes run a few at a time (each probe is one independent
 * dry run or read; the S3 marker's four steps stay in order); the checks come back in the
 * same order as one after another, so the stored result does not depend on timing.
 */
export async function runChecks(
  resources: Resources,
  setup: SetupForVerify,
  options: { actor: BrokerActor; freshRoles: boolean; platformPrincipal: string },
): Promise<AwsSetupCheckRecord[]> {
  const values = scopeValues(setup, options.platformPrincipal);
  const target: ProbeTarget = {
    workspaceId: setup.workspaceId,
    subnetIds: list(setup.outputs.SubnetIds),
    directSecurityGroupId: str(setup.outputs.DirectSecurityGroupId),
    workerInstanceProfileArn: str(setup.outputs.WorkerInstanceProfileArn),
  };
  const perRole = await Promise.all(
    CUSTOMER_ROLES.map((role) => roleChecks(resources, setup, options, values, target, role)),
  );
  return perRole.flat();
}

async function roleChecks(
  resources: Resources,
  setup: SetupForVerify,
  options: { actor: BrokerActor; freshRoles: boolean; platformPrincipal: string },
  values: ScopeValues,
  target: ProbeTarget,
  role: CustomerRole,
): Promise<AwsSetupCheckRecord[]> {
  const { broker, clients } = resources.aws;
  const roleArn = str(setup.outputs[ROLE_OUTPUT[role]]);
  const base = {
    orgId: setup.orgId,
    workspaceId: setup.workspaceId,
    roleArn,
    actor: options.actor,
  };
  let creds: AwsCredentials;
  try {
    creds = await broker.assume({
      ...base,
      externalId: setup.externalId,
      freshRole: options.freshRoles,
      purpose: `verify:${options.actor.kind === 'system' ? options.actor.name : 'user'}`,
    });
  } catch (err) {
    const code = err instanceof AssumeRoleError ? err.awsCode : awsErrorCode(err);
    return [
      check({
        name: `${role}: AssumeRole with the external ID`,
        role,
        outcome: 'fail',
        awsErrorCode: code,
        message: `ferry cannot assume ${roleArn}`,
        fixHint: `Check that the stack's role exists and trusts ${options.platformPrincipal} with the workspace's external ID.`,
      }),
    ];
  }
  const assumed = check({
    name: `${role}: AssumeRole with the external ID`,
    role,
    outcome: 'pass',
    message: roleArn,
  });
  const refusal = async (
    label: string,
    externalId: string | null,
  ): Promise<AwsSetupCheckRecord> => {
    const name = `${role}: AssumeRole ${label} is refused`;
    try {
      await broker.assume({ ...base, externalId, noCache: true });
      return check({
        name,
        role,
        outcome: 'fail',
        message: `${CONFUSED_DEPUTY_MESSAGE}: ${roleArn} can be assumed ${label}`,
        fixHint: trustHint(role, values),
      });
    } catch (err) {
      const code = err instanceof AssumeRoleError ? err.awsCode : awsErrorCode(err);
      return check({
        name,
        role,
        outcome: code === 'AccessDenied' ? 'pass' : 'fail',
        awsErrorCode: code,
        message: 'refused',
      });
    }
  };
  const identity = async (): Promise<AwsSetupCheckRecord> => {
    const sts = clients.sts(creds, setup.region);
    try {
      const who = await sts.send(new GetCallerIdentityCommand({}));
      return check({
        name: `${role}: GetCallerIdentity`,
        role,
        outcome: who.Account === setup.accountId ? 'pass' : 'fail',
        message: `account ${who.Account ?? '?'} (expected ${setup.accountId})`,
        ...(who.Account === setup.accountId
          ? {}
          : { fixHint: 'The role belongs to another account than the one that ran the stack.' }),
      });
    } catch (err) {
      return check({
        name: `${role}: GetCallerIdentity`,
        role,
        outcome: 'fail',
        awsErrorCode: awsErrorCode(err),
        message: 'failed',
      });
    } finally {
      sts.destroy();
    }
  };
  const ec2 = await clients.ec2(creds, setup.region);
  const s3 = clients.s3(creds, setup.region);
  const tail: AwsSetupCheckRecord[] = [];
  try {
    // The role that launches gets a real, ferry-tagged launch template for the probes that
    // need one (CreateFleet, template writes); it is deleted below, after every probe.
    const [head, probeTemplate] = await Promise.all([
      inOrder(
        [
          () => refusal('without the external ID', null),
          () =>
            refusal(
              'with a wrong external ID',
              `ferry-wrong-${randomBytes(12).toString('base64url')}`,
            ),
          identity,
        ],
        3,
      ),
      role === 'UserInitiated' ? createProbeTemplate(ec2, target) : undefined,
    ]);
    const roleTarget: ProbeTarget =
      probeTemplate !== undefined && 'id' in probeTemplate
        ? { ...target, launchTemplateId: probeTemplate.id }
        : target;
    try {
      const tasks: (() => Promise<AwsSetupCheckRecord[]>)[] = [];
      let markerDone = false;
      for (const entry of entriesForRole(role)) {
        const name = `${role}: ${entry.action}`;
        const probe =
          entry.probe.kind === 'dry-run' ? ec2ProbeFor(entry.action, roleTarget) : undefined;
        if (entry.probe.kind === 'dry-run' && (entry.probe.note === undefined || probe)) {
          const command = probe;
          if (command === undefined) {
            const message =
              probeTemplate !== undefined && 'error' in probeTemplate
                ? `no dry run without a ferry launch template (creating one failed: ${probeTemplate.error})`
                : 'no dry run without existing resources';
            tasks.push(() => Promise.resolve([check({ name, role, outcome: 'skipped', message })]));
            continue;
          }
          tasks.push(async () => {
            const r = await dryRun(ec2, command);
            return [
              check({
                name,
                role,
                outcome: r.verdict === 'allowed' ? 'pass' : 'fail',
                awsErrorCode: r.awsErrorCode,
                message:
                  r.verdict === 'allowed'
                    ? 'allowed (dry run)'
                    : `not allowed (${r.awsErrorCode ?? 'no error'})`,
                ...(r.verdict === 'allowed'
                  ? {}
                  : {
                      fixHint: `Restore this statement in the role's policy: ${statementFor(role, entry.action, values)}`,
                    }),
              }),
            ];
          });
        } else if (entry.probe.kind === 's3-marker') {
          if (markerDone) continue;
          markerDone = true;
          tasks.push(() => markerChecks(s3, role, setup, values));
        } else {
          const reason =
            entry.probe.kind === 'none'
              ? entry.probe.reason
              : entry.probe.kind === 'dry-run'
                ? (entry.probe.note ?? 'no cheap probe')
                : 'no cheap probe';
          tasks.push(() =>
            Promise.resolve([check({ name, role, outcome: 'skipped', message: reason })]),
          );
        }
      }
      for (const sample of deniedSamplesForRole(role)) {
        tasks.push(() => mustDenyCheck(role, sample, values, target, ec2, s3).then((c) => [c]));
      }
      const probed = await inOrder(tasks, PROBE_CONCURRENCY);
      tail.push(...head, ...probed.flat());
    } finally {
      if (roleTarget.launchTemplateId !== undefined) {
        const code = await deleteProbeTemplate(ec2, roleTarget.launchTemplateId);
        tail.push(
          check({
            name: `${role}: ec2:DeleteLaunchTemplate (the probe template)`,
            role,
            outcome: code === null ? 'pass' : 'fail',
            awsErrorCode: code,
            message: code === null ? 'deleted' : `could not delete ${roleTarget.launchTemplateId}`,
          }),
        );
      }
    }
  } finally {
    ec2.destroy();
    s3.destroy();
  }
  return [assumed, ...tail];
}

/** One must-deny sample: the request it stands for, expected to be refused. */
async function mustDenyCheck(
  role: CustomerRole,
  sample: ReturnType<typeof deniedSamplesForRole>[number],
  values: ScopeValues,
  target: ProbeTarget,
  ec2: EC2Client,
  s3: S3Client,
): Promise<AwsSetupCheckRecord> {
  const name = `${role}: must not ${sample.action} (${sample.why})`;
  if (sample.action.startsWith('s3:')) {
    const arn = resolvePattern(sample.resource, values);
    const [bucket, ...rest] = arn.replace(/^arn:[^:]+:s3:::/, '').split('/');
    try {
      await s3MustDenyProbe(s3, sample.action, bucket ?? '', rest.join('/'));
      return check({
        name,
        role,
        outcome: 'fail',
        message: 'allowed',
        fixHint: `Remove ${sample.action} from the role's policy.`,
      });
    } catch (err) {
      const code = awsErrorCode(err);
      return check({
        name,
        role,
        outcome: code === 'AccessDenied' ? 'pass' : 'skipped',
        awsErrorCode: code,
        message: code === 'AccessDenied' ? 'denied' : `inconclusive: AWS answered ${code}`,
      });
    }
  }
  const context = Object.fromEntries(
    Object.entries(sample.context).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.map((x) => resolvePattern(x, values)) : resolvePattern(v, values),
    ]),
  );
  const command = deniedProbeFor(sample.action, context, target);
  if (command === undefined) {
    return check({
      name,
      role,
      outcome: 'skipped',
      message: 'no dry run for this request; covered by the policy tests',
    });
  }
  const r = await dryRun(ec2, command);
  return check({
    name,
    role,
    outcome: r.verdict === 'denied' ? 'pass' : r.verdict === 'allowed' ? 'fail' : 'skipped',
    awsErrorCode: r.awsErrorCode,
    message:
      r.verdict === 'denied'
        ? 'denied'
        : r.verdict === 'allowed'
          ? 'ALLOWED'
          : `inconclusive: AWS answered ${r.awsErrorCode ?? 'without an error'} before authorizing`,
    ...(r.verdict === 'allowed'
      ? {
          fixHint: `The role allows ${sample.action} beyond ferry's template: remove the extra statement.`,
        }
      : {}),
  });
}

/**
 * The request a must-deny S3 sample stands for: reads as they are; a write puts an empty
 * object, which only a policy broader than ferry's template lets through.
 */
async function s3MustDenyProbe(
  s3: S3Client,
  action: string,
  bucket: string,
  key: string,
): Promise<void> {
  if (action === 's3:ListBucket') {
    await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }));
  } else if (action === 's3:PutObject') {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '', ContentLength: 0 }));
  } else {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await out.Body?.transformToString();
  }
}

/** Put, get, list and delete a marker object under ferry's prefix in the first allowed bucket. */
async function markerChecks(
  s3: S3Client,
  role: CustomerRole,
  setup: SetupForVerify,
  values: ScopeValues,
): Promise<AwsSetupCheckRecord[]> {
  const bucket = setup.workerBuckets[0];
  const steps = ['s3:PutObject', 's3:GetObject', 's3:ListBucket', 's3:DeleteObject'] as const;
  if (bucket === undefined) {
    return steps.map((action) => ({
      name: `${role}: ${action}`,
      role,
      outcome: 'skipped' as const,
      awsErrorCode: null,
      message: 'no bucket named in WorkerBuckets: nothing to probe',
      fixHint: null,
    }));
  }
  const key = `${MARKER_PREFIX}${setup.workspaceId}/marker`;
  const run: Record<(typeof steps)[number], () => Promise<unknown>> = {
    's3:PutObject': () =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'ferry' })),
    's3:GetObject': async () => {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await out.Body?.transformToString();
    },
    's3:ListBucket': () =>
      s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: MARKER_PREFIX, MaxKeys: 1 })),
    's3:DeleteObject': () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
  };
  const out: AwsSetupCheckRecord[] = [];
  for (const action of steps) {
    try {
      await run[action]();
      out.push({
        name: `${role}: ${action}`,
        role,
        outcome: 'pass',
        awsErrorCode: null,
        message: `s3://${bucket}/${key}`,
        fixHint: null,
      });
    } catch (err) {
      out.push({
        name: `${role}: ${action}`,
        role,
        outcome: 'fail',
        awsErrorCode: awsErrorCode(err),
        message: `${action} on s3://${bucket}/${key} failed`,
        fixHint: `Restore this statement in the role's policy: ${statementFor(role, action, values)}`,
      });
    }
  }
  return out;
}

/**
 * Verifies a workspace and stores the result. `auto` (right after Connected) repeats failing
 * rounds while IAM may still be propagating; `drift` re-checks an Active workspace.
 */
export async function verifyWorkspace(
  resources: Resources,
  workspaceId: string,
  options: { actor: BrokerActor; mode: VerifyMode; signal?: AbortSignal },
): Promise<AwsSetupCheckRecord[]> {
  const { options: timings } = resources.aws;
  const setup = await loadSetup(resources, workspaceId);
  const platform = await resources.db
    .selectFrom('aws_platform')
    .select('principal_arn')
    .where('id', '=', 'default')
    .executeTakeFirst();
  const platformPrincipal = platform?.principal_arn ?? '';
  const db = resources.db;
  if (options.mode !== 'drift') {
    await db
      .updateTable('aws_setups')
      .set({ status: 'verifying', updated_at: resources.clock.now() })
      .where('workspace_id', '=', workspaceId)
      .execute();
  }
  let checks: AwsSetupCheckRecord[];
  let startedAt: Date;
  for (;;) {
    const fresh = options.mode === 'auto';
    startedAt = resources.clock.now();
    checks = await runChecks(resources, setup, {
      actor: options.actor,
      freshRoles: fresh,
      platformPrincipal,
    });
    const failing = checks.some((c) => c.outcome === 'fail');
    const sinceConnected = resources.clock.now().getTime() - setup.connectedAt.getTime();
    if (!failing || !fresh || sinceConnected + timings.verifyRetryMs > timings.propagationWindowMs)
      break;
    await resources.clock.sleep(timings.verifyRetryMs, options.signal);
  }
  await storeResult(resources, setup, { checks, startedAt }, options.mode);
  return checks;
}

/** What a verification may overwrite: never a setup that is pending or disconnected. */
const VERIFIABLE = ['connected', 'verifying', 'active', 'degraded', 'failed'] as const;

/**
 * Stores a verification's result, only if the setup is still the one it verified and no
 * verification that started later has stored its own: a stack deleted, re-connected or a
 * setup restarted while the checks ran, or a newer result, wins over this one.
 * `verified_at` is when the stored checks started.
 */
export async function storeResult(
  resources: Resources,
  setup: SetupForVerify,
  result: { checks: AwsSetupCheckRecord[]; startedAt: Date },
  mode: VerifyMode,
): Promise<void> {
  const { workspaceId } = setup;
  const { checks, startedAt } = result;
  const now = resources.clock.now();
  const failing = checks.filter((c) => c.outcome === 'fail');
  const ws = await resources.db
    .selectFrom('workspaces')
    .select('state')
    .where('id', '=', workspaceId)
    .executeTakeFirst();
  const wasActive = ws?.state === 'Active' || ws?.state === 'Degraded';
  const status =
    failing.length === 0 ? 'active' : wasActive || mode === 'drift' ? 'degraded' : 'failed';
  const stored = await resources.db
    .updateTable('aws_setups')
    .set({
      status,
      checks: JSON.stringify(checks),
      reason:
        failing.length === 0 ? null : failing.map((c) => `${c.name}: ${c.message}`).join('; '),
      verified_at: startedAt,
      updated_at: now,
    })
    .where('workspace_id', '=', workspaceId)
    .where('external_id', '=', setup.externalId)
    .where('connected_at', '=', setup.connectedAt)
    .where('status', 'in', VERIFIABLE)
    .where((eb) => eb.or([eb('verified_at', 'is', null), eb('verified_at', '<', startedAt)]))
    .executeTakeFirst();
  if (stored.numUpdatedRows === 0n) return;
  if (status === 'active') {
    if (ws?.state === 'Failed') await moveWorkspace(resources, workspaceId, 'Pending', now);
    await moveWorkspace(resources, workspaceId, 'Active', now);
  } else if (status === 'degraded') {
    await moveWorkspace(resources, workspaceId, 'Degraded', now);
  } else {
    await moveWorkspace(resources, workspaceId, 'Failed', now);
  }
}
