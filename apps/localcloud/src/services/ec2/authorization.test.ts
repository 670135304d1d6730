import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  CreateTagsCommand,
  DeleteFleetsCommand,
  DeleteLaunchTemplateCommand,
  DescribeInstancesCommand,
  EC2Client,
  GetConsoleOutputCommand,
  ModifyLaunchTemplateCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateAccessKeyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startEc2TestCloud, type Ec2TestCloud, type TestAccount } from './test-support.ts';

const AMI = 'ami-0abcdef1234567890';
const doc = (...Statement: Record<string, unknown>[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement });
const RUN_RESOURCES = ['subnet', 'security-group', 'network-interface', 'volume', 'image'].map(
  (t) => `arn:aws:ec2:*:*:${t}/*`,
);

describe('EC2 authorization per resource, as the service authorization reference defines it', () => {
  let lc: Ec2TestCloud;
  let acct: TestAccount;
  let admin: EC2Client;
  let iam: IAMClient;

  async function user(name: string, policy: string): Promise<EC2Client> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: policy }),
    );
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return new EC2Client(
      lc.config({
        accessKeyId: key.AccessKey?.AccessKeyId ?? '',
        secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
      }),
    );
  }

  const run = (client: EC2Client, extra: Record<string, unknown> = {}) =>
    client.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: 't3.large',
        MinCount: 1,
        MaxCount: 1,
        ...extra,
      }),
    );

  beforeAll(async () => {
    lc = await startEc2TestCloud();
    acct = await lc.account('authz');
    admin = new EC2Client(lc.config(acct));
    iam = new IAMClient(lc.config(acct));
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'worker',
        AssumeRolePolicyDocument: doc({
          Effect: 'Allow',
          Principal: { Service: 'ec2.amazonaws.com' },
          Action: 'sts:AssumeRole',
        }),
      }),
    );
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'worker' }));
    await iam.send(
      new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'worker', RoleName: 'worker' }),
    );
  });
  afterAll(async () => {
    await lc.stop();
  });

  it('a tag-scoped policy terminates tagged instances only (DryRun agrees)', async () => {
    const reaper = await user(
      'reaper',
      doc(
        { Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'ec2:TerminateInstances',
          Resource: 'arn:aws:ec2:*:*:instance/*',
          Condition: { StringEquals: { 'aws:ResourceTag/ferry:managed': 'true' } },
        },
      ),
    );
    const tagged = await run(admin, {
      TagSpecifications: [
        { ResourceType: 'instance', Tags: [{ Key: 'ferry:managed', Value: 'true' }] },
      ],
    });
    const untagged = await run(admin);
    const taggedId = tagged.Instances?.[0]?.InstanceId ?? '';
    const untaggedId = untagged.Instances?.[0]?.InstanceId ?? '';

    const denied = await errorOf(
      reaper.send(new TerminateInstancesCommand({ InstanceIds: [untaggedId] })),
    );
    expect(denied.name).toBe('UnauthorizedOperation');
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    const dryDenied = await errorOf(
      reaper.send(new TerminateInstancesCommand({ InstanceIds: [untaggedId], DryRun: true })),
    );
    expect(dryDenied.name).toBe('UnauthorizedOperation');
    const dryAllowed = await errorOf(
      reaper.send(new TerminateInstancesCommand({ InstanceIds: [taggedId], DryRun: true })),
    );
    expect(dryAllowed.name).toBe('DryRunOperation');
    // Both in one call: all or nothing.
    const mixed = await errorOf(
      reaper.send(new TerminateInstancesCommand({ InstanceIds: [taggedId, untaggedId] })),
    );
    expect(mixed.name).toBe('UnauthorizedOperation');
    const ok = await reaper.send(new TerminateInstancesCommand({ InstanceIds: [taggedId] }));
    expect(ok.TerminatingInstances?.[0]?.CurrentState?.Name).toBe('shutting-down');
    const still = await admin.send(new DescribeInstancesCommand({ InstanceIds: [untaggedId] }));
    expect(still.Reservations?.[0]?.Instances?.[0]?.State?.Name).not.toBe('shutting-down');
    expect((await errorOf(run(reaper))).name).toBe('UnauthorizedOperation');
  });

  it('tags at launch need ec2:CreateTags with ec2:CreateAction = RunInstances', async () => {
    const launcher = await user(
      'launcher',
      doc({ Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' }),
    );
    await run(launcher);
    const tags = {
      TagSpecifications: [
        { ResourceType: 'instance', Tags: [{ Key: 'ferry:managed', Value: 'true' }] },
      ],
    };
    expect((await errorOf(run(launcher, tags))).name).toBe('UnauthorizedOperation');
    const tagger = await user(
      'tagger',
      doc(
        { Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'ec2:CreateTags',
          Resource: '*',
          Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
        },
      ),
    );
    const out = await run(tagger, tags);
    expect(out.Instances?.[0]?.Tags).toEqual([{ Key: 'ferry:managed', Value: 'true' }]);
  });

  it('conditions on the instance resource (ec2:InstanceType) and request tags (aws:RequestTag) hold', async () => {
    const small = await user(
      'small-only',
      doc(
        {
          Effect: 'Allow',
          Action: 'ec2:RunInstances',
          Resource: 'arn:aws:ec2:*:*:instance/*',
          Condition: {
            StringEquals: {
              'ec2:InstanceType': 't3.large',
              'aws:RequestTag/ferry:managed': 'true',
            },
            'ForAllValues:StringEquals': { 'aws:TagKeys': ['ferry:managed', 'ferry:cluster'] },
          },
        },
        { Effect: 'Allow', Action: 'ec2:RunInstances', Resource: RUN_RESOURCES },
        {
          Effect: 'Allow',
          Action: 'ec2:CreateTags',
          Resource: '*',
          Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
        },
      ),
    );
    const tags = (extra: { Key: string; Value: string }[] = []) => ({
      TagSpecifications: [
        { ResourceType: 'instance', Tags: [{ Key: 'ferry:managed', Value: 'true' }, ...extra] },
      ],
    });
    await run(small, tags());
    expect((await errorOf(run(small, { ...tags(), InstanceType: 'm7i.large' }))).name).toBe(
      'UnauthorizedOperation',
    );
    expect((await errorOf(run(small))).name).toBe('UnauthorizedOperation');
    expect((await errorOf(run(small, tags([{ Key: 'other', Value: 'x' }])))).name).toBe(
      'UnauthorizedOperation',
    );
  });

  it('launching with an instance profile needs iam:PassRole for the role, passed to EC2', async () => {
    const runner = await user(
      'no-passrole',
      doc({ Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' }),
    );
    const profile = { IamInstanceProfile: { Name: 'worker' } };
    const denied = await errorOf(run(runner, profile));
    expect(denied.name).toBe('UnauthorizedOperation');
    expect((await errorOf(run(runner, { ...profile, DryRun: true }))).name).toBe(
      'UnauthorizedOperation',
    );

    const wrongService = await user(
      'passrole-to-lambda',
      doc(
        { Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: `arn:aws:iam::${acct.accountId}:role/worker`,
          Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
        },
      ),
    );
    expect((await errorOf(run(wrongService, profile))).name).toBe('UnauthorizedOperation');

    const passer = await user(
      'passrole',
      doc(
        { Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: `arn:aws:iam::${acct.accountId}:role/worker`,
          Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
        },
      ),
    );
    const out = await run(passer, profile);
    expect(out.Instances?.[0]?.IamInstanceProfile?.Arn).toBe(
      `arn:aws:iam::${acct.accountId}:instance-profile/worker`,
    );
    expect((await errorOf(run(passer, { IamInstanceProfile: { Name: 'missing' } }))).name).toBe(
      'InvalidParameterValue',
    );
  });

  it('CreateFleet is authorized as the fleet and per pool; RunInstances denials become fleet Errors', async () => {
    const lt = await admin.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'authz-fleet',
        LaunchTemplateData: {
          ImageId: AMI,
          IamInstanceProfile: { Name: 'worker' },
          TagSpecifications: [
            { ResourceType: 'instance', Tags: [{ Key: 'ferry:managed', Value: 'true' }] },
          ],
        },
        TagSpecifications: [
          { ResourceType: 'launch-template', Tags: [{ Key: 'ferry:managed', Value: 'true' }] },
        ],
      }),
    );
    const input = {
      Type: 'instant' as const,
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: {
            LaunchTemplateId: lt.LaunchTemplate?.LaunchTemplateId,
            Version: '$Latest',
          },
          Overrides: [{ InstanceType: 't3.large' as _InstanceType }],
        },
      ],
      TargetCapacitySpecification: {
        TotalTargetCapacity: 1,
        DefaultTargetCapacityType: 'on-demand' as const,
      },
      TagSpecifications: [
        { ResourceType: 'fleet' as const, Tags: [{ Key: 'ferry:managed', Value: 'true' }] },
      ],
    };
    const tagged = { StringEquals: { 'aws:RequestTag/ferry:managed': 'true' } };
    const fleetStatements = [
      {
        Effect: 'Allow',
        Action: 'ec2:CreateFleet',
        Resource: 'arn:aws:ec2:*:*:fleet/*',
        Condition: tagged,
      },
      {
        Effect: 'Allow',
        Action: 'ec2:CreateFleet',
        Resource: 'arn:aws:ec2:*:*:instance/*',
        Condition: {
          ...tagged,
          ArnEquals: {
            'ec2:InstanceProfile': `arn:aws:iam::${acct.accountId}:instance-profile/worker`,
          },
        },
      },
      {
        Effect: 'Allow',
        Action: 'ec2:CreateFleet',
        Resource: ['subnet', 'image', 'volume', 'launch-template'].map(
          (t) => `arn:aws:ec2:*:*:${t}/*`,
        ),
      },
      {
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: '*',
        Condition: { StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateFleet'] } },
      },
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: `arn:aws:iam::${acct.accountId}:role/worker`,
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
    ];
    const noRun = await user('fleet-no-run', doc(...fleetStatements));
    const partial = await noRun.send(new CreateFleetCommand(input));
    expect(partial.Instances ?? []).toHaveLength(0);
    expect(partial.Errors?.[0]?.ErrorCode).toBe('UnauthorizedOperation');
    expect(
      (await errorOf(noRun.send(new CreateFleetCommand({ ...input, DryRun: true })))).name,
    ).toBe('UnauthorizedOperation');

    const full = await user(
      'fleet-full',
      doc(...fleetStatements, { Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' }),
    );
    expect(
      (await errorOf(full.send(new CreateFleetCommand({ ...input, DryRun: true })))).name,
    ).toBe('DryRunOperation');
    const ok = await full.send(new CreateFleetCommand(input));
    expect(ok.Instances?.[0]?.InstanceIds).toHaveLength(1);
    expect(ok.Errors ?? []).toHaveLength(0);
    const untaggedFleet = await errorOf(
      full.send(new CreateFleetCommand({ ...input, TagSpecifications: [] })),
    );
    expect(untaggedFleet.name).toBe('UnauthorizedOperation');
  });

  it('authorizes before reporting NotFound: missing ids are checked by their ARN alone', async () => {
    const MISSING_I = 'i-0123456789abcdef0';
    const MISSING_FLEET = 'fleet-01234567-89ab-cdef-0123-456789abcdef';
    const MISSING_LT = 'lt-0123456789abcdef0';
    const MISSING_SUBNET = 'subnet-0badbadbadbadbad0';
    const scoped = {
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceTag/ferry:managed': 'true' } },
    };
    const tagScoped = await user(
      'tag-scoped',
      doc(
        {
          Effect: 'Allow',
          Action: [
            'ec2:TerminateInstances',
            'ec2:StopInstances',
            'ec2:GetConsoleOutput',
            'ec2:DeleteFleets',
            'ec2:DeleteLaunchTemplate',
            'ec2:ModifyLaunchTemplate',
            'ec2:CreateTags',
          ],
          ...scoped,
        },
        {
          Effect: 'Allow',
          Action: 'ec2:RunInstances',
          Resource: 'arn:aws:ec2:*:*:subnet/*',
          Condition: { StringEquals: { 'ec2:Vpc': 'arn:aws:ec2:*:*:vpc/vpc-00000000000000000' } },
        },
      ),
    );
    const unscoped = await user(
      'unscoped',
      doc({ Effect: 'Allow', Action: ['ec2:*'], Resource: '*' }),
    );
    const requests: [string, (c: EC2Client, dry: boolean) => Promise<unknown>, string][] = [
      [
        'TerminateInstances',
        (c, DryRun) => c.send(new TerminateInstancesCommand({ InstanceIds: [MISSING_I], DryRun })),
        'InvalidInstanceID.NotFound',
      ],
      [
        'StopInstances',
        (c, DryRun) => c.send(new StopInstancesCommand({ InstanceIds: [MISSING_I], DryRun })),
        'InvalidInstanceID.NotFound',
      ],
      [
        'GetConsoleOutput',
        (c, DryRun) => c.send(new GetConsoleOutputCommand({ InstanceId: MISSING_I, DryRun })),
        'InvalidInstanceID.NotFound',
      ],
      [
        'CreateTags',
        (c, DryRun) =>
          c.send(
            new CreateTagsCommand({
              Resources: [MISSING_I],
              Tags: [{ Key: 'ferry:managed', Value: 'true' }],
              DryRun,
            }),
          ),
        'InvalidInstanceID.NotFound',
      ],
      [
        'DeleteLaunchTemplate',
        (c, DryRun) =>
          c.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: MISSING_LT, DryRun })),
        'InvalidLaunchTemplateId.NotFound',
      ],
      [
        'ModifyLaunchTemplate by name',
        (c, DryRun) =>
          c.send(
            new ModifyLaunchTemplateCommand({
              LaunchTemplateName: 'nobody',
              DefaultVersion: '1',
              DryRun,
            }),
          ),
        'InvalidLaunchTemplateName.NotFoundException',
      ],
      [
        'RunInstances into a missing subnet',
        (c, DryRun) => run(c, { SubnetId: MISSING_SUBNET, DryRun }),
        'InvalidSubnetID.NotFound',
      ],
    ];
    for (const [name, send, notFound] of requests) {
      for (const dry of [false, true]) {
        const denied = await errorOf(send(tagScoped, dry));
        expect(`${name} dry=${dry}: ${denied.name}`).toBe(
          `${name} dry=${dry}: UnauthorizedOperation`,
        );
        // An authorized caller learns the id does not exist, DryRun or not.
        const missingErr = await errorOf(send(unscoped, dry));
        expect(`${name} dry=${dry}: ${missingErr.name}`).toBe(`${name} dry=${dry}: ${notFound}`);
      }
    }
    // DeleteFleets reports missing fleets per fleet, but only to an authorized caller.
    for (const DryRun of [false, true]) {
      const denied = await errorOf(
        tagScoped.send(
          new DeleteFleetsCommand({ FleetIds: [MISSING_FLEET], TerminateInstances: true, DryRun }),
        ),
      );
      expect(denied.name).toBe('UnauthorizedOperation');
    }
    const perFleet = await unscoped.send(
      new DeleteFleetsCommand({ FleetIds: [MISSING_FLEET], TerminateInstances: true }),
    );
    expect(perFleet.UnsuccessfulFleetDeletions?.[0]?.Error?.Code).toBe('fleetIdDoesNotExist');
  });
});
