import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  DeleteFleetsCommand,
  DescribeFleetsCommand,
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RunInstancesCommand,
  type CreateFleetCommandInput,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startEc2TestCloud, tagMap, waitFor, type Ec2TestCloud } from './test-support.ts';

const AMI = 'ami-0abcdef1234567890';

describe('EC2 Fleet (instant) through the AWS SDK v3', () => {
  let lc: Ec2TestCloud;
  let ec2: EC2Client;
  let ltId: string;
  const subnet: Record<string, string> = {};

  beforeAll(async () => {
    lc = await startEc2TestCloud();
    ec2 = new EC2Client(lc.config(await lc.account('fleets')));
    const subnets = await ec2.send(new DescribeSubnetsCommand({}));
    for (const s of subnets.Subnets ?? []) subnet[s.AvailabilityZone ?? ''] = s.SubnetId ?? '';
    const lt = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'fleet-template',
        LaunchTemplateData: {
          ImageId: AMI,
          InstanceInitiatedShutdownBehavior: 'terminate',
          TagSpecifications: [
            { ResourceType: 'instance', Tags: [{ Key: 'ferry:managed', Value: 'true' }] },
          ],
        },
      }),
    );
    ltId = lt.LaunchTemplate?.LaunchTemplateId ?? '';
  });
  afterEach(async () => {
    await lc.admin('DELETE', '/_localcloud/faults');
  });
  afterAll(async () => {
    await lc.stop();
  });

  const fleetInput = (
    overrides: { SubnetId: string; InstanceType: _InstanceType; Priority?: number }[],
    token?: string,
  ): CreateFleetCommandInput => ({
    Type: 'instant',
    ClientToken: token,
    LaunchTemplateConfigs: [
      {
        LaunchTemplateSpecification: { LaunchTemplateId: ltId, Version: '$Latest' },
        Overrides: overrides,
      },
    ],
    TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'on-demand' },
    OnDemandOptions: { AllocationStrategy: 'prioritized' },
    TagSpecifications: [{ ResourceType: 'fleet', Tags: [{ Key: 'ferry:cluster', Value: 'c1' }] }],
  });

  it('routes around a capacity error in one zone and reports it in Errors', async () => {
    const fault = await lc.admin('POST', '/_localcloud/faults', {
      service: 'ec2',
      action: 'CreateFleet',
      error: 'InsufficientInstanceCapacity',
      instanceType: 'm7i.xlarge',
      availabilityZone: 'us-east-1a',
    });
    expect(fault.status).toBeLessThan(300);
    const out = await ec2.send(
      new CreateFleetCommand(
        fleetInput([
          { SubnetId: subnet['us-east-1a'] ?? '', InstanceType: 'm7i.xlarge', Priority: 1 },
          { SubnetId: subnet['us-east-1c'] ?? '', InstanceType: 'm7i.xlarge', Priority: 2 },
        ]),
      ),
    );
    expect(out.FleetId).toMatch(/^fleet-[0-9a-f-]{36}$/);
    expect(out.Errors).toHaveLength(1);
    expect(out.Errors?.[0]).toMatchObject({
      ErrorCode: 'InsufficientInstanceCapacity',
      Lifecycle: 'on-demand',
      LaunchTemplateAndOverrides: {
        LaunchTemplateSpecification: { LaunchTemplateId: ltId, Version: '$Latest' },
        Overrides: { SubnetId: subnet['us-east-1a'], InstanceType: 'm7i.xlarge' },
      },
    });
    expect(out.Errors?.[0]?.ErrorMessage).toContain('(us-east-1a)');
    expect(out.Instances).toHaveLength(1);
    expect(out.Instances?.[0]?.LaunchTemplateAndOverrides?.Overrides?.SubnetId).toBe(
      subnet['us-east-1c'],
    );
    const id = out.Instances?.[0]?.InstanceIds?.[0] ?? '';
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const inst = described.Reservations?.[0]?.Instances?.[0];
    expect(inst?.Placement?.AvailabilityZone).toBe('us-east-1c');
    expect(tagMap(inst?.Tags)).toMatchObject({
      'ferry:managed': 'true',
      'aws:ec2:fleet-id': out.FleetId,
    });

    const fleets = await ec2.send(new DescribeFleetsCommand({ FleetIds: [out.FleetId ?? ''] }));
    expect(fleets.Fleets?.[0]).toMatchObject({
      Type: 'instant',
      FleetState: 'active',
      Tags: [{ Key: 'ferry:cluster', Value: 'c1' }],
    });
    expect(fleets.Fleets?.[0]?.Instances?.[0]?.InstanceIds).toEqual([id]);

    const deleted = await ec2.send(
      new DeleteFleetsCommand({ FleetIds: [out.FleetId ?? ''], TerminateInstances: true }),
    );
    expect(deleted.SuccessfulFleetDeletions?.[0]).toMatchObject({
      CurrentFleetState: 'deleted_terminating',
      PreviousFleetState: 'active',
    });
    await waitFor(async () => {
      const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      return d.Reservations?.[0]?.Instances?.[0]?.State?.Name === 'terminated' ? true : undefined;
    });
    const after = await ec2.send(new DescribeFleetsCommand({ FleetIds: [out.FleetId ?? ''] }));
    expect(after.Fleets?.[0]?.FleetState).toBe('deleted');
    const unknown = await ec2.send(
      new DeleteFleetsCommand({
        FleetIds: ['fleet-00000000-0000-0000-0000-000000000000'],
        TerminateInstances: true,
      }),
    );
    expect(unknown.UnsuccessfulFleetDeletions?.[0]?.Error?.Code).toBe('fleetIdDoesNotExist');
  });

  it('launches nothing and lists every pool when all pools lack capacity', async () => {
    for (const zone of ['us-east-1a', 'us-east-1b']) {
      await lc.admin('POST', '/_localcloud/faults', {
        service: 'ec2',
        error: 'InsufficientInstanceCapacity',
        instanceType: 'c7i.large',
        availabilityZone: zone,
      });
    }
    const out = await ec2.send(
      new CreateFleetCommand(
        fleetInput([
          { SubnetId: subnet['us-east-1a'] ?? '', InstanceType: 'c7i.large' },
          { SubnetId: subnet['us-east-1b'] ?? '', InstanceType: 'c7i.large' },
        ]),
      ),
    );
    expect(out.Instances ?? []).toHaveLength(0);
    expect(out.Errors?.map((e) => e.ErrorCode)).toEqual([
      'InsufficientInstanceCapacity',
      'InsufficientInstanceCapacity',
    ]);
    // RunInstances sees the same capacity fault.
    const run = await errorOf(
      ec2.send(
        new RunInstancesCommand({
          ImageId: AMI,
          InstanceType: 'c7i.large',
          SubnetId: subnet['us-east-1a'],
          MinCount: 1,
          MaxCount: 1,
        }),
      ),
    );
    expect(run.name).toBe('InsufficientInstanceCapacity');
  });

  it('picks the cheapest pool with lowest-price and keeps ClientToken idempotency', async () => {
    const input: CreateFleetCommandInput = {
      ...fleetInput(
        [
          { SubnetId: subnet['us-east-1b'] ?? '', InstanceType: 'r7i.large' },
          { SubnetId: subnet['us-east-1b'] ?? '', InstanceType: 'c7i.large' },
          { SubnetId: subnet['us-east-1b'] ?? '', InstanceType: 'm7i.large' },
        ],
        'cluster-9-attempt-1',
      ),
      OnDemandOptions: { AllocationStrategy: 'lowest-price' },
    };
    const a = await ec2.send(new CreateFleetCommand(input));
    expect(a.Instances?.[0]?.InstanceType).toBe('c7i.large');
    const b = await ec2.send(new CreateFleetCommand(input));
    expect(b.FleetId).toBe(a.FleetId);
    expect(b.Instances?.[0]?.InstanceIds).toEqual(a.Instances?.[0]?.InstanceIds);
    const changed = await errorOf(
      ec2.send(
        new CreateFleetCommand({
          ...input,
          TargetCapacitySpecification: {
            TotalTargetCapacity: 2,
            DefaultTargetCapacityType: 'on-demand',
          },
        }),
      ),
    );
    expect(changed.name).toBe('IdempotentParameterMismatch');
    const notInstant = await errorOf(
      ec2.send(new CreateFleetCommand({ ...input, ClientToken: undefined, Type: 'maintain' })),
    );
    expect(notInstant.name).toBe('InvalidParameterValue');
    const keep = await ec2.send(
      new DeleteFleetsCommand({ FleetIds: [a.FleetId ?? ''], TerminateInstances: false }),
    );
    expect(keep.UnsuccessfulFleetDeletions?.[0]?.Error?.Code).toBe('fleetNotInDeletableState');
  });

  it('fails the whole call on throttling', async () => {
    await lc.admin('POST', '/_localcloud/faults', {
      service: 'ec2',
      action: 'CreateFleet',
      error: 'RequestLimitExceeded',
    });
    const err = await errorOf(
      ec2.send(
        new CreateFleetCommand(
          fleetInput([{ SubnetId: subnet['us-east-1a'] ?? '', InstanceType: 'm7i.large' }]),
        ),
      ),
    );
    expect(err.name).toBe('RequestLimitExceeded');
  });
});
