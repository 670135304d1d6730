import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { DEFAULT_PRICE_TABLE, mergePriceTables, priceOf } from './price-table.ts';
import { buildInstanceCatalog, type Ec2InstanceTypeInfo } from './instance-catalog.ts';

// localcloud's catalog (real DescribeInstanceTypes entries): the shipped table must price it.
const LOCALCLOUD_CATALOG = buildInstanceCatalog(
  JSON.parse(
    readFileSync(
      new URL('../../../../apps/localcloud/src/services/ec2/instance-types.json', import.meta.url),
      'utf8',
    ),
  ) as Ec2InstanceTypeInfo[],
);

describe('price table', () => {
  it('prices every type of the catalog in every shipped region', () => {
    for (const region of Object.keys(DEFAULT_PRICE_TABLE.regions)) {
      for (const t of LOCALCLOUD_CATALOG) {
        expect(
          priceOf(DEFAULT_PRICE_TABLE, region, t.instanceType)?.source,
          `${region} ${t.instanceType}`,
        ).toBe('table');
      }
    }
    expect(priceOf(DEFAULT_PRICE_TABLE, 'us-east-1', 'm7i.large')).toEqual({
      usdPerHour: 0.1008,
      source: 'table',
    });
    expect(priceOf(DEFAULT_PRICE_TABLE, 'eu-west-1', 'm7i.large')!.usdPerHour).toBeGreaterThan(
      0.1008,
    );
  });

  it('prices a region missing from the table as us-east-1 times the multiplier', () => {
    expect(priceOf(DEFAULT_PRICE_TABLE, 'ap-south-2', 'm7i.xlarge')).toEqual({
      usdPerHour: 0.2016 * DEFAULT_PRICE_TABLE.fallbackMultiplier,
      source: 'fallback',
    });
    expect(priceOf(DEFAULT_PRICE_TABLE, 'ap-south-2', 'x9z.huge')).toBeUndefined();
  });

  it('merges an operator override type by type', () => {
    const merged = mergePriceTables(DEFAULT_PRICE_TABLE, {
      fallbackMultiplier: 1.5,
      regions: { 'eu-west-1': { 'm7i.large': 0.2 }, 'ap-south-2': { 't3.micro': 0.01 } },
    });
    expect(priceOf(merged, 'eu-west-1', 'm7i.large')).toEqual({ usdPerHour: 0.2, source: 'table' });
    expect(priceOf(merged, 'eu-west-1', 'm7i.xlarge')).toEqual(
      priceOf(DEFAULT_PRICE_TABLE, 'eu-west-1', 'm7i.xlarge'),
    );
    expect(priceOf(merged, 'ap-south-2', 'm7i.large')).toEqual({
      usdPerHour: 0.1512,
      source: 'fallback',
    });
    expect(priceOf(DEFAULT_PRICE_TABLE, 'eu-west-1', 'm7i.large')!.usdPerHour).not.toBe(0.2);
  });

  it('names the bad field of an override', () => {
    const bad = () =>
      mergePriceTables(DEFAULT_PRICE_TABLE, { regions: { 'eu-west-1': { 'm7i.large': -1 } } });
    expect(bad).toThrow(ValidationError);
    expect(bad).toThrow('prices.regions.eu-west-1.m7i.large');
    expect(() => mergePriceTables(DEFAULT_PRICE_TABLE, { regions: { Europe: {} } })).toThrow(
      'prices.regions.Europe',
    );
  });
});
