/**
 * Polars SQL run on the cluster, `read_parquet` reading straight from S3.
 *
 *   node examples/sql.ts
 */
import { sql } from '@ferry/sdk';
import { computeContext, tripsLocation } from './connect.ts';

await using ctx = await computeContext();
const top = await sql(
  ctx,
  `SELECT zone, count(*) AS trips, avg(fare) AS avg_fare
   FROM read_parquet('${tripsLocation()}')
   GROUP BY zone ORDER BY trips DESC, zone LIMIT 5`,
).show(5);
console.log(top.toString());
console.log(`zones: ${top.height}`);
