/**
 * An EC2 instance as one tag-filtered DescribeInstances shows it, and the ownership tests
 * the reconciler and the reaper share: only instances carrying ferry's tags for the
 * workspace are ever acted upon.
 */
import { FERRY_TAGS } from './launch-plan.ts';

/** EC2 adds this tag to instances an EC2 Fleet launches. */
export const FLEET_ID_TAG = 'aws:ec2:fleet-id';

/** One instance as observed (times in ms since the epoch). */
export interface ObservedInstance {
  readonly instanceId: string;
  /** EC2's state name: pending, running, shutting-down, terminated, stopping, stopped. */
  readonly state: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly launchTime: number;
}

/** True when the resource's tags say ferry manages it for this workspace. */
export function isFerryManaged(
  tags: Readonly<Record<string, string>>,
  workspaceId: string,
): boolean {
  return tags[FERRY_TAGS.managed] === 'true' && tags[FERRY_TAGS.workspace] === workspaceId;
}

/** True when the instance is neither terminated nor on its way there. */
export function isActiveInstance(i: ObservedInstance): boolean {
  return i.state !== 'terminated' && i.state !== 'shutting-down';
}

/** The cluster an instance's tag names, if any. */
export function clusterOf(tags: Readonly<Record<string, string>>): string | undefined {
  return tags[FERRY_TAGS.cluster];
}
