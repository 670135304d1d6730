/**
 * An on-demand price estimate per instance type, used only to order pools for EC2 Fleet's
 * `lowest-price` allocation. Fitted to us-east-1 list prices of the 7th-generation Intel
 * families (per vCPU-hour and per GiB-hour), scaled for Graviton, burstable and older
 * generations, plus local NVMe storage; good enough to rank types, not to bill.
 */
import { instanceTypeInfo } from './instance-types.ts';

const PER_VCPU = 0.03885;
const PER_GIB = 0.0028875;
const PER_STORAGE_GB = 0.0001;

/** Estimated $/hour; Infinity for unknown types. */
export function estimatedPrice(instanceType: string): number {
  const info = instanceTypeInfo(instanceType);
  if (!info) return Number.POSITIVE_INFINITY;
  const family = instanceType.split('.')[0] ?? '';
  let price = info.VCpuInfo.DefaultVCpus * PER_VCPU + (info.MemoryInfo.SizeInMiB / 1024) * PER_GIB;
  if (info.ProcessorInfo.SupportedArchitectures.includes('arm64')) price *= 0.85;
  if (family.startsWith('t')) price *= 0.83;
  if (/6/.test(family)) price *= 0.95;
  price += (info.InstanceStorageInfo?.TotalSizeInGB ?? 0) * PER_STORAGE_GB;
  return Math.round(price * 10000) / 10000;
}
