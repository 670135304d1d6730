import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ZoneOfferings } from './instance-catalog.ts';
import {
  CapacityExhaustedError,
  DEFAULT_RETRY_POLICY,
  classifyAwsError,
  clientToken,
  clusterTags,
  nextDelay,
  nextLaunchInput,
  planLaunch,
  tagSpecifications,
  type LaunchInput,
} from './launch-plan.ts';

const subnets = [
  { subnetId: 'subnet-a', availabilityZone: 'eu-west-1a' },
  { subnetId: 'subnet-b', availabilityZone: 'eu-west-1b' },
  { subnetId: 'subnet-c', availabilityZone: 'eu-west-1c' },
];
const offerings: ZoneOfferings = new Map([
  ['eu-west-1a', new Set(['m7g.xlarge', 't3.xlarge'])],
  ['eu-west-1b', new Set(['m7g.xlarge', 't3.xlarge'])],
  ['eu-west-1c', new Set(['t3.xlarge'])],
]);
const first: LaunchInput = {
  clusterId: 'cl_01jd0000000000000000000000',
  attempt: 0,
  instanceTypes: ['m7g.xlarge', 't3.xlarge'],
  subnets,
  offerings,
  exhausted: [],
  targetCapacity: 2,
};

describe('clientToken', () => {
  it('is deterministic, readable when it fits, and within 64 ASCII characters', () => {
    expect(clientToken('cl_abc', 3)).toBe('cl_abc.3');
    expect(clientToken('cl_abc', 3)).toBe(clientToken('cl_abc', 3));
    expect(() => clientToken('cl_abc', -1)).toThrow(RangeError);
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.nat(), (id, attempt) => {
        const t = clientToken(id, attempt);
        expect(t.length).toBeLessThanOrEqual(64);
        expect(t).toMatch(/^[\x21-\x7e]+$/);
        expect(clientToken(id, attempt)).toBe(t);
      }),
    );
  });

  it('differs between clusters and between attempts', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 100 }),
        fc.string({ maxLength: 100 }),
        fc.nat(),
        fc.nat(),
        (a, b, i, j) => {
          fc.pre(a !== b || i !== j);
          expect(clientToken(a, i)).not.toBe(clientToken(b, j));
        },
      ),
    );
  });
});

describe('planLaunch', () => {
  it('spreads the cheapest type over every subnet whose zone offers it, in priority order', () => {
    const plan = planLaunch(first);
    expect(plan).toEqual({
      attempt: 0,
      clientToken: 'cl_01jd0000000000000000000000.0',
      instanceType: 'm7g.xlarge',
      targetCapacity: 2,
      overrides: [
        {
          InstanceType: 'm7g.xlarge',
          SubnetId: 'subnet-a',
          AvailabilityZone: 'eu-west-1a',
          Priority: 0,
        },
        {
          InstanceType: 'm7g.xlarge',
          SubnetId: 'subnet-b',
          AvailabilityZone: 'eu-west-1b',
          Priority: 1,
        },
      ],
    });
  });

  it('after a capacity error tries the next zone, then the next-cheapest type, then gives up', () => {
    const second = nextLaunchInput(
      first,
      [{ instanceType: 'm7g.xlarge', availabilityZone: 'eu-west-1a' }],
      1,
    );
    const p2 = planLaunch(second);
    expect(p2).toMatchObject({
      attempt: 1,
      clientToken: `${first.clusterId}.1`,
      instanceType: 'm7g.xlarge',
      targetCapacity: 1,
    });
    expect(p2.overrides.map((o) => o.SubnetId)).toEqual(['subnet-b']);
    const third = nextLaunchInput(second, [
      { instanceType: 'm7g.xlarge', availabilityZone: 'eu-west-1b' },
    ]);
    const p3 = planLaunch(third);
    expect(p3.instanceType).toBe('t3.xlarge');
    expect(p3.overrides.map((o) => o.AvailabilityZone)).toEqual([
      'eu-west-1a',
      'eu-west-1b',
      'eu-west-1c',
    ]);
    const spent = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'].map((z) => ({
      instanceType: 't3.xlarge',
      availabilityZone: z,
    }));
    expect(() => planLaunch(nextLaunchInput(third, spent))).toThrow(CapacityExhaustedError);
  });

  it('never plans an exhausted pool or a zone that does not offer the type', () => {
    const pools = subnets.flatMap((s) =>
      first.instanceTypes.map((t) => ({ instanceType: t, availabilityZone: s.availabilityZone })),
    );
    fc.assert(
      fc.property(fc.subarray(pools), (exhausted) => {
        let plan;
        try {
          plan = planLaunch({ ...first, exhausted });
        } catch (e) {
          // Giving up is right only when every offered pool (type × zone) is spent.
          expect(e).toBeInstanceOf(CapacityExhaustedError);
          const open = pools.filter(
            (p) =>
              offerings.get(p.availabilityZone)?.has(p.instanceType) === true &&
              !exhausted.includes(p),
          );
          expect(open).toEqual([]);
          return;
        }
        for (const o of plan.overrides) {
          expect(offerings.get(o.AvailabilityZone)?.has(o.InstanceType)).toBe(true);
          expect(exhausted).not.toContainEqual({
            instanceType: o.InstanceType,
            availabilityZone: o.AvailabilityZone,
          });
        }
      }),
    );
  });
});

describe('tags', () => {
  it('carries the tags the IAM policy requires on every resource type', () => {
    expect(clusterTags('ws_1', 'cl_1')).toEqual([
      { Key: 'ferry:managed', Value: 'true' },
      { Key: 'ferry:workspace', Value: 'ws_1' },
      { Key: 'ferry:cluster', Value: 'cl_1' },
    ]);
    const specs = tagSpecifications('ws_1', 'cl_1', ['fleet', 'instance', 'volume']);
    expect(specs.map((s) => s.ResourceType)).toEqual(['fleet', 'instance', 'volume']);
    for (const s of specs) expect(s.Tags).toEqual(clusterTags('ws_1', 'cl_1'));
  });
});

describe('retry', () => {
  it('classifies AWS errors', () => {
    expect(classifyAwsError({ code: 'RequestLimitExceeded', status: 503 })).toBe('throttle');
    expect(classifyAwsError({ code: 'InternalError' })).toBe('throttle');
    expect(classifyAwsError({ code: 'Whatever', status: 502 })).toBe('throttle');
    expect(classifyAwsError({ code: 'InsufficientInstanceCapacity', status: 500 })).toBe(
      'capacity',
    );
    expect(classifyAwsError({ code: 'UnauthorizedOperation', status: 403 })).toBe('fatal');
    expect(classifyAwsError({ code: 'VcpuLimitExceeded', status: 400 })).toBe('fatal');
    expect(classifyAwsError({})).toBe('fatal');
  });

  it('backs off exponentially with full jitter, capped, and stops after maxRetries', () => {
    expect(nextDelay(0, () => 0.999999)).toBe(99);
    expect(nextDelay(3, () => 0.5)).toBe(400);
    expect(nextDelay(DEFAULT_RETRY_POLICY.maxRetries, () => 0.5)).toBeUndefined();
    fc.assert(
      fc.property(
        fc.nat({ max: 100 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, r) => {
          const policy = { baseMs: 50, capMs: 5000, maxRetries: 60 };
          const d = nextDelay(attempt, () => r, policy);
          if (attempt >= policy.maxRetries) {
            expect(d).toBeUndefined();
          } else {
            expect(d).toBeGreaterThanOrEqual(0);
            expect(d).toBeLessThan(Math.min(policy.capMs, policy.baseMs * 2 ** attempt));
          }
        },
      ),
    );
  });
});
