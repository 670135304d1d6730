/**
 * Differential test: the EC2 calls ferry makes, sent through the same SDK client to
 * localcloud and to moto_server. For each call the members ferry reads must parse to the
 * same shape (keys and types) and errors must carry the same code, except the differences
 * listed below (and justified in docs/localcloud.md).
 */
import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  CreateTagsCommand,
  DeleteFleetsCommand,
  DeleteLaunchTemplateCommand,
  DescribeFleetsCommand,
  DescribeImagesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMotoServer, type MotoServer } from '../../testing/moto-server.ts';
import { compareRuns, type Outcome } from '../../testing/shape-diff.ts';
import { shapeOf } from '../../testing/shape-of.ts';
import { startEc2TestCloud, type Ec2TestCloud } from './test-support.ts';

type Memo = Record<string, string>;

interface Step {
  name: string;
  run(ec2: EC2Client, memo: Memo): Promise<unknown>;
  /** The part of the answer ferry reads. */
  pick?(out: Record<string, unknown>): unknown;
}

const AMI = 'ami-0abcdef1234567890';
const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : undefined);
const only = (o: unknown, keys: string[]): Record<string, unknown> => {
  const src = (o ?? {}) as Record<string, unknown>;
  return Object.fromEntries(keys.filter((k) => src[k] !== undefined).map((k) => [k, src[k]]));
};
const INSTANCE_KEYS = [
  'InstanceId',
  'InstanceType',
  'State',
  'Placement',
  'SubnetId',
  'VpcId',
  'PrivateIpAddress',
  'LaunchTime',
  'Tags',
];

const steps: Step[] = [
  {
    name: 'DescribeInstanceTypes',
    run: (e) => e.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m7i.large'] })),
    pick: (o) =>
      only(first(o.InstanceTypes), [
        'InstanceType',
        'VCpuInfo',
        'MemoryInfo',
        'ProcessorInfo',
        'CurrentGeneration',
      ]),
  },
  {
    name: 'DescribeInstanceTypes unknown',
    run: (e) =>
      e.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m9z.huge' as 'm7i.large'] })),
  },
  {
    name: 'DescribeInstanceTypeOfferings',
    run: (e) =>
      e.send(
        new DescribeInstanceTypeOfferingsCommand({
          LocationType: 'availability-zone',
          Filters: [{ Name: 'instance-type', Values: ['m7i.large'] }],
        }),
      ),
    pick: (o) => ({ first: first(o.InstanceTypeOfferings) }),
  },
  {
    name: 'DescribeImages amazon x86_64',
    run: (e) =>
      e.send(
        new DescribeImagesCommand({
          Owners: ['amazon'],
          Filters: [
            { Name: 'architecture', Values: ['x86_64'] },
            { Name: 'state', Values: ['available'] },
          ],
        }),
      ),
    pick: (o) =>
      only(first(o.Images), [
        'ImageId',
        'Name',
        'Architecture',
        'State',
        'OwnerId',
        'CreationDate',
        'Public',
        'RootDeviceType',
      ]),
  },
  {
    name: 'DescribeImages missing',
    run: (e) => e.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] })),
  },
  {
    name: 'DescribeSubnets',
    run: async (e, m) => {
      const out = await e.send(
        new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }),
      );
      m.subnet = out.Subnets?.[0]?.SubnetId ?? '';
      return out;
    },
    pick: (o) =>
      only(first(o.Subnets), [
        'SubnetId',
        'VpcId',
        'AvailabilityZone',
        'CidrBlock',
        'DefaultForAz',
      ]),
  },
  {
    name: 'CreateLaunchTemplate',
    run: async (e, m) => {
      const out = await e.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: 'ferry-diff',
          LaunchTemplateData: {
            ImageId: AMI,
            InstanceType: 'm7i.large',
            InstanceInitiatedShutdownBehavior: 'terminate',
            MetadataOptions: { HttpTokens: 'required' },
          },
          TagSpecifications: [
            { ResourceType: 'launch-template', Tags: [{ Key: 'ferry:managed', Value: 'true' }] },
          ],
        }),
      );
      m.lt = out.LaunchTemplate?.LaunchTemplateId ?? '';
      return out;
    },
    pick: (o) => ({
      LaunchTemplate: only(o.LaunchTemplate, [
        'LaunchTemplateId',
        'LaunchTemplateName',
        'LatestVersionNumber',
        'DefaultVersionNumber',
      ]),
    }),
  },
  {
    name: 'CreateLaunchTemplate duplicate',
    run: (e) =>
      e.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: 'ferry-diff',
          LaunchTemplateData: { ImageId: AMI },
        }),
      ),
  },
  {
    name: 'DescribeLaunchTemplates',
    run: (e) => e.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['ferry-diff'] })),
    pick: (o) =>
      only(first(o.LaunchTemplates), [
        'LaunchTemplateId',
        'LaunchTemplateName',
        'LatestVersionNumber',
        'Tags',
      ]),
  },
  {
    name: 'RunInstances',
    run: async (e, m) => {
      const out = await e.send(
        new RunInstancesCommand({
          MinCount: 1,
          MaxCount: 1,
          LaunchTemplate: { LaunchTemplateId: m.lt, Version: '1' },
          SubnetId: m.subnet,
          ClientToken: 'diff-token',
          TagSpecifications: [
            { ResourceType: 'instance', Tags: [{ Key: 'ferry:cluster', Value: 'diff' }] },
          ],
        }),
      );
      m.instance = out.Instances?.[0]?.InstanceId ?? '';
      return out;
    },
    pick: (o) => ({
      ReservationId: o.ReservationId,
      Instance: only(first(o.Instances), [
        'InstanceId',
        'InstanceType',
        'State',
        'Placement',
        'SubnetId',
      ]),
    }),
  },
  {
    name: 'RunInstances DryRun',
    run: (e) =>
      e.send(
        new RunInstancesCommand({
          ImageId: AMI,
          InstanceType: 'm7i.large',
          MinCount: 1,
          MaxCount: 1,
          DryRun: true,
        }),
      ),
  },
  {
    name: 'CreateTags',
    run: (e, m) =>
      e.send(
        new CreateTagsCommand({
          Resources: [m.instance ?? ''],
          Tags: [{ Key: 'owner', Value: 'diff' }],
        }),
      ),
  },
  {
    name: 'DescribeInstances by tag',
    run: (e) =>
      e.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: 'tag:ferry:cluster', Values: ['diff'] }],
        }),
      ),
    pick: (o) =>
      only(
        first((first(o.Reservations) as { Instances?: unknown } | undefined)?.Instances),
        INSTANCE_KEYS,
      ),
  },
  {
    name: 'DescribeInstances missing',
    run: (e) => e.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
  },
  {
    name: 'CreateFleet',
    run: async (e, m) => {
      const out = await e.send(
        new CreateFleetCommand({
          Type: 'instant',
          LaunchTemplateConfigs: [
            {
              LaunchTemplateSpecification: { LaunchTemplateId: m.lt, Version: '$Latest' },
              Overrides: [{ SubnetId: m.subnet, InstanceType: 'm7i.large' }],
            },
          ],
          TargetCapacitySpecification: {
            TotalTargetCapacity: 1,
            DefaultTargetCapacityType: 'on-demand',
          },
          TagSpecifications: [
            { ResourceType: 'fleet', Tags: [{ Key: 'ferry:cluster', Value: 'diff' }] },
          ],
        }),
      );
      m.fleet = out.FleetId ?? '';
      return out;
    },
    pick: (o) => ({
      FleetId: o.FleetId,
      Instance: only(first(o.Instances), ['InstanceIds', 'InstanceType']),
    }),
  },
  {
    name: 'DescribeFleets',
    run: (e, m) => e.send(new DescribeFleetsCommand({ FleetIds: [m.fleet ?? ''] })),
    pick: (o) => only(first(o.Fleets), ['FleetId', 'FleetState', 'Type', 'Tags']),
  },
  {
    name: 'DeleteFleets',
    run: (e, m) =>
      e.send(new DeleteFleetsCommand({ FleetIds: [m.fleet ?? ''], TerminateInstances: true })),
    pick: (o) => ({
      ok: only(first(o.SuccessfulFleetDeletions), [
        'FleetId',
        'CurrentFleetState',
        'PreviousFleetState',
      ]),
    }),
  },
  {
    name: 'TerminateInstances',
    run: (e, m) => e.send(new TerminateInstancesCommand({ InstanceIds: [m.instance ?? ''] })),
    pick: (o) =>
      only(first(o.TerminatingInstances), ['InstanceId', 'CurrentState', 'PreviousState']),
  },
  {
    name: 'DeleteLaunchTemplate',
    run: (e, m) => e.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: m.lt })),
    pick: (o) => ({
      LaunchTemplate: only(o.LaunchTemplate, ['LaunchTemplateId', 'LaunchTemplateName']),
    }),
  },
];

