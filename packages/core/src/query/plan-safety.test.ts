import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { checkPlanSafety, checkSqlSafety, sqlTableFunctionLocations } from './plan-safety.ts';

const plan = (lf: pl.LazyDataFrame): string => lf.serialize('json').toString();

describe('checkPlanSafety on real nodejs-polars plans', () => {
  it('accepts an s3 scan with an aggregation, and an s3 sink', () => {
    const lf = pl
      .scanParquet('s3://acme-data/trips/*.parquet')
      .groupBy('zone')
      .agg(pl.col('fare').mean());
    expect(checkPlanSafety(plan(lf))).toEqual([]);
    const sink = pl
      .scanParquet('s3://acme-data/x.parquet', { cloudOptions: { aws_region: 'eu-west-1' } })
      .sinkParquet('s3://acme-out/y.parquet', {
        lazy: true,
      } as never);
    expect(checkPlanSafety(plan(sink))).toEqual([]);
  });

  it('refuses every credential option by its name, in scans and sinks', () => {
    const lf = pl.scanParquet('s3://b/x.parquet', {
      cloudOptions: {
        aws_access_key_id: 'AKIAEXAMPLE',
        aws_secret_access_key: 'secret',
        aws_session_token: 'tok',
        aws_region: 'us-east-1',
      },
    });
    const v = checkPlanSafety(plan(lf));
    expect(v.map((x) => x.code)).toEqual([
      'credentials_in_plan',
      'credentials_in_plan',
      'credentials_in_plan',
    ]);
    const text = v.map((x) => x.message).join('\n');
    expect(text).toContain('aws_access_key_id');
    expect(text).toContain('aws_secret_access_key');
    expect(text).toContain('aws_session_token');
    expect(text).toContain('its own role');
    expect(text).not.toContain('secret"');
    expect(text).not.toContain('AKIAEXAMPLE');

    const sink = pl.scanParquet('s3://b/x.parquet').sinkParquet('s3://o/y.parquet', {
      cloudOptions: { aws_secret_access_key: 's' },
      lazy: true,
    } as never);
    const sv = checkPlanSafety(plan(sink));
    expect(sv).toHaveLength(1);
    expect(sv[0]?.path).toContain('unified_sink_args.cloud_options');
  });

  it('refuses local paths and other schemes in scans, unions and sinks', () => {
    expect(checkPlanSafety(plan(pl.scanParquet('/etc/passwd')))[0]).toMatchObject({
      code: 'local_path',
    });
    expect(checkPlanSafety(plan(pl.scanCSV('file:///etc/shadow')))[0]?.code).toBe('local_path');
    expect(checkPlanSafety(plan(pl.scanIPC('relative/x.arrow')))[0]?.code).toBe('local_path');
    expect(checkPlanSafety(plan(pl.scanJson('https://example.invalid/x.ndjson')))[0]?.code).toBe(
      'non_s3_location',
    );
    const union = pl.concat([pl.scanParquet('s3://a/1.parquet'), pl.scanCSV('/tmp/x.csv')]);
    const uv = checkPlanSafety(plan(union));
    expect(uv).toHaveLength(1);
    expect(uv[0]?.message).toContain('/tmp/x.csv');
    const sink = pl
      .scanParquet('s3://b/x.parquet')
      .sinkCSV('/tmp/out.csv', { lazy: true } as never);
    expect(checkPlanSafety(plan(sink)).map((x) => x.code)).toEqual(['local_path']);
  });

  it('allows small in-memory frames and refuses large ones, including inside SQLContext plans', () => {
    const small = pl.DataFrame({ a: [1, 2, 3] }).lazy();
    expect(checkPlanSafety(plan(small))).toEqual([]);
    const big = pl.DataFrame({ a: Array.from({ length: 50_000 }, (_, i) => i) }).lazy();
    expect(checkPlanSafety(plan(big), { maxInMemoryBytes: 100_000 })[0]?.code).toBe(
      'in_memory_frame_too_large',
    );
    const ctx = pl.SQLContext({ t: big });
    const viaSql = ctx.execute('SELECT count(*) FROM t');
    expect(checkPlanSafety(plan(viaSql), { maxInMemoryBytes: 100_000 })[0]?.code).toBe(
      'in_memory_frame_too_large',
    );
  });

  it('refuses malformed plans and other stores', () => {
    expect(checkPlanSafety('{not json')[0]?.code).toBe('malformed_plan');
    expect(checkPlanSafety('[1]')[0]?.code).toBe('malformed_plan');
    const gcs = {
      Scan: {
        sources: { Paths: [{ inner: 's3://b/x' }] },
        unified_scan_args: { cloud_options: { config: { Gcp: [] }, credential_provider: null } },
      },
    };
    expect(checkPlanSafety(gcs)[0]?.code).toBe('unsupported_storage');
    expect(checkPlanSafety({ Scan: { sources: { Buffers: [] } } })[0]?.code).toBe(
      'unsupported_source',
    );
  });
});

describe('SQL table-function locations', () => {
  it('finds the first string argument of read_* calls past comments and quoting', () => {
    expect(
      sqlTableFunctionLocations(
        "SELECT 'read_parquet(''/x'')' AS s FROM READ_PARQUET( /* c */ '/etc/passwd', hive => 'x') -- read_csv('/y')\n JOIN read_csv('s3://b/it''s.csv') USING (k)",
      ),
    ).toEqual(['/etc/passwd', "s3://b/it's.csv"]);
  });

  it('refuses local paths and accepts s3', () => {
    expect(checkSqlSafety("SELECT * FROM read_parquet('s3://b/x/*.parquet')")).toEqual([]);
    expect(checkSqlSafety("SELECT * FROM read_csv('/etc/passwd')")[0]?.code).toBe('local_path');
  });
});
