import { describe, expect, it } from 'vitest';
import { buildInstanceCatalog, buildZoneOfferings, subnetsOffering } from './instance-catalog.ts';

describe('instance catalog', () => {
  it('reads DescribeInstanceTypes entries, skipping incomplete ones and duplicates across pages', () => {
    const catalog = buildInstanceCatalog([
      {
        InstanceType: 'm7g.large',
        CurrentGeneration: true,
        VCpuInfo: { DefaultVCpus: 2 },
        MemoryInfo: { SizeInMiB: 8192 },
        ProcessorInfo: { SupportedArchitectures: ['arm64'] },
      },
      {
        InstanceType: 'i4i.large',
        VCpuInfo: { DefaultVCpus: 2 },
        MemoryInfo: { SizeInMiB: 16384 },
        InstanceStorageSupported: true,
        InstanceStorageInfo: { TotalSizeInGB: 468 },
        ProcessorInfo: { SupportedArchitectures: ['x86_64'] },
      },
      { InstanceType: 'broken.large', VCpuInfo: { DefaultVCpus: 2 } },
      { InstanceType: 'm7g.large', VCpuInfo: { DefaultVCpus: 2 }, MemoryInfo: { SizeInMiB: 8192 } },
    ]);
    expect(catalog.map((t) => t.instanceType)).toEqual(['i4i.large', 'm7g.large']);
    expect(catalog[0]).toEqual({
      instanceType: 'i4i.large',
      vcpus: 2,
      memoryMiB: 16384,
      architectures: ['x86_64'],
      currentGeneration: false,
      bareMetal: false,
      burstable: false,
      instanceStorageGB: 468,
    });
  });

  it('maps zones to their offered types and finds the subnets offering a type', () => {
    const offerings = buildZoneOfferings([
      { InstanceType: 'm7g.large', LocationType: 'availability-zone', Location: 'us-east-1a' },
      { InstanceType: 't3.micro', LocationType: 'availability-zone', Location: 'us-east-1a' },
      { InstanceType: 't3.micro', LocationType: 'availability-zone', Location: 'us-east-1b' },
      { InstanceType: 'm7g.large', LocationType: 'region', Location: 'us-east-1' },
    ]);
    expect([...offerings.keys()]).toEqual(['us-east-1a', 'us-east-1b']);
    const subnets = [
      { subnetId: 'subnet-b', availabilityZone: 'us-east-1b' },
      { subnetId: 'subnet-a', availabilityZone: 'us-east-1a' },
      { subnetId: 'subnet-c', availabilityZone: 'us-east-1c' },
    ];
    expect(subnetsOffering('t3.micro', subnets, offerings).map((s) => s.subnetId)).toEqual([
      'subnet-b',
      'subnet-a',
    ]);
    expect(subnetsOffering('m7g.large', subnets, offerings).map((s) => s.subnetId)).toEqual([
      'subnet-a',
    ]);
  });
});
