import { startClusterBodySchema } from '@ferry/api';
import { describe, expect, it } from 'vitest';
import {
  collectLabel,
  contextFromFlags,
  decimal,
  integer,
  parseLabels,
  startBody,
} from './compute-flags.ts';

describe('compute context flags', () => {
  it('parse numbers strictly', () => {
    expect(integer('4')).toBe(4);
    expect(() => integer('4.5')).toThrow(/whole number/);
    expect(() => integer('four')).toThrow(/whole number/);
    expect(decimal('0.5')).toBe(0.5);
    expect(() => decimal('')).toThrow(/number/);
    expect(() => decimal('1e999')).toThrow(/number/);
  });

  it('collect repeated labels, the last of a key winning, values may contain =', () => {
    const collected = ['team=data', 'env=dev', 'team=ml', 'q=a=b'].reduce<string[] | undefined>(
      (prev, v) => collectLabel(v, prev),
      undefined,
    );
    expect(parseLabels(collected ?? [])).toEqual({ team: 'ml', env: 'dev', q: 'a=b' });
    expect(() => collectLabel('novalue', undefined)).toThrow(/key=value/);
    expect(() => collectLabel('=x', undefined)).toThrow(/key=value/);
  });

  it('build the start body the API contract accepts, with only the fields given', () => {
    expect(contextFromFlags({})).toEqual({});
    const body = startBody({
      cpus: 2,
      memory: 4,
      storage: 20,
      clusterSize: 2,
      connectionMode: 'proxy',
      idleTimeout: 15,
      label: ['team=data'],
      architecture: 'arm64',
    });
    expect(body).toEqual({
      cpus: 2,
      memory: 4,
      storage: 20,
      clusterSize: 2,
      connectionMode: 'proxy',
      idleTimeoutMins: 15,
      labels: { team: 'data' },
      architecture: 'arm64',
    });
    expect(startClusterBodySchema.parse(body)).toEqual(body);
    expect(startBody({ manifest: 'nightly' })).toEqual({ manifest: 'nightly' });
  });
});
