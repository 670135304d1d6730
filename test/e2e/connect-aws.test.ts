/**
 * Connecting a workspace to AWS, end to end on localcloud: the platform and a customer are
 * two localcloud accounts; the control plane runs in process (PGlite) with the platform's
 * credentials and the endpoint override; the customer deploys the template the API
 * returns; stages arrive in order; verification makes the workspace Active. Then the
 * confused-deputy check, drift (a detached policy → Degraded → reattached → Active), and a
 * setup under injected IAM propagation delay. The platform acts as a role of its account
 * (`aws.roleArn`): its user only assumes that role, and customers' stacks trust the role.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackResourceCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { DescribeLaunchTemplatesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  LATEST_TEMPLATE_VERSION,
  PERMISSIONS,
  permissionsBeforeResultsBucket,
  PHONE_HOME_STAGES,
  RELEASE_BEFORE_RESULTS_BUCKET,
  resultsBucketName,
  templateVersion,
} from '@ferry/aws-template';
import {
  configureAwsServices,
  CONFUSED_DEPUTY_MESSAGE,
  initPlatform,
  loadConfig,
  start as startControlPlane,
  type RunningServer,
} from '@ferry/control-plane';
import { start as startCloud, type LocalCloud } from '@ferry/localcloud';
import type { startedAwsSetupSchema } from '@ferry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { awsJournal } from './fixtures/aws-journal.ts';

interface Account {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

let cloud: LocalCloud;
let cp: RunningServer;
let dataDir: string;
let customer: Account;
/** The platform's role: every platform-side call is made with a session of it. */
let platformRoleArn: string;
/** A JSON answer of the API, loosely typed (tests read what they assert). */
type Body = z.infer<typeof startedAwsSetupSchema> & {
  id: string;
  items: {
    action: string;
    outcome: string;
    awsSessionName: string | null;
    awsRoleArn: string | null;
  }[];
};
let api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Body }>;
let orgId: string;
const REGION = 'us-east-1';
const PASSWORD = 'correct horse battery staple';

const customerConfig = () => ({
  endpoint: cloud.url,
  region: REGION,
  credentials: { accessKeyId: customer.accessKeyId, secretAccessKey: customer.secretAccessKey },
});

