/**
 * Launch planning for a cluster: the idempotency token of each attempt, the CreateFleet
 * overrides (every eligible subnet for the chosen type, in priority order), the next
 * attempt after a capacity error (next zone, then next-cheapest type), the tags every
 * resource carries, and the retry policy for throttling and server errors.
 */
import { FerryError } from '../errors.ts';
import { subnetsOffering, type SubnetPlacement, type ZoneOfferings } from './instance-catalog.ts';

/** Tag keys ferry puts on every resource it creates; the IAM policy requires the first two. */
export const FERRY_TAGS = {
  managed: 'ferry:managed',
  workspace: 'ferry:workspace',
  cluster: 'ferry:cluster',
} as const;

/** An EC2 tag. */
export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

/** The tags of every resource of a cluster. */
export function clusterTags(workspaceId: string, clusterId: string): Tag[] {
  return [
    { Key: FERRY_TAGS.managed, Value: 'true' },
    { Key: FERRY_TAGS.workspace, Value: workspaceId },
    { Key: FERRY_TAGS.cluster, Value: clusterId },
  ];
}

/** Resource types tagged on creation (CreateFleet, CreateLaunchTemplate, RunInstances). */
export type TaggedResourceType =
  'fleet' | 'instance' | 'volume' | 'network-interface' | 'launch-template';

/** TagSpecifications carrying the cluster's tags for each resource type. */
export function tagSpecifications(
  workspaceId: string,
  clusterId: string,
  types: readonly TaggedResourceType[],
): { ResourceType: TaggedResourceType; Tags: Tag[] }[] {
  return types.map((ResourceType) => ({ ResourceType, Tags: clusterTags(workspaceId, clusterId) }));
}

const TOKEN_MAX = 64;
const READABLE = /^[A-Za-z0-9_-]+$/;

/**
 * The ClientToken of a launch attempt: the same cluster and attempt always give the same
 * token (so a retried CreateFleet launches nothing twice), and different ones differ.
 * Readable (`<clusterId>.<attempt>`) when that fits EC2's 64 ASCII characters, else hashed.
 */
export function clientToken(clusterId: string, attempt: number): string {
  if (!Number.isSafeInteger(attempt) || attempt < 0) throw new RangeError(`attempt: ${attempt}`);
  const readable = `${clusterId}.${attempt}`;
  if (READABLE.test(clusterId) && !clusterId.startsWith('h-') && readable.length <= TOKEN_MAX) {
    return readable;
  }
  return `h-${hash64(clusterId)}.${attempt}`;
}

/** 64-bit FNV-1a over the UTF-16 code units, as 16 hex digits. */
function hash64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** A (type, zone) pool that reported InsufficientInstanceCapacity. */
export interface ExhaustedPool {
  readonly instanceType: string;
  readonly availabilityZone: string;
}

/** What a launch attempt needs. */
export interface LaunchInput {
  readonly clusterId: string;
  readonly attempt: number;
  /** Fitting types, cheapest first (selection's choice, then its fallbacks). */
  readonly instanceTypes: readonly string[];
  readonly subnets: readonly SubnetPlacement[];
  readonly offerings: ZoneOfferings;
  /** Pools that failed with a capacity error in earlier attempts. */
  readonly exhausted: readonly ExhaustedPool[];
  /** Instances still to launch. */
  readonly targetCapacity: number;
}

/** One CreateFleet launch-template override. */
export interface FleetOverride {
  readonly InstanceType: string;
  readonly SubnetId: string;
  readonly AvailabilityZone: string;
  /** Lower is tried first (allocation strategy `prioritized`). */
  readonly Priority: number;
}

/** One CreateFleet call. */
export interface LaunchPlan {
  readonly attempt: number;
  readonly clientToken: string;
  readonly instanceType: string;
  readonly overrides: readonly FleetOverride[];
  readonly targetCapacity: number;
}

/** Every fitting type and zone ran out of capacity (503, retryable later). */
export class CapacityExhaustedError extends FerryError {
  constructor(message: string) {
    super({
      code: 'insufficient_capacity',
      status: 503,
      fault: 'server',
      retryable: true,
      message,
    });
  }
}

/**
 * The plan of `input.attempt`: the cheapest type with a subnet whose zone offers it and
 * has not run out of it, over every such subnet. Throws CapacityExhaustedError when none is left.
 */
export function planLaunch(input: LaunchInput): LaunchPlan {
  const spent = new Set(input.exhausted.map((p) => `${p.instanceType}@${p.availabilityZone}`));
  for (const instanceType of input.instanceTypes) {
    const subnets = subnetsOffering(instanceType, input.subnets, input.offerings).filter(
      (s) => !spent.has(`${instanceType}@${s.availabilityZone}`),
    );
    if (subnets.length === 0) continue;
    return {
      attempt: input.attempt,
      clientToken: clientToken(input.clusterId, input.attempt),
      instanceType,
      overrides: subnets.map((s, Priority) => ({
        InstanceType: instanceType,
        SubnetId: s.subnetId,
        AvailabilityZone: s.availabilityZone,
        Priority,
      })),
      targetCapacity: input.targetCapacity,
    };
  }
  throw new CapacityExhaustedError(
    `No capacity for ${input.instanceTypes.join(', ') || 'any type'} in the workspace's zones; try again later.`,
  );
}

/** The input of the attempt after `failed` pools reported InsufficientInstanceCapacity. */
export function nextLaunchInput(
  input: LaunchInput,
  failed: readonly ExhaustedPool[],
  launched = 0,
): LaunchInput {
  return {
    ...input,
    attempt: input.attempt + 1,
    exhausted: [...input.exhausted, ...failed],
    targetCapacity: Math.max(0, input.targetCapacity - launched),
  };
}

/** How an AWS error should be handled. */
export type AwsErrorClass = 'throttle' | 'capacity' | 'fatal';

const THROTTLE = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'Unavailable',
  'InternalError',
  'InternalFailure',
  'RequestTimeout',
]);
const CAPACITY = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  // The type is not supported in that zone: move on like a capacity error.
  'Unsupported',
]);

/** Classifies an AWS error by code (and HTTP status: any 5xx is retryable). */
export function classifyAwsError(error: {
  readonly code?: string;
  readonly status?: number;
}): AwsErrorClass {
  if (error.code !== undefined && CAPACITY.has(error.code)) return 'capacity';
  if (error.code !== undefined && THROTTLE.has(error.code)) return 'throttle';
  if (error.status !== undefined && error.status >= 500) return 'throttle';
  return 'fatal';
}

/** Capped exponential backoff with full jitter. */
export interface RetryPolicy {
  readonly baseMs: number;
  readonly capMs: number;
  /** Retries after the first try; attempt numbers run 0 … maxRetries − 1. */
  readonly maxRetries: number;
}

/** The default: 100 ms doubling up to 20 s, 8 retries (about a minute in the worst case). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 100, capMs: 20_000, maxRetries: 8 };

/**
 * The delay before retry `attempt` (0 = first retry): uniform in [0, min(cap, base·2^attempt)),
 * or undefined when retries are exhausted. `rng` returns numbers in [0, 1).
 */
export function nextDelay(
  attempt: number,
  rng: () => number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): number | undefined {
  if (attempt >= policy.maxRetries) return undefined;
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 52));
  return Math.floor(Math.min(Math.max(rng(), 0), 1 - Number.EPSILON) * ceiling);
}
