import {
  DescribeImagesCommand,
  EC2Client,
  RunInstancesCommand,
  type Image,
} from '@aws-sdk/client-ec2';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAwsCli } from '../../testing/run-awscli.ts';
import { AMAZON_OWNER_ID } from './images.ts';
import { errorOf, startEc2TestCloud, type Ec2TestCloud, type TestAccount } from './test-support.ts';

const newest = (images: Image[] | undefined): Image | undefined =>
  [...(images ?? [])].sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];

describe('DescribeImages: public Amazon Linux 2023 images per region', () => {
  let lc: Ec2TestCloud;
  let acct: TestAccount;
  let ec2: EC2Client;

  beforeAll(async () => {
    lc = await startEc2TestCloud();
    acct = await lc.account('images');
    ec2 = new EC2Client(lc.config(acct, 'us-east-1'));
  });
  afterAll(async () => {
    await lc.stop();
  });

  it('finds the newest AL2023 kernel-6.1 image per architecture by name wildcard', async () => {
    for (const arch of ['x86_64', 'arm64']) {
      const out = await ec2.send(
        new DescribeImagesCommand({
          Owners: ['amazon'],
          Filters: [
            { Name: 'name', Values: [`al2023-ami-2023.*-kernel-6.1-${arch}`] },
            { Name: 'state', Values: ['available'] },
          ],
        }),
      );
      expect(out.Images?.length).toBe(4);
      expect(out.Images?.every((i) => i.Architecture === arch)).toBe(true);
      expect(out.Images?.every((i) => i.OwnerId === AMAZON_OWNER_ID)).toBe(true);
      expect(out.Images?.every((i) => i.ImageOwnerAlias === 'amazon' && i.Public)).toBe(true);
      const top = newest(out.Images);
      expect(top?.Name).toBe(`al2023-ami-2023.6.20241212.0-kernel-6.1-${arch}`);
      expect(top?.ImageId).toMatch(/^ami-[0-9a-f]{17}$/);
      expect(top?.CreationDate).toMatch(/^2024-12-10T/);
      expect(top?.BlockDeviceMappings?.[0]?.Ebs?.VolumeType).toBe('gp3');
    }
  });

  it('ids are deterministic per region and differ between regions', async () => {
    const name = 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64';
    const find = async (client: EC2Client) =>
      (
        await client.send(
          new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: [name] }] }),
        )
      ).Images?.[0]?.ImageId;
    const east = await find(ec2);
    expect(await find(ec2)).toBe(east);
    const other = await lc.account('images-2');
    expect(await find(new EC2Client(lc.config(other, 'us-east-1')))).toBe(east);
    const west = await find(new EC2Client(lc.config(acct, 'eu-west-1')));
    expect(west).toMatch(/^ami-/);
    expect(west).not.toBe(east);

    const byId = await ec2.send(new DescribeImagesCommand({ ImageIds: [east ?? ''] }));
    expect(byId.Images?.map((i) => i.Name)).toEqual([name]);
    const byIdFilter = await ec2.send(
      new DescribeImagesCommand({ Filters: [{ Name: 'image-id', Values: [east ?? ''] }] }),
    );
    expect(byIdFilter.Images?.map((i) => i.Name)).toEqual([name]);
  });

  it('Owners: amazon, self, account ids; filters on architecture and owner-alias', async () => {
    const all = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    expect(all.Images?.length).toBe(20);
    const self = await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
    expect(self.Images).toEqual([]);
    const byAccount = await ec2.send(new DescribeImagesCommand({ Owners: [AMAZON_OWNER_ID] }));
    expect(byAccount.Images?.length).toBe(20);
    const otherAccount = await ec2.send(new DescribeImagesCommand({ Owners: ['123456789012'] }));
    expect(otherAccount.Images).toEqual([]);
    const arm = await ec2.send(
      new DescribeImagesCommand({
        Filters: [
          { Name: 'architecture', Values: ['arm64'] },
          { Name: 'owner-alias', Values: ['amazon'] },
          { Name: 'name', Values: ['al2023-ami-minimal-*'] },
        ],
      }),
    );
    expect(arm.Images?.length).toBe(5);
    expect(arm.Images?.every((i) => i.Architecture === 'arm64')).toBe(true);
    const none = await ec2.send(
      new DescribeImagesCommand({ Filters: [{ Name: 'state', Values: ['pending'] }] }),
    );
    expect(none.Images).toEqual([]);

    expect((await errorOf(ec2.send(new DescribeImagesCommand({ Owners: ['nobody'] })))).name).toBe(
      'InvalidUserID.Malformed',
    );
    expect(
      (await errorOf(ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] }))))
        .name,
    ).toBe('InvalidAMIID.NotFound');
    expect(
      (await errorOf(ec2.send(new DescribeImagesCommand({ ImageIds: ['image-1'] })))).name,
    ).toBe('InvalidAMIID.Malformed');
    expect(
      (
        await errorOf(
          ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] })),
        )
      ).name,
    ).toBe('InvalidParameterValue');
  });

  it('DryRun and authorization on *: denied callers learn nothing, not even NotFound', async () => {
    const dry = await errorOf(ec2.send(new DescribeImagesCommand({ DryRun: true })));
    expect(dry.name).toBe('DryRunOperation');

    const iam = new IAMClient(lc.config(acct));
    await iam.send(new CreateUserCommand({ UserName: 'no-images' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'no-images',
        PolicyName: 'p',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' }],
        }),
      }),
    );
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'no-images' }));
    const denied = new EC2Client(
      lc.config({
        accessKeyId: key.AccessKey?.AccessKeyId ?? '',
        secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
      }),
    );
    for (const input of [{ DryRun: true }, { ImageIds: ['ami-0123456789abcdef0'] }, {}]) {
      const err = await errorOf(denied.send(new DescribeImagesCommand(input)));
      expect(err.name).toBe('UnauthorizedOperation');
    }
  });

  it('any well-formed image id still launches (the catalog only answers DescribeImages)', async () => {
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 't3.large',
        MinCount: 1,
        MaxCount: 1,
      }),
    );
    expect(run.Instances?.[0]?.ImageId).toBe('ami-0123456789abcdef0');
  });

  it("Debian's awscli reads the catalog with --owners and --filters", async () => {
    const cli = await runAwsCli(
      [
        'ec2',
        'describe-images',
        '--owners',
        'amazon',
        '--filters',
        'Name=name,Values=al2023-ami-2023.*-kernel-6.1-arm64',
        'Name=architecture,Values=arm64',
        '--query',
        'sort_by(Images, &CreationDate)[-1].[ImageId,Name]',
      ],
      { endpoint: lc.url, credentials: acct, region: 'us-east-1' },
    );
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const [id, name] = cli.json as [string, string];
    expect(name).toBe('al2023-ami-2023.6.20241212.0-kernel-6.1-arm64');
    const sdk = await ec2.send(
      new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: [name] }] }),
    );
    expect(sdk.Images?.[0]?.ImageId).toBe(id);

    const missing = await runAwsCli(
      ['ec2', 'describe-images', '--image-ids', 'ami-0123456789abcdef0'],
      { endpoint: lc.url, credentials: acct },
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('InvalidAMIID.NotFound');
  });
});
