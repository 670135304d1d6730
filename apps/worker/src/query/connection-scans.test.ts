import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { serializedCloudOptions } from './cloud-options.ts';
import {
  connectionForPaths,
  injectScanCloudOptions,
  MixedScanError,
  type ConnectionAccess,
} from './connection-scans.ts';

const conn = (name: string, bucket: string, prefix: string): ConnectionAccess => ({
  name,
  bucket,
  prefix,
  region: 'eu-west-1',
  credentials: { accessKeyId: `AK-${name}`, secretAccessKey: `SK-${name}`, sessionToken: 'T' },
});
const sales = conn('sales', 'owner-bucket', 'events/');
const ops = conn('ops', 'owner-bucket', 'events/ops/');

describe('which credentials a scan reads with', () => {
  it('a connection’s bucket: the connection holding every path, the longest prefix first', () => {
    expect(connectionForPaths([sales, ops], ['s3://owner-bucket/events/a.parquet'])).toBe(sales);
    expect(connectionForPaths([sales, ops], ['s3://owner-bucket/events/ops/a.parquet'])).toBe(ops);
    // Outside every prefix: still the connection's session, which AWS then refuses.
    expect(connectionForPaths([sales], ['s3://owner-bucket/private/x.parquet'])).toBe(sales);
    expect(connectionForPaths([sales], ['s3://own-bucket/x.parquet'])).toBeUndefined();
    expect(() =>
      connectionForPaths([sales], ['s3://owner-bucket/events/a', 's3://own-bucket/b']),
    ).toThrow(MixedScanError);
  });

  it('injects the connection’s session into its scans only, the role’s everywhere else', () => {
    const lf = pl
      .scanParquet('s3://owner-bucket/events/2026/*.parquet')
      .join(pl.scanParquet('s3://own-bucket/trips/*.parquet'), { on: 'zone' } as never);
    const plan = JSON.parse(lf.serialize('json').toString()) as unknown;
    const worker = serializedCloudOptions(
      { accessKeyId: 'AK-worker', secretAccessKey: 'SK-worker' },
      { region: 'us-east-1' },
    );
    const used = injectScanCloudOptions(plan, [sales], worker, (c) =>
      serializedCloudOptions(c.credentials, { region: c.region }),
    );
    expect([...used]).toEqual(['sales']);
    const text = JSON.stringify(plan);
    const left = text.indexOf('owner-bucket');
    const right = text.indexOf('own-bucket/');
    expect(text.indexOf('AK-sales')).toBeGreaterThan(left);
    expect(text.indexOf('AK-sales')).toBeLessThan(right);
    expect(text.indexOf('AK-worker')).toBeGreaterThan(right);
    expect(text.match(/AK-sales/g)).toHaveLength(1);
    // The injected plan still deserializes.
    expect(() => pl.LazyDataFrame.deserialize(Buffer.from(text), 'json')).not.toThrow();
  });
});
