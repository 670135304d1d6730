/** Per-pool capacity checks: injected faults for (instance type, zone), worded as EC2 words them. */
import { AwsError } from '../../core/contract.ts';
import type { Call, Cloud } from '../../core/contract.ts';
import { offeredZones } from './instance-types.ts';

/**
 * Runs the fault check for one launch attempt. An `InsufficientInstanceCapacity` fault is
 * rethrown with EC2's message, which names the other zones that offer the type.
 */
export function checkCapacity(call: Call, cloud: Cloud, instanceType: string, zone: string): void {
  try {
    cloud.faults.check('ec2', call.action, { instanceType, availabilityZone: zone });
  } catch (e) {
    if (!(e instanceof AwsError) || e.code !== 'InsufficientInstanceCapacity') throw e;
    const others = offeredZones(instanceType, call.region).filter((z) => z !== zone);
    throw new AwsError(
      'InsufficientInstanceCapacity',
      `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity. You can currently get ${instanceType} capacity by not specifying an Availability Zone in your request or choosing ${others.join(', ')}.`,
      e.status,
    );
  }
}
