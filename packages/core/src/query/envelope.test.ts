import { describe, expect, it } from 'vitest';
import { checkEnvelopeVersions, queryEnvelopeSchema } from './envelope.ts';

const base = { ferryVersion: '0.1.0', polarsVersion: '0.26.1', format: 'polars-json' } as const;

describe('query envelope', () => {
  it('accepts a plan and a SQL envelope, and names the field of a bad one', () => {
    expect(queryEnvelopeSchema.safeParse({ ...base, kind: 'plan', plan: '{}' }).success).toBe(true);
    expect(
      queryEnvelopeSchema.safeParse({
        ...base,
        kind: 'sql',
        sql: 'SELECT 1',
        sink: { format: 'parquet', uri: 's3://bucket/out.parquet' },
        headRows: 10,
        labels: { team: 'data' },
      }).success,
    ).toBe(true);
    const noPlan = queryEnvelopeSchema.safeParse({ ...base, kind: 'plan' });
    expect(noPlan.error?.issues[0]?.path).toEqual(['plan']);
    const localSink = queryEnvelopeSchema.safeParse({
      ...base,
      kind: 'sql',
      sql: 'x',
      sink: { format: 'csv', uri: '/tmp/out.csv' },
    });
    expect(localSink.error?.issues[0]?.path).toEqual(['sink', 'uri']);
    expect(
      queryEnvelopeSchema.safeParse({ ...base, kind: 'sql', sql: 'x', extra: 1 }).success,
    ).toBe(false);
  });

  it('refuses a version mismatch naming both versions and the fix', () => {
    expect(checkEnvelopeVersions(base, base)).toBeNull();
    const m = checkEnvelopeVersions(
      { ferryVersion: '0.1.0', polarsVersion: '0.25.0' },
      { ferryVersion: '0.2.0', polarsVersion: '0.26.1' },
    );
    expect(m?.message).toContain('ferry 0.1.0 on the client, 0.2.0 on the cluster');
    expect(m?.message).toContain('nodejs-polars 0.25.0 on the client, 0.26.1 on the cluster');
    expect(m?.message).toContain('npm install @ferry/sdk@0.2.0 nodejs-polars@0.26.1');
  });
});
