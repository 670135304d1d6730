/**
 * Idle termination twice over, end to end on localcloud: (a) a node whose idle timeout
 * passes shuts itself down (EC2 says Client.InstanceInitiatedShutdown) and its cluster
 * ends Stopped; (b) the reaper, with the Unattended role only, terminates an instance
 * tagged as this workspace's but belonging to no cluster — even with the UserInitiated
 * role broken — and cannot terminate an untagged instance: the Unattended role's IAM
 * policy denies it.
 */
import { AttachRolePolicyCommand, DetachRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { FERRY_TAGS } from '@ferry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusters, customerInstances, type Cluster } from './fixtures/compute-helpers.ts';
import {
  REGION,
  startConnectedWorkspace,
  workerCommand,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';

let f: ConnectedWorkspace;
let api: ReturnType<typeof clusters>;
let ec2: EC2Client;

beforeAll(async () => {
  f = await startConnectedWorkspace({
    compute: {
      // One idle "minute" of the worker lasts 2 s; the control plane still counts real
      // minutes, so the node's own timer fires long before the reaper's would.
      workerCommand: workerCommand({ FERRY_IDLE_MINUTE_SECONDS: '2' }),
      launchGraceMs: 2000,
    },
    // The reconciler only runs at start: what happens to stray instances is the reaper's.
    jobs: { reapEveryMs: 1000, reconcileEveryMs: 3_600_000 },
  });
  api = clusters(f);
  ec2 = f.customerEc2();
}, 180_000);

afterAll(async () => {
  await f?.stop();
});

const runAsCustomer = async (tags: Tag[]) => {
  const res = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-0abcdef1234567890',
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      ...(tags.length ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] } : {}),
    }),
  );
  return res.Instances?.[0]?.InstanceId ?? '';
};

const ec2State = async (instanceId: string) =>
  (await f.instances()).find((i) => i.instanceId === instanceId)?.state;

describe('idle termination and the reaper', () => {
  let idle: Cluster;

  it('a cluster with a 1-minute idle timeout starts and goes Idle', async () => {
    const started = await api.start({ cpus: 1, memory: 1, idleTimeoutMins: 1 });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.idleTimeoutMins).toBe(1);
    idle = await api.waitFor(started.body.id, ['Idle', 'Stopping', 'Stopped'], 60_000);
    expect(idle.nodes).toHaveLength(1);
  }, 60_000);

  it('with UserInitiated broken, the reaper terminates an orphan (tagged as this workspace’s, in no cluster record) and not an untagged instance', async () => {
    // Break the UserInitiated role: the reaper must not need it.
    const iam = new IAMClient(f.customerConfig());
    const roleName = `ferry-${f.workspaceId}-user-initiated`;
    const policyArn = `arn:aws:iam::${f.customer.accountId}:policy/${roleName}`;
    await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
    const orphan = await runAsCustomer([
      { Key: FERRY_TAGS.managed, Value: 'true' },
      { Key: FERRY_TAGS.workspace, Value: f.workspaceId },
      { Key: FERRY_TAGS.cluster, Value: 'cl_00000000000000000000000000' },
    ]);
    const untagged = await runAsCustomer([{ Key: 'team', Value: 'analytics' }]);
    // Tagged as ferry's, but for a workspace that is not this one.
    const foreign = await runAsCustomer([
      { Key: FERRY_TAGS.managed, Value: 'true' },
      { Key: FERRY_TAGS.workspace, Value: 'ws_00000000000000000000000000' },
    ]);
    try {
      await f.until(
        'the reaper to terminate the orphan',
        async () => {
          const s = await ec2State(orphan);
          return s === 'shutting-down' || s === 'terminated' ? s : undefined;
        },
        30_000,
      );
      // Several reaper cycles later, the untagged and the foreign instances still run.
      expect(await ec2State(untagged)).toBe('running');
      expect(await ec2State(foreign)).toBe('running');
      const audit = await f.api<{
        items: { action: string; outcome: string; awsSessionName: string | null }[];
      }>('GET', `/api/v1/orgs/${f.orgId}/audit?action=aws.sts.*&limit=100`);
      const reaper = audit.body.items.filter(
        (e) => e.action === 'aws.sts.AssumeRole' && e.awsSessionName === 'ferry-reaper',
      );
      expect(reaper.length).toBeGreaterThan(0);
      expect(reaper.every((e) => e.outcome === 'success')).toBe(true);

      // The Unattended role itself cannot terminate it: IAM denies the untagged instance.
      const setup = await f.api<{ externalId: string; outputs: Record<string, unknown> }>(
        'GET',
        `/api/v1/workspaces/${f.workspaceId}/aws-setup`,
      );
      const sts = new STSClient({
        endpoint: f.cloud.url,
        region: REGION,
        credentials: {
          accessKeyId: f.platform.accessKeyId,
          secretAccessKey: f.platform.secretAccessKey,
        },
      });
      const session = await sts.send(
        new AssumeRoleCommand({
          RoleArn: String(setup.body.outputs.UnattendedRoleArn),
          RoleSessionName: 'ferry-reaper',
          ExternalId: setup.body.externalId,
        }),
      );
      sts.destroy();
      const asReaper = new EC2Client({
        endpoint: f.cloud.url,
        region: REGION,
        maxAttempts: 1,
        credentials: {
          accessKeyId: session.Credentials?.AccessKeyId ?? '',
          secretAccessKey: session.Credentials?.SecretAccessKey ?? '',
          sessionToken: session.Credentials?.SessionToken ?? '',
        },
      });
      const denied = await asReaper
        .send(new TerminateInstancesCommand({ InstanceIds: [untagged] }))
        .then(
          () => undefined,
          (e: unknown) => e as { name?: string; message?: string },
        );
      expect(denied?.name).toBe('UnauthorizedOperation');
      expect(await ec2State(untagged)).toBe('running');
      const deniedForeign = await asReaper
        .send(new TerminateInstancesCommand({ InstanceIds: [foreign] }))
        .then(
          () => undefined,
          (e: unknown) => e as { name?: string },
        );
      asReaper.destroy();
      expect(deniedForeign?.name).toBe('UnauthorizedOperation');
      expect(await ec2State(foreign)).toBe('running');

      // And the UserInitiated role is really broken: a launch now fails with AWS's error.
      const started = await api.start({ cpus: 1, memory: 1 });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const failed = await api.waitFor(started.body.id, ['Failed'], 30_000);
      expect(failed.error?.code).toMatch(/UnauthorizedOperation|AccessDenied/);
      expect(failed.nodes).toEqual([]);
    } finally {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [orphan, untagged, foreign] }));
      await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
      iam.destroy();
    }
  }, 60_000);

  it('the idle node shuts itself down; the cluster ends Stopped as inactive', async () => {
    const instanceId = idle.nodes[0]?.instanceId ?? '';
    const [inst] = await f.until(
      'the node to terminate itself',
      async () => {
        const found = await customerInstances(ec2, [{ Name: 'instance-id', Values: [instanceId] }]);
        return found[0]?.State?.Name === 'terminated' ? found : undefined;
      },
      30_000,
    );
    // Shut down from inside (the worker's timer), not terminated through the API.
    expect(inst?.StateReason?.Code).toBe('Client.InstanceInitiatedShutdown');
    const stopped = await api.waitFor(idle.id, ['Stopped'], 80_000);
    expect(stopped.reason).toBe('StoppedInactive');
    expect(stopped.nodes[0]?.ec2State).toBe('terminated');
    const logs = await api.logs(idle.id);
    expect(logs.body.items.some((l) => /idle/i.test(l.line))).toBe(true);
  }, 90_000);
});
