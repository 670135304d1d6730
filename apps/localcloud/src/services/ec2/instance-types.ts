/**
 * The instance-type catalog (real specifications, in instance-types.json as
 * DescribeInstanceTypes returns them) and per-zone offerings.
 */
import { readFileSync } from 'node:fs';
import type { Call, Cloud } from '../../core/contract.ts';
import { authorizeAll } from './authorize.ts';
import { ec2Error, optString, optStrings } from './errors.ts';
import { matchesFilters, readFilters } from './filters.ts';
import { paginate } from './pagination.ts';
import { zoneIdOf, zonesOf } from './regions.ts';

/** InstanceTypeInfo as in the EC2 model (only the members read here are typed). */
export interface InstanceTypeInfo {
  InstanceType: string;
  CurrentGeneration: boolean;
  BareMetal: boolean;
  BurstablePerformanceSupported: boolean;
  FreeTierEligible: boolean;
  Hypervisor?: string;
  InstanceStorageSupported: boolean;
  SupportedUsageClasses: string[];
  SupportedRootDeviceTypes: string[];
  SupportedVirtualizationTypes: string[];
  ProcessorInfo: {
    SupportedArchitectures: string[];
    SustainedClockSpeedInGhz?: number;
    Manufacturer?: string;
  };
  VCpuInfo: { DefaultVCpus: number; DefaultCores?: number; DefaultThreadsPerCore?: number };
  MemoryInfo: { SizeInMiB: number };
  NetworkInfo: { NetworkPerformance: string; EnaSupport?: string; Ipv6Supported?: boolean };
  InstanceStorageInfo?: { TotalSizeInGB: number };
  EbsInfo?: { EbsOptimizedSupport?: string };
  [member: string]: unknown;
}

const CATALOG: InstanceTypeInfo[] = JSON.parse(
  readFileSync(new URL('./instance-types.json', import.meta.url), 'utf8'),
) as InstanceTypeInfo[];
const BY_NAME = new Map(CATALOG.map((t) => [t.InstanceType, t]));

/** Every instance type localcloud knows. */
export function instanceTypes(): readonly InstanceTypeInfo[] {
  return CATALOG;
}

