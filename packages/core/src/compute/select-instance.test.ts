import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { normalizeComputeContext } from './compute-context.ts';
import {
  buildInstanceCatalog,
  type Ec2InstanceTypeInfo,
  type ZoneOfferings,
} from './instance-catalog.ts';
import { DEFAULT_PRICE_TABLE, mergePriceTables } from './price-table.ts';
import { selectInstance, type SelectionInput } from './select-instance.ts';

const catalog = buildInstanceCatalog(
  JSON.parse(
    readFileSync(
      new URL('../../../../apps/localcloud/src/services/ec2/instance-types.json', import.meta.url),
      'utf8',
    ),
  ) as Ec2InstanceTypeInfo[],
);
const all = new Set(catalog.map((t) => t.instanceType));
const subnets = [
  { subnetId: 'subnet-a', availabilityZone: 'us-east-1a' },
  { subnetId: 'subnet-b', availabilityZone: 'us-east-1b' },
];
const everywhere: ZoneOfferings = new Map([
  ['us-east-1a', all],
  ['us-east-1b', all],
]);

function input(context: unknown, over: Partial<SelectionInput> = {}): SelectionInput {
  return {
    context: normalizeComputeContext(context),
    region: 'us-east-1',
    catalog,
    subnets,
    offerings: everywhere,
    prices: DEFAULT_PRICE_TABLE,
    ...over,
  };
}

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('selectInstance', () => {
  it('picks the cheapest type meeting every bound and explains it', () => {
    const s = selectInstance(input({ cpus: 4, memory: 16 }));
    expect(s.instanceType).toBe('m7g.xlarge');
    expect(s.usdPerHour).toBe(0.1632);
    expect(s.zones).toEqual(['us-east-1a', 'us-east-1b']);
    expect(s.fallbacks.map((f) => f.instanceType)).toEqual([
      't3.xlarge',
      'm6i.xlarge',
      'm7i.xlarge',
      'r7g.xlarge',
    ]);
    expect(s.reason).toContain('m7g.xlarge');
    expect(s.candidates[0]).toMatchObject({ instanceType: 'm7g.xlarge', rank: 0, rejected: [] });
    expect(s.candidates.find((c) => c.instanceType === 'c7g.xlarge')?.rejected).toEqual([
      'too_little_memory',
    ]);
    expect(s.candidates).toHaveLength(catalog.length);
  });

  it('honours the architecture', () => {
    const s = selectInstance(input({ cpus: 4, memory: 16, architecture: 'x86_64' }));
    expect(s.instanceType).toBe('t3.xlarge');
    expect(s.candidates.find((c) => c.instanceType === 'm7g.xlarge')?.rejected).toEqual([
      'wrong_architecture',
    ]);
  });

  it('skips types no subnet zone offers, and types without a price', () => {
    const offerings: ZoneOfferings = new Map([
      ['us-east-1a', new Set([...all].filter((t) => t !== 'm7g.xlarge'))],
      ['us-east-1c', all],
    ]);
    const s = selectInstance(input({ cpus: 4, memory: 16 }, { offerings }));
    expect(s.instanceType).toBe('t3.xlarge');
    expect(s.zones).toEqual(['us-east-1a']);
    expect(s.candidates.find((c) => c.instanceType === 'm7g.xlarge')?.rejected).toEqual([
      'not_offered',
    ]);
    const sparse = { ...DEFAULT_PRICE_TABLE, regions: { 'us-east-1': { 'm7i.xlarge': 0.2016 } } };
    expect(selectInstance(input({ cpus: 4, memory: 16 }, { prices: sparse })).instanceType).toBe(
      'm7i.xlarge',
    );
  });

  it('takes an explicit instance type and prices by region', () => {
    const s = selectInstance(input({ instanceType: 'r7i.large' }, { region: 'eu-west-1' }));
    expect(s).toMatchObject({ instanceType: 'r7i.large', fallbacks: [] });
    expect(s.usdPerHour).toBe(DEFAULT_PRICE_TABLE.regions['eu-west-1']?.['r7i.large']);
    const cheap = mergePriceTables(DEFAULT_PRICE_TABLE, {
      regions: { 'us-east-1': { 'm7i.large': 0.001 } },
    });
    expect(selectInstance(input({ cpus: 2, memory: 4 }, { prices: cheap })).instanceType).toBe(
      'm7i.large',
    );
  });

  it('names the field when nothing fits', () => {
    const mem = errorOf(() => selectInstance(input({ memory: 4096 })));
    expect(mem.details[0]?.path).toBe('memory');
    expect(mem.message).toBe(
      'memory: no instance type offers 4096 GiB; the largest is r7i.48xlarge with 1536 GiB',
    );
    expect(errorOf(() => selectInstance(input({ cpus: 256 }))).details[0]?.path).toBe('cpus');
    expect(
      errorOf(() => selectInstance(input({ cpus: 128, architecture: 'arm64' }))).message,
    ).toContain('the largest is c7g.16xlarge with 64');
    expect(
      errorOf(() =>
        selectInstance(
          input(
            { cpus: 100, memory: 500 },
            {
              catalog: catalog.filter((t) =>
                ['c7i.48xlarge', 'r7i.16xlarge'].includes(t.instanceType),
              ),
            },
          ),
        ),
      ).message,
    ).toContain('both');
    expect(errorOf(() => selectInstance(input({ instanceType: 'x9.huge' }))).details[0]?.path).toBe(
      'instanceType',
    );
    expect(
      errorOf(() => selectInstance(input({ instanceType: 'm7g.large', architecture: 'x86_64' })))
        .details[0]?.path,
    ).toBe('architecture');
    expect(
      errorOf(() => selectInstance(input({}, { offerings: new Map() }))).details[0]?.path,
    ).toBe('subnets');
  });

  it('always returns a fitting, offered type no dearer than any other fitting one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 512 }),
        fc.constantFrom('x86_64', 'arm64', 'any'),
        fc.subarray([...all]),
        (cpus, memory, architecture, offered) => {
          const offerings: ZoneOfferings = new Map([['us-east-1b', new Set(offered)]]);
          let s;
          try {
            s = selectInstance(input({ cpus, memory, architecture }, { offerings }));
          } catch (e) {
            // Refusing is right only when no offered type fits: the error must say so.
            expect(e).toBeInstanceOf(ValidationError);
            const fits = catalog.some(
              (t) =>
                offered.includes(t.instanceType) &&
                t.vcpus >= cpus &&
                t.memoryMiB / 1024 >= memory &&
                (architecture === 'any' || t.architectures.includes(architecture)),
            );
            expect({ cpus, memory, architecture, fits }).toMatchObject({ fits: false });
            return;
          }
          const facts = catalog.find((t) => t.instanceType === s.instanceType)!;
          expect(facts.vcpus).toBeGreaterThanOrEqual(cpus);
          expect(facts.memoryMiB / 1024).toBeGreaterThanOrEqual(memory);
          expect(offered).toContain(s.instanceType);
          if (architecture !== 'any') expect(facts.architectures).toContain(architecture);
          for (const f of s.fallbacks) expect(f.usdPerHour).toBeGreaterThanOrEqual(s.usdPerHour);
          for (const c of s.candidates)
            if (c.rejected.length === 0) expect(c.usdPerHour).toBeGreaterThanOrEqual(s.usdPerHour);
        },
      ),
      { numRuns: 200 },
    );
  });
});