async function account(name: string): Promise<Account> {
  const res = await fetch(`${cloud.url}/_localcloud/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Account;
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A role of the platform account that the platform's user may assume, allowed exactly what
 * the platform does: its phone-home topic, queue and template bucket, and AssumeRole into
 * customers' roles.
 */
async function createPlatformRole(platform: Account): Promise<string> {
  const iam = new IAMClient({
    endpoint: cloud.url,
    region: REGION,
    credentials: { accessKeyId: platform.accessKeyId, secretAccessKey: platform.secretAccessKey },
  });
  try {
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: 'ferry-control-plane',
        Path: '/ferry/',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${platform.accountId}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'ferry-control-plane',
        PolicyName: 'platform',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'sns:CreateTopic',
                'sns:SetTopicAttributes',
                'sns:Subscribe',
                'sqs:CreateQueue',
                'sqs:GetQueueAttributes',
                'sqs:SetQueueAttributes',
                'sqs:ReceiveMessage',
                'sqs:DeleteMessage',
                's3:CreateBucket',
                's3:PutObject',
                's3:GetObject',
              ],
              Resource: '*',
            },
            {
              Effect: 'Allow',
              Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
              Resource: 'arn:aws:iam::*:role/ferry-*',
            },
          ],
        }),
      }),
    );
    return role.Role?.Arn ?? '';
  } finally {
    iam.destroy();
  }
}

/** Creates a workspace, starts its setup and deploys the stack as the customer. */
async function connectWorkspace(name: string, bucket: string) {
  const ws = await api('POST', `/api/v1/orgs/${orgId}/workspaces`, { name });
  expect(ws.status, JSON.stringify(ws.body)).toBe(201);
  const workspaceId = ws.body.id;
  const setup = await api('POST', `/api/v1/workspaces/${workspaceId}/aws-setup`, {
    region: REGION,
    network: { kind: 'new' },
    allowedClientCidr: '203.0.113.0/24',
    workerBuckets: [bucket],
  });
  expect(setup.status, JSON.stringify(setup.body)).toBe(201);
  const cfn = new CloudFormationClient(customerConfig());
  await cfn.send(
    new CreateStackCommand({
      StackName: setup.body.instructions.stackName,
      TemplateURL: setup.body.instructions.templateUrl,
      Parameters: setup.body.instructions.parameters,
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    }),
  );
  cfn.destroy();
  return { workspaceId, setup: setup.body };
}

const getSetup = async (workspaceId: string, query = '') =>
  (await api('GET', `/api/v1/workspaces/${workspaceId}/aws-setup${query}`)).body;

beforeAll(async () => {
  const journal = awsJournal();
  cloud = await startCloud({
    port: 0,
    logLevel: 'warn',
    onAuthorization: journal.onAuthorization,
  });
  const platform = await account('platform');
  journal.setPlatformAccount(platform.accountId);
  customer = await account('customer');
  platformRoleArn = await createPlatformRole(platform);
  dataDir = await mkdtemp(join(tmpdir(), 'ferry-connect-aws-'));
  let setupUrl = '';
  const config = loadConfig({
    flags: { listenHost: '127.0.0.1', listenPort: 0, dataDir },
    env: {
      FERRY_AWS_REGION: REGION,
      FERRY_AWS_ENDPOINT_URL: cloud.url,
      FERRY_AWS_ACCESS_KEY_ID: platform.accessKeyId,
      FERRY_AWS_SECRET_ACCESS_KEY: platform.secretAccessKey,
      FERRY_AWS_ROLE_ARN: platformRoleArn,
      FERRY_JOBS_POLL_INTERVAL_MS: '100',
      FERRY_JOBS_PHONE_HOME_EVERY_MS: '200',
      FERRY_JOBS_PHONE_HOME_WAIT_SECONDS: '1',
      FERRY_JOBS_DRIFT_EVERY_MS: '1500',
      FERRY_LOG_LEVEL: 'warn',
      FERRY_RATE_LIMIT_PER_MINUTE: '100000',
    },
  });
  cp = await startControlPlane({
    config,
    bootstrapAdminEmail: 'admin@example.com',
    print: (line) => (setupUrl += line),
    onStart: ({ resources }) => {
      configureAwsServices(resources, {
        propagationWindowMs: 60_000,
        retryDelayMs: 500,
        verifyRetryMs: 1000,
      });
    },
  });
  const created = await initPlatform(cp.resources);
  expect(created.topicArn).toMatch(/^arn:aws:sns:us-east-1:\d{12}:ferry-phone-home$/);
  // Customers' trust policies name the platform role, with its path.
  expect(created.principalArn).toBe(platformRoleArn);
  // Idempotent: a second run finds the same resources.
  expect(await initPlatform(cp.resources)).toEqual(created);

  const token = /#token=([^\s]+)/.exec(setupUrl)?.[1] ?? '';
  const first = await fetch(`${cp.url}/api/v1/auth/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, email: 'admin@example.com', name: 'Admin', password: PASSWORD }),
  });
  expect(first.status).toBe(201);
  const login = await fetch(`${cp.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@example.com', password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  api = async (method, path, body) => {
    const res = await fetch(`${cp.url}${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrfToken,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Body };
  };
  const org = await api('POST', '/api/v1/orgs', { name: 'Acme' });
  expect(org.status).toBe(201);
  orgId = org.body.id;
}, 120_000);