/** The catalog entry for a type, or undefined. */
export function instanceTypeInfo(name: string): InstanceTypeInfo | undefined {
  return BY_NAME.get(name);
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The zones (of the region's three) that offer a type. Deterministically, about one type in
 * four is missing from one zone, as real regions lack some types in some zones; the same
 * type is missing from the same zone letter in every region.
 */
export function offeredZones(instanceType: string, region: string): string[] {
  const zones = zonesOf(region);
  const h = fnv1a(instanceType);
  if (h % 4 !== 0) return zones;
  const missingIndex = (h >>> 2) % zones.length;
  return zones.filter((_, i) => i !== missingIndex);
}

/** True when the type exists and is offered in that zone. */
export function isOffered(instanceType: string, zone: string): boolean {
  return BY_NAME.has(instanceType) && offeredZones(instanceType, zone.slice(0, -1)).includes(zone);
}

function filterValues(t: InstanceTypeInfo, name: string): string[] | undefined {
  switch (name) {
    case 'instance-type':
      return [t.InstanceType];
    case 'current-generation':
      return [String(t.CurrentGeneration)];
    case 'bare-metal':
      return [String(t.BareMetal)];
    case 'burstable-performance-supported':
      return [String(t.BurstablePerformanceSupported)];
    case 'free-tier-eligible':
      return [String(t.FreeTierEligible)];
    case 'hypervisor':
      return t.Hypervisor ? [t.Hypervisor] : [];
    case 'instance-storage-supported':
      return [String(t.InstanceStorageSupported)];
    case 'instance-storage-info.total-size-in-gb':
      return t.InstanceStorageInfo ? [String(t.InstanceStorageInfo.TotalSizeInGB)] : [];
    case 'processor-info.supported-architecture':
      return t.ProcessorInfo.SupportedArchitectures;
    case 'processor-info.sustained-clock-speed-in-ghz':
      return t.ProcessorInfo.SustainedClockSpeedInGhz === undefined
        ? []
        : [String(t.ProcessorInfo.SustainedClockSpeedInGhz)];
    case 'processor-info.manufacturer':
      return t.ProcessorInfo.Manufacturer ? [t.ProcessorInfo.Manufacturer] : [];
    case 'vcpu-info.default-vcpus':
      return [String(t.VCpuInfo.DefaultVCpus)];
    case 'vcpu-info.default-cores':
      return t.VCpuInfo.DefaultCores === undefined ? [] : [String(t.VCpuInfo.DefaultCores)];
    case 'vcpu-info.default-threads-per-core':
      return t.VCpuInfo.DefaultThreadsPerCore === undefined
        ? []
        : [String(t.VCpuInfo.DefaultThreadsPerCore)];
    case 'memory-info.size-in-mib':
      return [String(t.MemoryInfo.SizeInMiB)];
    case 'network-info.network-performance':
      return [t.NetworkInfo.NetworkPerformance];
    case 'network-info.ena-support':
      return t.NetworkInfo.EnaSupport ? [t.NetworkInfo.EnaSupport] : [];
    case 'network-info.ipv6-supported':
      return [String(t.NetworkInfo.Ipv6Supported ?? false)];
    case 'ebs-info.ebs-optimized-support':
      return t.EbsInfo?.EbsOptimizedSupport ? [t.EbsInfo.EbsOptimizedSupport] : [];
    case 'supported-usage-class':
      return t.SupportedUsageClasses;
    case 'supported-root-device-type':
      return t.SupportedRootDeviceTypes;
    case 'supported-virtualization-type':
      return t.SupportedVirtualizationTypes;
    default:
      return undefined;
  }
}

export function describeInstanceTypes(call: Call, cloud: Cloud): Promise<Record<string, unknown>> {
  const names = optStrings(call.input, 'InstanceTypes');
  const unknown = names.filter((n) => !BY_NAME.has(n));
  if (unknown.length > 0) {
    throw ec2Error(
      'InvalidInstanceType',
      `The following supplied instance types do not exist: [${unknown.join(', ')}]`,
    );
  }
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const filters = readFilters(call.input);
  const rows = CATALOG.filter((t) => names.length === 0 || names.includes(t.InstanceType)).filter(
    (t) => matchesFilters(filters, (name) => filterValues(t, name)),
  );
  const { page, nextToken } = paginate(rows, call.input, { min: 5, max: 100 });
  return Promise.resolve({ InstanceTypes: page, ...(nextToken ? { NextToken: nextToken } : {}) });
}

export function describeInstanceTypeOfferings(
  call: Call,
  cloud: Cloud,
): Promise<Record<string, unknown>> {
  const locationType = optString(call.input, 'LocationType') ?? 'region';
  if (!['region', 'availability-zone', 'availability-zone-id', 'outpost'].includes(locationType)) {
    throw ec2Error(
      'InvalidParameterValue',
      `Value (${locationType}) for parameter LocationType is invalid.`,
    );
  }
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const rows: { InstanceType: string; LocationType: string; Location: string }[] = [];
  if (locationType !== 'outpost') {
    for (const t of CATALOG) {
      const locations =
        locationType === 'region'
          ? [call.region]
          : offeredZones(t.InstanceType, call.region).map((z) =>
              locationType === 'availability-zone' ? z : zoneIdOf(z),
            );
      for (const Location of locations) {
        rows.push({ InstanceType: t.InstanceType, LocationType: locationType, Location });
      }
    }
  }
  const filters = readFilters(call.input);
  const matched = rows.filter((r) =>
    matchesFilters(filters, (name) => {
      if (name === 'location') return [r.Location];
      if (name === 'instance-type') return [r.InstanceType];
      return undefined;
    }),
  );
  const { page, nextToken } = paginate(matched, call.input, { min: 5, max: 1000 });
  return Promise.resolve({
    InstanceTypeOfferings: page,
    ...(nextToken ? { NextToken: nextToken } : {}),
  });
}
