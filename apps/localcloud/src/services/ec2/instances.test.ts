import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DeleteLaunchTemplateCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAwsCli } from '../../testing/run-awscli.ts';
import {
  errorOf,
  startEc2TestCloud,
  tagMap,
  waitFor,
  type Ec2TestCloud,
  type TestAccount,
} from './test-support.ts';

const AMI = 'ami-0abcdef1234567890';

describe('launch templates and instances through the AWS SDK v3', () => {
  let lc: Ec2TestCloud;
  let acct: TestAccount;
  let ec2: EC2Client;
  let subnetB: string;

  const describe1 = async (id: string): Promise<Instance | undefined> => {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return out.Reservations?.[0]?.Instances?.[0];
  };
  const inState = (id: string, state: string) =>
    waitFor(async () => {
      const i = await describe1(id);
      return i?.State?.Name === state ? i : undefined;
    });

  beforeAll(async () => {
    lc = await startEc2TestCloud();
    acct = await lc.account('instances');
    ec2 = new EC2Client(lc.config(acct));
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({
        Filters: [{ Name: 'availability-zone', Values: ['us-east-1b'] }],
      }),
    );
    subnetB = subnets.Subnets?.[0]?.SubnetId ?? '';
  });
  afterAll(async () => {
    await lc.stop();
  });

  it('keeps launch template versions, default and latest', async () => {
    const created = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'ferry-cluster-1',
        LaunchTemplateData: {
          ImageId: AMI,
          InstanceType: 'm7i.large',
          MetadataOptions: { HttpTokens: 'required' },
        },
        TagSpecifications: [
          { ResourceType: 'launch-template', Tags: [{ Key: 'ferry:cluster', Value: 'c1' }] },
        ],
      }),
    );
    const id = created.LaunchTemplate?.LaunchTemplateId ?? '';
    expect(id).toMatch(/^lt-[0-9a-f]{17}$/);
    expect(created.LaunchTemplate?.LatestVersionNumber).toBe(1);
    const v2 = await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        SourceVersion: '1',
        LaunchTemplateData: { InstanceType: 'c7i.large' },
      }),
    );
    expect(v2.LaunchTemplateVersion?.VersionNumber).toBe(2);
    expect(v2.LaunchTemplateVersion?.LaunchTemplateData?.ImageId).toBe(AMI);
    const latest = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ['$Latest'] }),
    );
    expect(latest.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.InstanceType).toBe('c7i.large');
    expect(latest.LaunchTemplateVersions?.[0]?.DefaultVersion).toBe(false);
    await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: '2' }));
    const byName = await ec2.send(
      new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['ferry-cluster-1'] }),
    );
    expect(byName.LaunchTemplates?.[0]).toMatchObject({
      DefaultVersionNumber: 2,
      LatestVersionNumber: 2,
    });
    expect(byName.LaunchTemplates?.[0]?.Tags).toEqual([{ Key: 'ferry:cluster', Value: 'c1' }]);
    const dup = await errorOf(
      ec2.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: 'ferry-cluster-1',
          LaunchTemplateData: { ImageId: AMI },
        }),
      ),
    );
    expect(dup.name).toBe('InvalidLaunchTemplateName.AlreadyExistsException');
    const filtered = await ec2.send(
      new DescribeLaunchTemplatesCommand({
        Filters: [{ Name: 'tag:ferry:cluster', Values: ['c1'] }],
      }),
    );
    expect(filtered.LaunchTemplates).toHaveLength(1);
    await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id }));
    expect(
      (await errorOf(ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [id] }))))
        .name,
    ).toBe('InvalidLaunchTemplateId.NotFound');
  });

  it('runs instances from a template with overrides and tags, through their states', async () => {
    const lt = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'run-from-template',
        LaunchTemplateData: {
          ImageId: AMI,
          InstanceType: 'm7i.large',
          InstanceInitiatedShutdownBehavior: 'terminate',
          MetadataOptions: { HttpTokens: 'required', InstanceMetadataTags: 'enabled' },
          BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 40 } }],
          TagSpecifications: [
            { ResourceType: 'instance', Tags: [{ Key: 'ferry:managed', Value: 'true' }] },
          ],
        },
      }),
    );
    const out = await ec2.send(
      new RunInstancesCommand({
        MinCount: 2,
        MaxCount: 2,
        LaunchTemplate: {
          LaunchTemplateId: lt.LaunchTemplate?.LaunchTemplateId,
          Version: '$Latest',
        },
        InstanceType: 'c7g.xlarge',
        SubnetId: subnetB,
        TagSpecifications: [
          { ResourceType: 'instance', Tags: [{ Key: 'ferry:cluster', Value: 'c2' }] },
          { ResourceType: 'volume', Tags: [{ Key: 'ferry:cluster', Value: 'c2' }] },
        ],
      }),
    );
    expect(out.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    expect(out.OwnerId).toBe(acct.accountId);
    expect(out.Instances).toHaveLength(2);
    const first = out.Instances?.[0];
    expect(first?.State?.Name).toBe('pending');
    expect(first?.InstanceType).toBe('c7g.xlarge');
    expect(first?.Architecture).toBe('arm64');
    expect(first?.Placement?.AvailabilityZone).toBe('us-east-1b');
    expect(first?.MetadataOptions?.HttpTokens).toBe('required');
    expect(first?.PrivateIpAddress).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(first?.PrivateIpAddress).not.toMatch(/^127\.0\.0\./);
    expect(first?.PublicIpAddress).toBe(first?.PrivateIpAddress);
    expect(out.Instances?.[1]?.PrivateIpAddress).not.toBe(first?.PrivateIpAddress);
    const tags = tagMap(first?.Tags);
    expect(tags).toMatchObject({
      'ferry:managed': 'true',
      'ferry:cluster': 'c2',
      'aws:ec2launchtemplate:version': '1',
    });

    const running = await inState(first?.InstanceId ?? '', 'running');
    expect(running.BlockDeviceMappings?.[0]?.Ebs?.VolumeId).toMatch(/^vol-/);
    const volumeTags = await ec2.send(
      new DescribeTagsCommand({
        Filters: [
          { Name: 'resource-id', Values: [running.BlockDeviceMappings?.[0]?.Ebs?.VolumeId ?? ''] },
        ],
      }),
    );
    expect(volumeTags.Tags?.map((t) => [t.ResourceType, t.Key, t.Value])).toEqual([
      ['volume', 'ferry:cluster', 'c2'],
    ]);

    // Stop and start, then terminate: terminated instances stay visible.
    const stopped = await ec2.send(
      new StopInstancesCommand({ InstanceIds: [running.InstanceId ?? ''] }),
    );
    expect(stopped.StoppingInstances?.[0]).toMatchObject({
      PreviousState: { Name: 'running', Code: 16 },
      CurrentState: { Name: 'stopping', Code: 64 },
    });
    await inState(running.InstanceId ?? '', 'stopped');
    await ec2.send(new StartInstancesCommand({ InstanceIds: [running.InstanceId ?? ''] }));
    await inState(running.InstanceId ?? '', 'running');
    const ids = (out.Instances ?? []).map((i) => i.InstanceId ?? '');
    const term = await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    expect(term.TerminatingInstances?.map((t) => t.CurrentState?.Name)).toEqual([
      'shutting-down',
      'shutting-down',
    ]);
    const gone = await inState(ids[0] ?? '', 'terminated');
    expect(gone.StateReason?.Code).toBe('Client.UserInitiatedShutdown');
    expect(gone.StateTransitionReason).toMatch(
      /^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/,
    );
    expect(gone.PublicIpAddress).toBeUndefined();
    const again = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids[0] ?? ''] }));
    expect(again.TerminatingInstances?.[0]?.PreviousState?.Name).toBe('terminated');
    expect(
      (await errorOf(ec2.send(new StartInstancesCommand({ InstanceIds: [ids[0] ?? ''] })))).name,
    ).toBe('IncorrectInstanceState');
  });

  it('filters and pages DescribeInstances; tags can be added and removed', async () => {
    const launched = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: 't3.large',
        MinCount: 7,
        MaxCount: 7,
        TagSpecifications: [
          { ResourceType: 'instance', Tags: [{ Key: 'ferry:workspace', Value: 'w-page' }] },
        ],
      }),
    );
    const ids = (launched.Instances ?? []).map((i) => i.InstanceId ?? '');
    const filters = [
      { Name: 'tag:ferry:workspace', Values: ['w-page'] },
      { Name: 'instance-state-name', Values: ['pending', 'running'] },
    ];
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await ec2.send(
        new DescribeInstancesCommand({ Filters: filters, MaxResults: 5, NextToken: token }),
      );
      for (const r of page.Reservations ?? [])
        for (const i of r.Instances ?? []) seen.push(i.InstanceId ?? '');
      token = page.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual([...ids].sort());
    const byType = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'instance-type', Values: ['t3.large'] },
          { Name: 'tag-key', Values: ['ferry:workspace'] },
        ],
      }),
    );
    expect(byType.Reservations?.flatMap((r) => r.Instances ?? [])).toHaveLength(7);
    const combo = await errorOf(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids[0] ?? ''], MaxResults: 5 })),
    );
    expect(combo.name).toBe('InvalidParameterCombination');
    const missing = await errorOf(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
    );
    expect(missing.name).toBe('InvalidInstanceID.NotFound');
    const badFilter = await errorOf(
      ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] }),
      ),
    );
    expect(badFilter.name).toBe('InvalidParameterValue');

    await ec2.send(
      new CreateTagsCommand({ Resources: [ids[0] ?? ''], Tags: [{ Key: 'owner', Value: 'ana' }] }),
    );
    const tagged = await ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['owner'] }] }),
    );
    expect(tagged.Tags).toEqual([
      { Key: 'owner', ResourceId: ids[0], ResourceType: 'instance', Value: 'ana' },
    ]);
    await ec2.send(new DeleteTagsCommand({ Resources: [ids[0] ?? ''], Tags: [{ Key: 'owner' }] }));
    expect(
      (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['owner'] }] })))
        .Tags,
    ).toEqual([]);
    const reserved = await errorOf(
      ec2.send(
        new CreateTagsCommand({ Resources: [ids[0] ?? ''], Tags: [{ Key: 'aws:x', Value: '1' }] }),
      ),
    );
    expect(reserved.name).toBe('InvalidParameterValue');
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  });

  it('honours ClientToken idempotency and DryRun', async () => {
    const params = {
      ImageId: AMI,
      InstanceType: 'm7i.large' as _InstanceType,
      MinCount: 1,
      MaxCount: 1,
      ClientToken: 'cluster-7-attempt-1',
    };
    const a = await ec2.send(new RunInstancesCommand(params));
    const b = await ec2.send(new RunInstancesCommand(params));
    expect(b.ReservationId).toBe(a.ReservationId);
    expect(b.Instances?.map((i) => i.InstanceId)).toEqual(a.Instances?.map((i) => i.InstanceId));
    expect(b.Instances?.[0]?.ClientToken).toBe('cluster-7-attempt-1');
    const mismatch = await errorOf(
      ec2.send(new RunInstancesCommand({ ...params, InstanceType: 'm7i.xlarge' })),
    );
    expect(mismatch.name).toBe('IdempotentParameterMismatch');
    // Tokens are per region: the same token in another region is a new request.
    const west = new EC2Client(lc.config(acct, 'us-west-2'));
    const c = await west.send(new RunInstancesCommand(params));
    expect(c.Instances?.[0]?.InstanceId).not.toBe(a.Instances?.[0]?.InstanceId);
    const dry = await errorOf(
      ec2.send(new RunInstancesCommand({ ...params, ClientToken: undefined, DryRun: true })),
    );
    expect(dry.name).toBe('DryRunOperation');
    expect(dry.message).toBe('Request would have succeeded, but DryRun flag is set.');
    expect(dry.$metadata?.httpStatusCode).toBe(412);
    const all = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [{ Name: 'client-token', Values: ['cluster-7-attempt-1'] }],
      }),
    );
    expect(all.Reservations?.flatMap((r) => r.Instances ?? [])).toHaveLength(1);
    for (const dryOp of [
      new DescribeInstancesCommand({ DryRun: true }),
      new TerminateInstancesCommand({
        InstanceIds: [a.Instances?.[0]?.InstanceId ?? ''],
        DryRun: true,
      }),
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'dry',
        LaunchTemplateData: { ImageId: AMI },
        DryRun: true,
      }),
    ]) {
      expect((await errorOf(ec2.send(dryOp as never))).name).toBe('DryRunOperation');
    }
    expect((await describe1(a.Instances?.[0]?.InstanceId ?? ''))?.State?.Name).not.toBe(
      'shutting-down',
    );
  });

  it('lists instances on the admin route and answers awscli', async () => {
    const run = await runAwsCli(
      [
        'ec2',
        'run-instances',
        '--image-id',
        AMI,
        '--instance-type',
        'r7i.large',
        '--count',
        '1',
        '--tag-specifications',
        'ResourceType=instance,Tags=[{Key=via,Value=cli}]',
      ],
      { endpoint: lc.url, credentials: acct },
    );
    expect(run.code).toBe(0);
    const id = (run.json as { Instances: { InstanceId: string }[] }).Instances[0]?.InstanceId ?? '';
    const listed = await lc.admin('GET', '/_localcloud/instances');
    const mine = (
      listed.body as {
        instances: {
          instanceId: string;
          accountId: string;
          region: string;
          tags: Record<string, string>;
        }[];
      }
    ).instances.find((i) => i.instanceId === id);
    expect(mine).toMatchObject({
      accountId: acct.accountId,
      region: 'us-east-1',
      tags: { via: 'cli' },
    });
  }, 120_000);
});