afterAll(async () => {
  await cp?.stop();
  await cloud?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('connect a workspace to AWS', () => {
  let workspaceId: string;
  const bucket = `customer-data-${Date.now()}`;

  it('setup → stack → stages in order → verified → Active', async () => {
    const s3 = new S3Client({ ...customerConfig(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy();
    const started = await connectWorkspace('Analytics', bucket);
    workspaceId = started.workspaceId;
    const { setup } = started;
    expect(setup.workspaceState).toBe('Pending');
    expect(setup.externalId).toMatch(/^[\w+=,.@:/-]{32,}$/);
    expect(setup.instructions.quickCreateUrl).toContain(
      `${cloud.url}/console/cloudformation/home?region=us-east-1#/stacks/quickcreate?`,
    );
    expect(setup.instructions.quickCreateUrl).toContain(
      `param_ExternalId=${encodeURIComponent(setup.externalId ?? '')}`,
    );
    // The console page behind the link answers (the fragment stays in the browser).
    const page = await fetch(setup.instructions.quickCreateUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Quick create stack');
    expect(setup.instructions.createStackCommand).toContain('aws cloudformation create-stack');
    expect(setup.instructions.templateYaml).toContain('Custom::FerryPhoneHome');
    // The ops team's link shows the same instructions without a session.
    const link = await fetch(setup.setupLink);
    expect(link.status).toBe(200);
    expect(((await link.json()) as { externalId: string }).externalId).toBe(setup.externalId);

    // Follow progress by long-poll, as the dashboard and CLI do: each answer is news.
    let active = await getSetup(workspaceId);
    const deadline = Date.now() + 90_000;
    while (active.workspaceState !== 'Active') {
      if (active.status === 'failed') throw new Error(`setup failed: ${active.reason}`);
      if (Date.now() > deadline) throw new Error('timed out waiting for Active');
      active = await getSetup(workspaceId, `?after=${active.revision}&waitSeconds=10`);
    }
    expect(active.stages.map((s: { stage: string }) => s.stage)).toEqual([...PHONE_HOME_STAGES]);
    expect(active.accountId).toBe(customer.accountId);
    const checks = active.checks as { name: string; outcome: string }[];
    expect(checks.filter((c) => c.outcome === 'fail')).toEqual([]);
    expect(checks.find((c) => c.name === 'Worker: s3:PutObject')?.outcome).toBe('pass');
    expect(checks.find((c) => c.name === 'UserInitiated: ec2:RunInstances')?.outcome).toBe('pass');
    expect(
      checks.find((c) => c.name === 'UserInitiated: AssumeRole without the external ID is refused')
        ?.outcome,
    ).toBe('pass');
    // Every AssumeRole is in the audit log with the session name.
    const audit = await api('GET', `/api/v1/orgs/${orgId}/audit?action=aws.sts.*&limit=100`);
    expect(audit.status).toBe(200);
    const entries = audit.body.items as {
      action: string;
      outcome: string;
      awsSessionName: string | null;
      awsRoleArn: string | null;
    }[];
    // The verifier's sessions, and the drift job's once it has run, each named after its actor.
    const assumed = entries.filter(
      (e) => e.action === 'aws.sts.AssumeRole' && e.outcome === 'success',
    );
    expect(assumed.map((e) => e.awsSessionName)).toContain('ferry-verifier');
    for (const e of assumed) {
      expect(['ferry-verifier', 'ferry-drift']).toContain(e.awsSessionName);
      expect(e.awsRoleArn).toMatch(/^arn:aws:iam::\d{12}:role\/ferry-/);
    }
    // The confused-deputy probes are refused, and recorded as such.
    expect(entries.some((e) => e.outcome === 'denied')).toBe(true);
    // Every must-deny probe EC2 can answer is conclusive: denied before any NotFound.
    const mustNot = checks.filter((c) => c.name.includes(': must not ec2:'));
    expect(mustNot.length).toBeGreaterThanOrEqual(6);
    expect(mustNot.filter((c) => c.outcome !== 'pass')).toEqual([]);
    // Neither control-plane role may read, write or list the results bucket: S3 denies each.
    const mustNotResults = checks.filter(
      (c) => c.name.includes(': must not s3:') && c.name.includes('query results'),
    );
    expect(mustNotResults.map((c) => c.name.split(':')[0]).sort()).toEqual([
      ...Array<string>(3).fill('Unattended'),
      ...Array<string>(3).fill('UserInitiated'),
    ]);
    expect(mustNotResults.filter((c) => c.outcome !== 'pass')).toEqual([]);
    expect(checks.find((c) => c.name === 'UserInitiated: ec2:DescribeImages')?.outcome).toBe(
      'pass',
    );
    // Probes that need a ferry launch template run against a real one, deleted afterwards.
    for (const action of [
      'ec2:CreateFleet',
      'ec2:DeleteLaunchTemplate',
      'ec2:DeleteLaunchTemplate (the probe template)',
    ]) {
      expect(checks.find((c) => c.name === `UserInitiated: ${action}`)?.outcome, action).toBe(
        'pass',
      );
    }
    // A drift check running meanwhile has its own probe template until it deletes it.
    const ec2 = new EC2Client(customerConfig());
    await until(
      'no probe template left',
      async () => {
        const left = await ec2.send(new DescribeLaunchTemplatesCommand({}));
        return (left.LaunchTemplates ?? []).length === 0 ? true : undefined;
      },
      30_000,
    );
    ec2.destroy();
    // The template names the platform role as the only principal that may assume the roles.
    expect(setup.instructions.templateYaml).toContain(platformRoleArn);
    // Platform-side calls are made with the role's session, assumed once and then cached.
    const { broker, clients } = cp.resources.aws;
    const session = await broker.platformSession();
    expect((await broker.platformSession()).accessKeyId).toBe(session.accessKeyId);
    const sts = clients.sts();
    const me = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(me.Arn).toMatch(/:assumed-role\/ferry-control-plane\/ferry-platform$/);
    const metrics = await (await fetch(`${cp.url}/metrics`)).text();
    const assumeCount = (service: string, operation: string, outcome: string) =>
      Number(
        new RegExp(
          `^ferry_aws_requests_total\\{(?=[^}]*operation="${operation}")(?=[^}]*outcome="${outcome}")(?=[^}]*service="${service}")[^}]*\\} (\\d+)$`,
          'm',
        ).exec(metrics)?.[1] ?? 0,
      );
    expect(assumeCount('sts', 'AssumeRole', 'success')).toBeGreaterThan(3);
    expect(assumeCount('sqs', 'ReceiveMessage', 'success')).toBeGreaterThan(0);
    expect(assumeCount('ec2', 'RunInstances', 'DryRunOperation')).toBeGreaterThan(0);
    expect(assumeCount('sts', 'AssumeRole', 'AccessDenied')).toBeGreaterThan(0);
  }, 120_000);

  it('the broker caches sessions and shares one refresh between concurrent callers', async () => {
    const setup = await getSetup(workspaceId);
    const roleArn = String(setup.outputs.UnattendedRoleArn);
    const { broker } = cp.resources.aws;
    const request = {
      orgId,
      workspaceId,
      roleArn,
      externalId: setup.externalId,
      actor: { kind: 'system' as const, name: 'reaper' },
      purpose: 'reap',
    };
    const count = async () =>
      (
        await api('GET', `/api/v1/orgs/${orgId}/audit?action=aws.sts.*&limit=100`)
      ).body.items.filter((e) => e.awsSessionName === 'ferry-reaper').length;
    const before = await count();
    const sessions = await Promise.all(Array.from({ length: 5 }, () => broker.assume(request)));
    expect(new Set(sessions.map((c) => c.accessKeyId)).size).toBe(1);
    expect((await broker.assume(request)).accessKeyId).toBe(sessions[0]?.accessKeyId);
    expect(await count()).toBe(before + 1);
  });

  it('long-polls the setup: waits while nothing changes, answers at once when something has', async () => {
    // A setup with no stack yet: nothing re-verifies it, so nothing changes unless we do.
    const ws = await api('POST', `/api/v1/orgs/${orgId}/workspaces`, { name: 'Long poll' });
    const pendingId = String(ws.body.id);
    const startSetup = () =>
      api('POST', `/api/v1/workspaces/${pendingId}/aws-setup`, {
        region: REGION,
        network: { kind: 'new' },
        allowedClientCidr: '203.0.113.0/24',
      });
    expect((await startSetup()).status).toBe(201);
    const current = await getSetup(pendingId);
    const waitStarted = Date.now();
    const unchanged = await getSetup(pendingId, `?after=${current.revision}&waitSeconds=2`);
    expect(unchanged.revision).toBe(current.revision);
    expect(Date.now() - waitStarted).toBeGreaterThanOrEqual(1_900);
    // A change during the wait (the setup restarted, with a new external ID) ends it early.
    const changeStarted = Date.now();
    const waiting = getSetup(pendingId, `?after=${current.revision}&waitSeconds=30`);
    await new Promise((r) => setTimeout(r, 300));
    expect((await startSetup()).status).toBe(201);
    const changed = await waiting;
    expect(changed.revision).not.toBe(current.revision);
    expect(changed.externalId).not.toBe(current.externalId);
    expect(Date.now() - changeStarted).toBeLessThan(20_000);
    const staleStarted = Date.now();
    const news = await getSetup(pendingId, `?after=0000000000000000&waitSeconds=30`);
    expect(news.revision).toMatch(/^[0-9a-f]{16}$/);
    expect(Date.now() - staleStarted).toBeLessThan(20_000);
    const bad = await api('GET', `/api/v1/workspaces/${pendingId}/aws-setup?waitSeconds=31`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('waitSeconds');
  });

  it('a trust policy without the ExternalId condition fails the confused-deputy check', async () => {
    const iam = new IAMClient(customerConfig());
    const roleName = `ferry-${workspaceId}-user-initiated`;
    const role = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    const original = decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '');
    const trust = JSON.parse(original) as { Statement: { Condition?: Record<string, unknown> }[] };
    for (const s of trust.Statement) {
      const eq = s.Condition?.StringEquals as Record<string, unknown> | undefined;
      if (eq && 'sts:ExternalId' in eq) delete s.Condition;
    }
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: roleName,
        PolicyDocument: JSON.stringify(trust),
      }),
    );
    const verified = await api('POST', `/api/v1/workspaces/${workspaceId}/aws-setup/verify`);
    expect(verified.status).toBe(200);
    const failing = (
      verified.body.checks as { name: string; outcome: string; message: string }[]
    ).filter((c) => c.outcome === 'fail');
    expect(failing.map((c) => c.name)).toContain(
      'UserInitiated: AssumeRole without the external ID is refused',
    );
    expect(failing[0]?.message).toContain(CONFUSED_DEPUTY_MESSAGE);
    expect(verified.body.workspaceState).not.toBe('Active');
    await iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: original }),
    );
    const again = await api('POST', `/api/v1/workspaces/${workspaceId}/aws-setup/verify`);
    expect(again.body.workspaceState).toBe('Active');
    iam.destroy();
  }, 60_000);

  it('a trust policy that accepts any external ID (StringLike *) fails the wrong-ID probe', async () => {
    // Without the key the condition still fails, so only the wrong-ID probe can see this.
    const iam = new IAMClient(customerConfig());
    const roleName = `ferry-${workspaceId}-unattended`;
    const role = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    const original = decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '');
    const trust = JSON.parse(original) as { Statement: { Condition?: Record<string, unknown> }[] };
    let loosened = 0;
    for (const s of trust.Statement) {
      const eq = s.Condition?.StringEquals as Record<string, unknown> | undefined;
      if (eq && 'sts:ExternalId' in eq) {
        s.Condition = { StringLike: { 'sts:ExternalId': '*' } };
        loosened++;
      }
    }
    expect(loosened).toBe(1);
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: roleName,
        PolicyDocument: JSON.stringify(trust),
      }),
    );
    try {
      const verified = await api('POST', `/api/v1/workspaces/${workspaceId}/aws-setup/verify`);
      expect(verified.status).toBe(200);
      const checks = verified.body.checks as { name: string; outcome: string; message: string }[];
      const outcome = (name: string) => checks.find((c) => c.name === name)?.outcome;
      expect(outcome('Unattended: AssumeRole with a wrong external ID is refused')).toBe('fail');
      expect(outcome('Unattended: AssumeRole without the external ID is refused')).toBe('pass');
      expect(outcome('Unattended: AssumeRole with the external ID')).toBe('pass');
      const failing = checks.filter((c) => c.outcome === 'fail');
      expect(failing.map((c) => c.name)).toEqual([
        'Unattended: AssumeRole with a wrong external ID is refused',
      ]);
      expect(failing[0]?.message).toContain(CONFUSED_DEPUTY_MESSAGE);
      expect(verified.body.workspaceState).not.toBe('Active');
    } finally {
      await iam.send(
        new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: original }),
      );
    }
    // A drift run that began while the trust was loose and ends later does not undo this.
    const again = await api('POST', `/api/v1/workspaces/${workspaceId}/aws-setup/verify`);
    expect(again.body.workspaceState).toBe('Active');
    iam.destroy();
  }, 90_000);

  it('drift: a detached Worker policy → Degraded with the statement to restore → Active', async () => {
    const iam = new IAMClient(customerConfig());
    const roleName = `ferry-${workspaceId}-worker`;
    const policyArn = `arn:aws:iam::${customer.accountId}:policy/${roleName}`;
    await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
    // Degraded by this detachment: a drift run that overlapped an earlier test may have left
    // another Degraded result for a moment.
    type Check = { name: string; outcome: string; fixHint: string };
    const putOf = (checks: unknown) =>
      (checks as Check[]).find((c) => c.name === 'Worker: s3:PutObject');
    const degraded = await until(
      'Degraded',
      async () => {
        const s = await getSetup(workspaceId);
        return s.workspaceState === 'Degraded' && putOf(s.checks)?.outcome === 'fail'
          ? s
          : undefined;
      },
      90_000,
    );
    const put = putOf(degraded.checks);
    expect(put?.outcome).toBe('fail');
    expect(put?.fixHint).toContain('s3:PutObject');
    expect(put?.fixHint).toContain(`arn:aws:s3:::${bucket}/*`);
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
    await until(
      'Active again',
      async () => ((await getSetup(workspaceId)).workspaceState === 'Active' ? true : undefined),
      90_000,
    );
    iam.destroy();
  }, 200_000);

  it('offers a stack update with the permission diff; after update-stack the stack is current', async () => {
    // A stack deployed from an older release's template: one registry entry fewer.
    const older = PERMISSIONS.filter(
      (e) => !(e.role === 'Unattended' && e.action === 'ec2:DeleteLaunchTemplate'),
    );
    const updatesBucket = `${bucket}-updates`;
    const s3 = new S3Client({ ...customerConfig(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: updatesBucket }));
    s3.destroy();
    configureAwsServices(cp.resources, { templatePermissions: older });
    let updates: string;
    try {
      ({ workspaceId: updates } = await connectWorkspace('Updates', updatesBucket));
    } finally {
      configureAwsServices(cp.resources, { templatePermissions: undefined });
    }
    await until(
      'Active on the older template',
      async () => {
        const s = await getSetup(updates);
        if (s.status === 'failed') throw new Error(`setup failed: ${s.reason}`);
        return s.workspaceState === 'Active' ? s : undefined;
      },
      60_000,
    );
    type Update = {
      deployedVersion: string;
      latestVersion: string;
      upToDate: boolean;
      iamChanges: { rows: string[][]; text: string; added: unknown[]; removed: unknown[] };
      resourceChanges: { logicalId: string; change: string }[];
      templateUrl: string | null;
      updateStackCommand: string | null;
      updateUrl: string | null;
    };
    const offered = (await api('GET', `/api/v1/workspaces/${updates}/aws-setup/update`)) as {
      status: number;
      body: unknown;
    };
    expect(offered.status, JSON.stringify(offered.body)).toBe(200);
    const update = offered.body as Update;
    expect(update.deployedVersion).toBe(templateVersion(older));
    expect(update.latestVersion).toBe(LATEST_TEMPLATE_VERSION);
    expect(update.upToDate).toBe(false);
    expect(update.iamChanges.added).toEqual([
      { principal: 'AWS:${UnattendedRole}', action: 'ec2:DeleteLaunchTemplate' },
    ]);
    expect(update.iamChanges.removed).toEqual([]);
    expect(update.iamChanges.text).toContain('ec2:DeleteLaunchTemplate');
    expect(update.resourceChanges).toContainEqual({
      logicalId: 'UnattendedPolicy',
      resourceType: 'AWS::IAM::ManagedPolicy',
      change: 'updated',
    });
    expect(update.updateStackCommand).toContain('aws cloudformation update-stack');
    expect(update.updateStackCommand).toContain('UsePreviousValue=true');
    expect(update.updateUrl).toContain(
      `${cloud.url}/console/cloudformation/home?region=us-east-1#/stacks/update/template?`,
    );
    expect((await fetch(update.updateUrl ?? '')).status).toBe(200);

    // The customer updates the stack with the offered template, keeping every parameter.
    const setup = await getSetup(updates);
    const verifiedBefore = setup.verifiedAt as string;
    const cfn = new CloudFormationClient(customerConfig());
    const stackName = `ferry-${updates.replace(/_/g, '-')}`;
    /** The actions the Unattended role's managed policy grants, as IAM has it now. */
    const unattendedActions = async (): Promise<string[]> => {
      const resource = await cfn.send(
        new DescribeStackResourceCommand({
          StackName: stackName,
          LogicalResourceId: 'UnattendedPolicy',
        }),
      );
      const iam = new IAMClient(customerConfig());
      try {
        const PolicyArn = resource.StackResourceDetail?.PhysicalResourceId ?? '';
        const policy = await iam.send(new GetPolicyCommand({ PolicyArn }));
        const version = await iam.send(
          new GetPolicyVersionCommand({
            PolicyArn,
            VersionId: policy.Policy?.DefaultVersionId ?? '',
          }),
        );
        const doc = JSON.parse(decodeURIComponent(version.PolicyVersion?.Document ?? '{}')) as {
          Statement: { Action: string | string[] }[];
        };
        return doc.Statement.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
      } finally {
        iam.destroy();
      }
    };
    expect(await unattendedActions()).not.toContain('ec2:DeleteLaunchTemplate');
    await cfn.send(
      new UpdateStackCommand({
        StackName: stackName,
        TemplateURL: update.templateUrl ?? '',
        Parameters: Object.keys(setup.outputs).length
          ? [
              'WorkspaceId',
              'PlatformPrincipalArn',
              'ExternalId',
              'PhoneHomeTopicArn',
              'AllowedClientCidr',
              'WorkerBuckets',
            ].map((ParameterKey) => ({ ParameterKey, UsePreviousValue: true }))
          : [],
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    );
    const current = await until(
      'the stack reports the latest template',
      async () => {
        const r = await api('GET', `/api/v1/workspaces/${updates}/aws-setup/update`);
        const u = r.body as unknown as Update;
        return u.upToDate ? u : undefined;
      },
      60_000,
    );
    expect(current.deployedVersion).toBe(LATEST_TEMPLATE_VERSION);
    expect(current.iamChanges.rows).toEqual([]);
    expect(current.updateUrl).toBeNull();
    // The role gained the action, and the workspace was verified again after the update
    // (the workspace was Active all along, so its state alone proves nothing).
    expect(await unattendedActions()).toContain('ec2:DeleteLaunchTemplate');
    cfn.destroy();
    await until(
      'verified again on the latest template',
      async () => {
        const s = await getSetup(updates);
        return s.workspaceState === 'Active' && s.verifiedAt !== verifiedBefore ? true : undefined;
      },
      60_000,
    );
  }, 180_000);

  it('a stack from the release before the results bucket updates and gains it', async () => {
    const resultsData = `${bucket}-r`;
    const s3 = new S3Client({ ...customerConfig(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: resultsData }));
    configureAwsServices(cp.resources, {
      templatePermissions: permissionsBeforeResultsBucket(),
      templateResultsBucket: false,
    });
    let ws: string;
    let setupBody: Awaited<ReturnType<typeof connectWorkspace>>['setup'];
    try {
      ({ workspaceId: ws, setup: setupBody } = await connectWorkspace('Results', resultsData));
    } finally {
      configureAwsServices(cp.resources, {
        templatePermissions: undefined,
        templateResultsBucket: undefined,
      });
    }
    expect(setupBody.instructions.templateYaml).not.toContain('AWS::S3::Bucket');
    await until(
      'Active on release 1.0.0',
      async () => {
        const s = await getSetup(ws);
        if (s.status === 'failed') throw new Error(`setup failed: ${s.reason}`);
        return s.workspaceState === 'Active' ? s : undefined;
      },
      60_000,
    );
    const Bucket = resultsBucketName(customer.accountId, ws);
    await expect(s3.send(new HeadBucketCommand({ Bucket }))).rejects.toMatchObject({
      name: 'NotFound',
    });

    const offered = await api('GET', `/api/v1/workspaces/${ws}/aws-setup/update`);
    expect(offered.status, JSON.stringify(offered.body)).toBe(200);
    const update = offered.body as unknown as {
      deployedVersion: string;
      latestVersion: string;
      resourceChanges: { logicalId: string; resourceType: string; change: string }[];
      templateUrl: string;
    };
    expect(update.deployedVersion).toBe(
      templateVersion(permissionsBeforeResultsBucket(), RELEASE_BEFORE_RESULTS_BUCKET),
    );
    expect(update.latestVersion).toBe(LATEST_TEMPLATE_VERSION);
    expect(update.resourceChanges).toContainEqual({
      logicalId: 'ResultsBucket',
      resourceType: 'AWS::S3::Bucket',
      change: 'added',
    });
    expect(update.resourceChanges).toContainEqual({
      logicalId: 'WorkerPolicy',
      resourceType: 'AWS::IAM::ManagedPolicy',
      change: 'updated',
    });

    // The customer runs the offered update; the new parameter takes its default.
    const cfn = new CloudFormationClient(customerConfig());
    await cfn.send(
      new UpdateStackCommand({
        StackName: setupBody.instructions.stackName,
        TemplateURL: update.templateUrl,
        Parameters: setupBody.instructions.parameters.map((p) => ({
          ParameterKey: p.ParameterKey,
          UsePreviousValue: true,
        })),
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    );
    cfn.destroy();
    await until(
      'the stack reports the latest template',
      async () => {
        const r = await api('GET', `/api/v1/workspaces/${ws}/aws-setup/update`);
        return (r.body as unknown as { upToDate: boolean }).upToDate ? true : undefined;
      },
      60_000,
    );
    const active = await until(
      'Active on the latest template',
      async () => {
        const s = await getSetup(ws);
        return s.workspaceState === 'Active' ? s : undefined;
      },
      60_000,
    );
    const checks = active.checks as { name: string; outcome: string }[];
    expect(checks.filter((c) => c.outcome === 'fail')).toEqual([]);

    // The bucket is there, private, expiring results after the default 7 days.
    await s3.send(new HeadBucketCommand({ Bucket }));
    expect(
      (await s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration
        ?.BlockPublicPolicy,
    ).toBe(true);
    expect(
      (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules?.[0]
        ?.Expiration,
    ).toEqual({ Days: 7 });
    s3.destroy();

    // The Worker role writes and reads results there; UserInitiated may do neither.
    const outputs = active.outputs as Record<string, string>;
    const { broker } = cp.resources.aws;
    const clientAs = async (roleArn: string) => {
      const credentials = await broker.assume({
        orgId,
        workspaceId: ws,
        roleArn,
        externalId: active.externalId ?? '',
        actor: { kind: 'system', name: 'e2e-results' },
        noCache: true,
      });
      return new S3Client({
        endpoint: cloud.url,
        region: REGION,
        forcePathStyle: true,
        credentials,
      });
    };
    const worker = await clientAs(outputs.WorkerRoleArn ?? '');
    const Key = 'results/qry_e2e/part-0.parquet';
    await worker.send(new PutObjectCommand({ Bucket, Key, Body: 'result' }));
    const read = await worker.send(new GetObjectCommand({ Bucket, Key }));
    expect(await read.Body?.transformToString()).toBe('result');
    worker.destroy();
    const userInitiated = await clientAs(outputs.UserInitiatedRoleArn ?? '');
    await expect(userInitiated.send(new GetObjectCommand({ Bucket, Key }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    await expect(
      userInitiated.send(new PutObjectCommand({ Bucket, Key: 'results/x', Body: 'x' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    userInitiated.destroy();
  }, 240_000);

  it('deleting the stack disconnects the workspace, with the reason', async () => {
    const setup = await getSetup(workspaceId);
    const cfn = new CloudFormationClient(customerConfig());
    await cfn.send(
      new DeleteStackCommand({ StackName: `ferry-${workspaceId.replace(/_/g, '-')}` }),
    );
    cfn.destroy();
    const gone = await until(
      'disconnected',
      async () => {
        const s = await getSetup(workspaceId);
        return s.status === 'disconnected' ? s : undefined;
      },
      60_000,
    );
    expect(setup.status).toBe('active');
    expect(gone.workspaceState).toBe('Failed');
    expect(gone.reason).toMatch(/was deleted/);
  }, 90_000);

  it('reaches Active with 20 s of IAM propagation delay', async () => {
    const fault = await fetch(`${cloud.url}/_localcloud/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'iam-propagation-delay', seconds: 20 }),
    });
    expect(fault.status).toBe(201);
    try {
      const { workspaceId: second } = await connectWorkspace('Delayed', bucket);
      const active = await until(
        'Active under propagation delay',
        async () => {
          const s = await getSetup(second);
          if (s.status === 'failed') throw new Error(`setup failed: ${s.reason}`);
          return s.workspaceState === 'Active' ? s : undefined;
        },
        100_000,
      );
      expect(active.checks.filter((c: { outcome: string }) => c.outcome === 'fail')).toEqual([]);
    } finally {
      await fetch(`${cloud.url}/_localcloud/faults`, { method: 'DELETE' });
    }
  }, 150_000);
});
