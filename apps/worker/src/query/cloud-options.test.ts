import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { injectCloudOptions, serializedCloudOptions } from './cloud-options.ts';

describe('injectCloudOptions', () => {
  it("replaces every scan's and the sink's cloud_options, null or the client's, and polars accepts it", () => {
    const lf = pl
      .concat([
        pl.scanParquet('s3://a/1.parquet', {
          cloudOptions: { aws_endpoint_url: 'http://evil.invalid' },
        }),
        pl.scanParquet('s3://a/2.parquet'),
      ])
      .sinkParquet('s3://o/x.parquet');
    const plan = JSON.parse(lf.serialize('json').toString()) as unknown;
    const options = serializedCloudOptions(
      { accessKeyId: 'AKIDWORKER', secretAccessKey: 'sk', sessionToken: 'st' },
      { region: 'eu-west-1', endpoint: 'http://127.0.0.1:9' },
    );
    expect(injectCloudOptions(plan, options)).toBe(3);
    const text = JSON.stringify(plan);
    expect(text).not.toContain('evil.invalid');
    expect(text.match(/AKIDWORKER/g)).toHaveLength(3);
    const back = pl.LazyDataFrame.deserialize(Buffer.from(text), 'json');
    const again = back.serialize('json').toString();
    expect(again.match(/AKIDWORKER/g)).toHaveLength(3);
    expect(again).toContain('"Endpoint","http://127.0.0.1:9"');
  });
});
