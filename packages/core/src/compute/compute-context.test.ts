import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { COMPUTE_LIMITS, normalizeComputeContext } from './compute-context.ts';

function fieldsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).details.map((d) => d.path);
  }
  throw new Error('expected a ValidationError');
}

describe('normalizeComputeContext', () => {
  it('fills every default', () => {
    expect(normalizeComputeContext({})).toEqual({
      sizing: { kind: 'bounds', cpus: 2, memoryGiB: 8 },
      architecture: 'any',
      storageGiB: 32,
      clusterSize: 1,
      connectionMode: 'direct',
      idleTimeoutMins: 60,
      labels: {},
    });
  });

  it('keeps what was given, and the workspace default idle timeout', () => {
    const c = normalizeComputeContext(
      {
        cpus: 4,
        memory: 0.5,
        storage: 100,
        clusterSize: 3,
        connectionMode: 'proxy',
        labels: { team: 'data' },
        architecture: 'arm64',
        name: 'nightly-etl',
      },
      { workspaceIdleTimeoutMins: 30 },
    );
    expect(c).toMatchObject({
      sizing: { kind: 'bounds', cpus: 4, memoryGiB: 0.5 },
      idleTimeoutMins: 30,
      name: 'nightly-etl',
      clusterSize: 3,
    });
    expect(normalizeComputeContext({ instanceType: 'm7i.large' }).sizing).toEqual({
      kind: 'instanceType',
      instanceType: 'm7i.large',
    });
  });

  it('names each bad field', () => {
    expect(fieldsOf(() => normalizeComputeContext({ cpus: 0 }))).toEqual(['cpus']);
    expect(fieldsOf(() => normalizeComputeContext({ memory: -1 }))).toEqual(['memory']);
    expect(fieldsOf(() => normalizeComputeContext({ storage: 2 }))).toEqual(['storage']);
    expect(fieldsOf(() => normalizeComputeContext({ clusterSize: 0 }))).toEqual(['clusterSize']);
    expect(fieldsOf(() => normalizeComputeContext({ clusterSize: 10_000 }))).toEqual([
      'clusterSize',
    ]);
    expect(fieldsOf(() => normalizeComputeContext({ connectionMode: 'tunnel' }))).toEqual([
      'connectionMode',
    ]);
    expect(fieldsOf(() => normalizeComputeContext({ architecture: 'riscv' }))).toEqual([
      'architecture',
    ]);
    expect(fieldsOf(() => normalizeComputeContext({ idleTimeoutMins: 5 }))).toEqual([
      'idleTimeoutMins',
    ]);
    expect(fieldsOf(() => normalizeComputeContext({ labels: { 'ferry:x': 'y' } }))).toEqual([
      'labels.ferry:x',
    ]);
    expect(fieldsOf(() => normalizeComputeContext({ instanceType: 'large' }))).toEqual([
      'instanceType',
    ]);
    expect(fieldsOf(() => normalizeComputeContext({ bogus: 1 }))).toEqual(['bogus']);
    expect(fieldsOf(() => normalizeComputeContext({ instanceType: 'm7i.large', cpus: 2 }))).toEqual(
      ['instanceType'],
    );
    expect(fieldsOf(() => normalizeComputeContext({ cpus: 0, storage: 1 }))).toEqual([
      'cpus',
      'storage',
    ]);
  });

  it('takes the idle-timeout floor as a parameter and raises a lower workspace default to it', () => {
    expect(
      normalizeComputeContext({ idleTimeoutMins: 1 }, { minIdleTimeoutMins: 1 }).idleTimeoutMins,
    ).toBe(1);
    expect(normalizeComputeContext({}, { workspaceIdleTimeoutMins: 3 }).idleTimeoutMins).toBe(10);
  });

  it('accepts every in-bounds context and rejects every idle timeout under the floor', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: COMPUTE_LIMITS.maxCpus }),
        fc.integer({ min: 1, max: COMPUTE_LIMITS.maxClusterSize }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 1, max: 30 }),
        (cpus, clusterSize, idle, floor) => {
          const run = () =>
            normalizeComputeContext(
              { cpus, clusterSize, idleTimeoutMins: idle },
              { minIdleTimeoutMins: floor },
            );
          if (idle < floor) expect(fieldsOf(run)).toEqual(['idleTimeoutMins']);
          else
            expect(run()).toMatchObject({ clusterSize, idleTimeoutMins: idle, sizing: { cpus } });
        },
      ),
    );
  });
});
