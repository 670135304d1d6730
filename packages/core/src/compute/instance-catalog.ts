/**
 * The region's instance catalog: the facts ferry needs about each instance type, read from
 * EC2's DescribeInstanceTypes, and which types each availability zone offers, read from
 * DescribeInstanceTypeOfferings (LocationType availability-zone). The EC2 shapes are typed
 * structurally (every member optional, as in the SDK) so SDK output passes straight in.
 */

/** InstanceTypeInfo as DescribeInstanceTypes returns it (the members read here). */
export interface Ec2InstanceTypeInfo {
  readonly InstanceType?: string;
  readonly CurrentGeneration?: boolean;
  readonly BareMetal?: boolean;
  readonly BurstablePerformanceSupported?: boolean;
  readonly InstanceStorageSupported?: boolean;
  readonly ProcessorInfo?: { readonly SupportedArchitectures?: readonly string[] };
  readonly VCpuInfo?: { readonly DefaultVCpus?: number };
  readonly MemoryInfo?: { readonly SizeInMiB?: number };
  readonly InstanceStorageInfo?: { readonly TotalSizeInGB?: number };
  readonly EbsInfo?: { readonly EbsOptimizedSupport?: string };
}

/** InstanceTypeOffering as DescribeInstanceTypeOfferings returns it. */
export interface Ec2InstanceTypeOffering {
  readonly InstanceType?: string;
  readonly LocationType?: string;
  readonly Location?: string;
}

/** What ferry knows about one instance type. */
export interface InstanceTypeFacts {
  readonly instanceType: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  /** EC2's names: `x86_64`, `arm64`, `i386`, `x86_64_mac`, … */
  readonly architectures: readonly string[];
  readonly currentGeneration: boolean;
  readonly bareMetal: boolean;
  readonly burstable: boolean;
  /** Local instance storage in GB (0 when EBS only). */
  readonly instanceStorageGB: number;
}

/** A subnet of the workspace and its availability zone. */
export interface SubnetPlacement {
  readonly subnetId: string;
  readonly availabilityZone: string;
}

/** Zone name → instance types offered there. */
export type ZoneOfferings = ReadonlyMap<string, ReadonlySet<string>>;

/** The facts of one DescribeInstanceTypes entry, or undefined when a required member is missing. */
export function instanceTypeFacts(info: Ec2InstanceTypeInfo): InstanceTypeFacts | undefined {
  const vcpus = info.VCpuInfo?.DefaultVCpus;
  const memoryMiB = info.MemoryInfo?.SizeInMiB;
  if (!info.InstanceType || vcpus === undefined || memoryMiB === undefined) return undefined;
  return {
    instanceType: info.InstanceType,
    vcpus,
    memoryMiB,
    architectures: [...(info.ProcessorInfo?.SupportedArchitectures ?? [])],
    currentGeneration: info.CurrentGeneration ?? false,
    bareMetal: info.BareMetal ?? false,
    burstable: info.BurstablePerformanceSupported ?? false,
    instanceStorageGB: info.InstanceStorageInfo?.TotalSizeInGB ?? 0,
  };
}

/** The catalog of a region from every DescribeInstanceTypes page, sorted by type name. */
export function buildInstanceCatalog(infos: Iterable<Ec2InstanceTypeInfo>): InstanceTypeFacts[] {
  const byName = new Map<string, InstanceTypeFacts>();
  for (const info of infos) {
    const facts = instanceTypeFacts(info);
    if (facts) byName.set(facts.instanceType, facts);
  }
  return [...byName.values()].sort((a, b) => a.instanceType.localeCompare(b.instanceType));
}

/** Zone → offered types, from availability-zone offerings (other location types are ignored). */
export function buildZoneOfferings(offerings: Iterable<Ec2InstanceTypeOffering>): ZoneOfferings {
  const zones = new Map<string, Set<string>>();
  for (const o of offerings) {
    if (o.LocationType !== 'availability-zone' || !o.Location || !o.InstanceType) continue;
    let set = zones.get(o.Location);
    if (!set) zones.set(o.Location, (set = new Set()));
    set.add(o.InstanceType);
  }
  return zones;
}

/** The workspace's subnets whose zone offers `instanceType`, in the given subnet order. */
export function subnetsOffering(
  instanceType: string,
  subnets: readonly SubnetPlacement[],
  offerings: ZoneOfferings,
): SubnetPlacement[] {
  return subnets.filter((s) => offerings.get(s.availabilityZone)?.has(instanceType) ?? false);
}