/**
 * Known differences, each justified in docs/localcloud.md ("Differences from moto (EC2)").
 * A difference that disappears makes the test fail, so the list stays true.
 */
const MOTO_PART = 'ec2';

const knownDifferences: Record<string, string> = {};
async function runAll(ec2: EC2Client): Promise<Record<string, Outcome>> {
  const memo: Memo = {};
  const out: Record<string, Outcome> = {};
  for (const step of steps) {
    try {
      const result = (await step.run(ec2, memo)) as Record<string, unknown>;
      out[step.name] = { ok: shapeOf(step.pick ? step.pick(result) : result) };
    } catch (err) {
      out[step.name] = { error: (err as { name: string }).name };
    }
  }
  return out;
}

describe('EC2 against moto_server', { timeout: 120_000 }, () => {
  let lc: Ec2TestCloud;
  let moto: MotoServer;

  beforeAll(async () => {
    [lc, moto] = await Promise.all([startEc2TestCloud(), startMotoServer()]);
  });
  afterAll(async () => {
    await Promise.all([lc?.stop(), moto?.stop()]);
  });

  it('parses to the same shapes and error codes for the calls ferry makes', async () => {
    const acct = await lc.account();
    const ours = await runAll(new EC2Client(lc.config(acct)));
    const theirs = await runAll(
      new EC2Client({
        endpoint: moto.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIAMOTOMOTOMOTO0000', secretAccessKey: 'moto' },
        maxAttempts: 1,
      }),
    );
    const { differences, report } = compareRuns(ours, theirs, knownDifferences);
    console.log(`moto differential (${MOTO_PART}): ${report.join('\n')}`);
    // Exactly the allowed (step, path) differences: a new one, or one that went away, fails.
    expect(Object.keys(differences).sort(), JSON.stringify(differences, null, 1)).toEqual(
      Object.keys(knownDifferences).sort(),
    );
    for (const name of [
      'RunInstances',
      'CreateFleet',
      'DescribeInstances by tag',
      'DeleteFleets',
      'DescribeImages amazon x86_64',
    ]) {
      expect(ours[name]).toHaveProperty('ok');
    }
    expect(ours['RunInstances DryRun']).toEqual({ error: 'DryRunOperation' });
    expect(ours['DescribeInstances missing']).toEqual({ error: 'InvalidInstanceID.NotFound' });
    expect(ours['DescribeImages missing']).toEqual({ error: 'InvalidAMIID.NotFound' });
  });
});
