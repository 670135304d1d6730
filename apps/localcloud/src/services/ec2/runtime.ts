/** What the instance handlers need from the running service (timers, processes, addresses). */
import type { Cloud } from '../../core/contract.ts';
import type { Timings } from './lifecycle.ts';
import { LOOPBACK_ADDRESSES, ec2Registry } from './state.ts';
import { ec2Error } from './errors.ts';

export interface Ec2Runtime {
  readonly timings: Timings;
  /** Tells the supervisor an instance's state changed (schedule, start or kill its process). */
  instanceChanged(accountId: string, region: string, instanceId: string): void;
}

/** Extra pending time from `boot-delay` faults. */
export function bootDelayMs(cloud: Cloud): number {
  let ms = 0;
  for (const f of cloud.faults.list()) {
    if (f.kind !== 'boot-delay') continue;
    ms += f.seconds * 1000;
    cloud.faults.fired(f);
  }
  return ms;
}

function addressAt(n: number): string {
  // n counts usable addresses from 127.0.1.1, skipping .0 and .255 in the last octet.
  const perBlock = 254;
  const block = Math.floor(n / perBlock) + 1; // 127.0.1.x is block 1
  const last = (n % perBlock) + 1;
  return `127.${Math.floor(block / 256)}.${block % 256}.${last}`;
}

/**
 * Gives an instance its own loopback address (from the cloud's own range upwards; never
 * 127.0.0.x), unique across every account and region while the instance is not terminated.
 */
export function allocateAddress(cloud: Cloud, instanceId: string): string {
  const registry = ec2Registry(cloud);
  const base = registry.base ?? 0;
  for (let i = 0; i < LOOPBACK_ADDRESSES; i++) {
    const ip = addressAt((base + i) % LOOPBACK_ADDRESSES);
    if (!registry.addresses[ip]) {
      registry.addresses[ip] = instanceId;
      return ip;
    }
  }
  throw ec2Error(
    'InsufficientFreeAddressesInSubnet',
    'No loopback address is free for a new instance.',
  );
}

/** Returns an address to the pool. */
export function releaseAddress(cloud: Cloud, ip: string, instanceId: string): void {
  const registry = ec2Registry(cloud);
  if (registry.addresses[ip] === instanceId) delete registry.addresses[ip];
}
