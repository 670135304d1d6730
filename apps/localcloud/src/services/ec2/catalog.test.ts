import {
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  RunInstancesCommand,
  type InstanceTypeInfo,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startEc2TestCloud, type Ec2TestCloud } from './test-support.ts';

describe('instance-type catalog and offerings through the AWS SDK v3', () => {
  let lc: Ec2TestCloud;
  let ec2: EC2Client;

  beforeAll(async () => {
    lc = await startEc2TestCloud();
    ec2 = new EC2Client(lc.config(await lc.account('catalog'), 'eu-west-1'));
  });
  afterAll(async () => {
    await lc.stop();
  });

  it('describes real specifications of x86 and arm types', async () => {
    const out = await ec2.send(
      new DescribeInstanceTypesCommand({
        InstanceTypes: ['m7i.4xlarge', 'r7g.16xlarge', 'i4i.large', 'c7i.48xlarge'],
      }),
    );
    const by: Record<string, InstanceTypeInfo> = {};
    for (const t of out.InstanceTypes ?? []) by[t.InstanceType ?? ''] = t;
    expect(by['m7i.4xlarge']?.VCpuInfo?.DefaultVCpus).toBe(16);
    expect(by['m7i.4xlarge']?.MemoryInfo?.SizeInMiB).toBe(65536);
    expect(by['m7i.4xlarge']?.ProcessorInfo?.SupportedArchitectures).toEqual(['x86_64']);
    expect(by['m7i.4xlarge']?.InstanceStorageSupported).toBe(false);
    expect(by['r7g.16xlarge']?.ProcessorInfo?.SupportedArchitectures).toEqual(['arm64']);
    expect(by['r7g.16xlarge']?.MemoryInfo?.SizeInMiB).toBe(524288);
    expect(by['i4i.large']?.InstanceStorageInfo?.TotalSizeInGB).toBe(468);
    expect(by['c7i.48xlarge']?.VCpuInfo?.DefaultVCpus).toBe(192);
    expect(by['c7i.48xlarge']?.Hypervisor).toBe('nitro');
    expect(by['c7i.48xlarge']?.CurrentGeneration).toBe(true);
  });

  it('filters and pages the whole catalog', async () => {
    const arm = await ec2.send(
      new DescribeInstanceTypesCommand({
        Filters: [
          { Name: 'processor-info.supported-architecture', Values: ['arm64'] },
          { Name: 'instance-type', Values: ['m7g.*'] },
        ],
      }),
    );
    expect(arm.InstanceTypes?.length).toBeGreaterThan(5);
    expect(arm.InstanceTypes?.every((t) => t.InstanceType?.startsWith('m7g.'))).toBe(true);

    const seen: InstanceTypeInfo[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await ec2.send(
        new DescribeInstanceTypesCommand({ MaxResults: 20, NextToken: token }),
      );
      seen.push(...(page.InstanceTypes ?? []));
      expect(page.InstanceTypes?.length).toBeLessThanOrEqual(20);
      token = page.NextToken;
      pages++;
    } while (token);
    const names = seen.map((t) => t.InstanceType);
    expect(new Set(names).size).toBe(names.length);
    expect(pages).toBeGreaterThan(3);
    for (const family of ['m7i', 'm7g', 'm6i', 't3', 'c7i', 'c7g', 'r7i', 'r7g', 'i4i']) {
      expect(names.some((n) => n?.startsWith(`${family}.`))).toBe(true);
    }

    const unknown = await errorOf(
      ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m9z.huge' as _InstanceType] })),
    );
    expect(unknown.name).toBe('InvalidInstanceType');
    const badPage = await errorOf(ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 1000 })));
    expect(badPage.name).toBe('InvalidParameterValue');
  });

  it('offers every type in the region but some types not in every zone', async () => {
    const region = await ec2.send(
      new DescribeInstanceTypeOfferingsCommand({ LocationType: 'region' }),
    );
    expect(region.InstanceTypeOfferings?.every((o) => o.Location === 'eu-west-1')).toBe(true);
    const all: { InstanceType?: string; Location?: string }[] = [];
    let token: string | undefined;
    do {
      const page = await ec2.send(
        new DescribeInstanceTypeOfferingsCommand({
          LocationType: 'availability-zone',
          MaxResults: 100,
          NextToken: token,
        }),
      );
      all.push(...(page.InstanceTypeOfferings ?? []));
      token = page.NextToken;
    } while (token);
    const zonesOf = new Map<string, string[]>();
    for (const o of all)
      zonesOf.set(o.InstanceType ?? '', [
        ...(zonesOf.get(o.InstanceType ?? '') ?? []),
        o.Location ?? '',
      ]);
    const partial = [...zonesOf.entries()].filter(([, zones]) => zones.length < 3);
    expect(partial.length).toBeGreaterThan(3);
    expect([...zonesOf.values()].every((z) => z.length >= 2)).toBe(true);

    // Launching a type in a zone that lacks it fails as EC2 fails it.
    const [type, zones] = partial[0] ?? ['', []];
    const missingZone = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'].find((z) => !zones.includes(z));
    const err = await errorOf(
      ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-0123456789abcdef0',
          InstanceType: type as _InstanceType,
          MinCount: 1,
          MaxCount: 1,
          Placement: { AvailabilityZone: missingZone },
        }),
      ),
    );
    expect(err.name).toBe('Unsupported');
    expect(err.message).toContain(type);

    const filtered = await ec2.send(
      new DescribeInstanceTypeOfferingsCommand({
        LocationType: 'availability-zone',
        Filters: [
          { Name: 'instance-type', Values: [type] },
          { Name: 'location', Values: zones },
        ],
      }),
    );
    expect(filtered.InstanceTypeOfferings?.map((o) => o.Location).sort()).toEqual(
      [...zones].sort(),
    );
  });
});
