import {
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Service } from '../s3/s3-service.ts';
import { startEc2TestCloud, waitFor, type Ec2TestCloud, type TestAccount } from './test-support.ts';

const AMI = 'ami-0abcdef1234567890';
const PROBE = fileURLToPath(new URL('./imds-probe.fixture.ts', import.meta.url));
const b64 = (text: string) => Buffer.from(text).toString('base64');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('instances run their user-data as local processes with their own IMDS', () => {
  let lc: Ec2TestCloud;
  let acct: TestAccount;
  let ec2: EC2Client;
  let dir: string;

  const instance = async (id: string): Promise<Instance | undefined> =>
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]
      ?.Instances?.[0];
  const inState = (id: string, state: string, timeoutMs = 20_000) =>
    waitFor(async () => {
      const i = await instance(id);
      return i?.State?.Name === state ? i : undefined;
    }, timeoutMs);
  const listing = async (id: string) => {
    const res = await lc.admin('GET', '/_localcloud/instances');
    return (
      res.body as { instances: { instanceId: string; pid?: number; imdsEndpoint?: string }[] }
    ).instances.find((i) => i.instanceId === id);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ec2-process-test-'));
    lc = await startEc2TestCloud({ extra: [createS3Service({ stateDir: dir })] });
    acct = await lc.account('processes');
    ec2 = new EC2Client(lc.config(acct));
    const iam = new IAMClient(lc.config(acct));
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'probe-role',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'ec2.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'probe-role',
        PolicyName: 'zones-only',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'ec2:DescribeAvailabilityZones', Resource: '*' },
            { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::probe-bucket/*' },
          ],
        }),
      }),
    );
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'probe-profile' }));
    await new S3Client({ ...lc.config(acct), forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: 'probe-bucket' }),
    );
    await iam.send(
      new AddRoleToInstanceProfileCommand({
        InstanceProfileName: 'probe-profile',
        RoleName: 'probe-role',
      }),
    );
  });
  afterAll(async () => {
    await lc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a process reads its role credentials from IMDSv2 and they carry exactly the role permissions', async () => {
    const outFile = join(dir, 'probe.json');
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: 'm7g.large',
        MinCount: 1,
        MaxCount: 1,
        IamInstanceProfile: { Name: 'probe-profile' },
        InstanceInitiatedShutdownBehavior: 'terminate',
        MetadataOptions: { HttpTokens: 'required', InstanceMetadataTags: 'enabled' },
        TagSpecifications: [
          { ResourceType: 'instance', Tags: [{ Key: 'ferry:cluster', Value: 'probe' }] },
        ],
        UserData: b64(
          JSON.stringify({
            command: [process.execPath, PROBE],
            env: { PROBE_OUT: outFile, PROBE_BUCKET: 'probe-bucket' },
          }),
        ),
      }),
    );
    const id = run.Instances?.[0]?.InstanceId ?? '';
    const ip = run.Instances?.[0]?.PrivateIpAddress ?? '';
    expect(run.Instances?.[0]?.IamInstanceProfile?.Arn).toBe(
      `arn:aws:iam::${acct.accountId}:instance-profile/probe-profile`,
    );
    const result = await waitFor(
      () =>
        Promise.resolve(
          existsSync(outFile)
            ? (JSON.parse(readFileSync(outFile, 'utf8')) as Record<string, unknown>)
            : undefined,
        ),
      25_000,
      100,
    );
    expect(result.error).toBeUndefined();
    expect(result.env).toEqual({
      hasAccessKey: false,
      imds: expect.stringMatching(
        new RegExp(`^http://${ip.replace(/\./g, '\\.')}:\\d+/$`),
      ) as unknown,
      endpointUrl: lc.url,
      instanceIp: ip,
    });
    expect(result.imdsV1Status).toBe(401);
    expect(result.instanceId).toBe(id);
    expect(result.localIpv4).toBe(ip);
    expect(result.zone).toBe(run.Instances?.[0]?.Placement?.AvailabilityZone);
    expect(result.tagKeys).toBe('ferry:cluster');
    expect(result.role).toBe('probe-role');
    expect(result.arn).toBe(`arn:aws:sts::${acct.accountId}:assumed-role/probe-role/${id}`);
    expect(result.zones).toBe(3);
    expect(result.describeVpcs).toBe('UnauthorizedOperation');
    expect(result.putObject).toBe('ok');
    expect(result.getObject).toBe('AccessDenied');
    const written = await new S3Client({ ...lc.config(acct), forcePathStyle: true }).send(
      new GetObjectCommand({ Bucket: 'probe-bucket', Key: 'from-instance.txt' }),
    );
    expect(await written.Body?.transformToString()).toBe('hello');

    // The process exited; with shutdown behaviour "terminate" the instance terminates.
    const gone = await inState(id, 'terminated');
    expect(gone.StateReason?.Code).toBe('Client.InstanceInitiatedShutdown');
  }, 60_000);

  it('process exit stops an instance whose shutdown behaviour is stop', async () => {
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: 't3.large',
        MinCount: 1,
        MaxCount: 1,
        UserData: b64('#!/bin/sh\necho hello from the instance\nexit 0\n'),
      }),
    );
    const id = run.Instances?.[0]?.InstanceId ?? '';
    const stopped = await inState(id, 'stopped');
    expect(stopped.StateReason?.Code).toBe('Client.InstanceInitiatedShutdown');
  });

  it('nothing the workload started outlives it: its end ends every process of the instance', async () => {
    const pidFile = join(dir, 'background.pid');
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: 't3.large',
        MinCount: 1,
        MaxCount: 1,
        UserData: b64(`#!/bin/sh\nsleep 300 &\necho $! > ${pidFile}\nsleep 1\nexit 0\n`),
      }),
    );
    const id = run.Instances?.[0]?.InstanceId ?? '';
    await inState(id, 'stopped');
    const background = Number(readFileSync(pidFile, 'utf8').trim());
    expect(background).toBeGreaterThan(0);
    await waitFor(() => Promise.resolve(alive(background) ? undefined : true), 10_000);
  });

  it('terminating an instance kills its process; IMDSv1 works when tokens are optional', async () => {
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: 'c7i.large',
        MinCount: 1,
        MaxCount: 1,
        UserData: b64(JSON.stringify({ command: ['sleep', '300'] })),
      }),
    );
    const id = run.Instances?.[0]?.InstanceId ?? '';
    await inState(id, 'running');
    const live = await waitFor(async () => {
      const l = await listing(id);
      return l?.pid && l.imdsEndpoint ? l : undefined;
    });
    const pid = live.pid ?? 0;
    expect(alive(pid)).toBe(true);
    const v1 = await fetch(new URL('latest/meta-data/instance-type', live.imdsEndpoint));
    expect(await v1.text()).toBe('c7i.large');
    const noProfile = await fetch(
      new URL('latest/meta-data/iam/security-credentials/', live.imdsEndpoint),
    );
    expect(noProfile.status).toBe(404);

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitFor(() => Promise.resolve(alive(pid) ? undefined : true), 10_000);
    await inState(id, 'terminated');
    expect((await listing(id))?.pid).toBeUndefined();
  });

  it('interrupt-instance terminates an instance as a spot interruption', async () => {
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: 'r7g.large',
        MinCount: 1,
        MaxCount: 1,
      }),
    );
    const id = run.Instances?.[0]?.InstanceId ?? '';
    await inState(id, 'running');
    const added = await lc.admin('POST', '/_localcloud/faults', {
      kind: 'interrupt-instance',
      instanceId: id,
    });
    expect(added.status).toBeLessThan(300);
    const gone = await inState(id, 'terminated');
    expect(gone.StateReason?.Code).toBe('Server.SpotInstanceTermination');
    await lc.admin('DELETE', '/_localcloud/faults');
  });

  it('boot-delay keeps instances pending longer', async () => {
    await lc.admin('POST', '/_localcloud/faults', { kind: 'boot-delay', seconds: 0.6 });
    const started = Date.now();
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: 'm7i.large',
        MinCount: 1,
        MaxCount: 1,
      }),
    );
    await inState(run.Instances?.[0]?.InstanceId ?? '', 'running');
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    await lc.admin('DELETE', '/_localcloud/faults');
  });
});
