/**
 * A nodejs-polars plan run on the cluster: the head comes back inline, the whole result is
 * read through presigned URLs (no AWS credentials needed here), and the same plan is sunk
 * to S3 as Parquet.
 *
 *   node examples/plan.ts
 */
import pl from 'nodejs-polars';
import { remote } from '@ferry/sdk';
import { computeContext, tripsLocation } from './connect.ts';

await using ctx = await computeContext();
const byZone = pl
  .scanParquet(tripsLocation())
  .groupBy('zone')
  .agg(pl.col('fare').mean().alias('avg_fare'), pl.len().alias('trips'))
  .sort('zone');

const result = await remote(byZone, ctx, { labels: { example: 'plan' } }).execute();
console.log(result.head.toString());
console.log(`rows: ${result.rowCount}`);
console.log(`location: ${result.location}`);
const whole = await result.toDataFrame();
console.log(`downloaded: ${whole.height} rows`);

const sinkTo = process.env.FERRY_EXAMPLE_SINK;
if (sinkTo) {
  const sunk = await remote(byZone, ctx).sinkParquet(sinkTo);
  console.log(`sunk to: ${sunk.location}`);
}
