/**
 * A query submitted without waiting, followed, and cancelled: the worker kills the process
 * running it at once, and the cluster takes the next query.
 *
 *   node examples/submit-cancel.ts
 */
import pl from 'nodejs-polars';
import { remote, sql } from '@ferry/sdk';
import { computeContext, tripsLocation } from './connect.ts';

await using ctx = await computeContext();
const trips = pl.scanParquet(tripsLocation());
// A cross join: far too long to wait for.
const long = trips
  .join(trips.select(pl.col('fare').alias('other_fare')), { how: 'cross' })
  .select(pl.col('fare').add(pl.col('other_fare')).sum());

const handle = remote(long, ctx, { labels: { example: 'cancel' } }).submit();
console.log(`submitted: ${await handle.id()}`);
let status = await handle.status();
while (status.state === 'Queued') {
  await new Promise((r) => setTimeout(r, 200));
  status = await handle.status();
}
console.log(`state: ${status.state}`);
await handle.cancel();
console.log(`after cancel: ${(await handle.wait({ timeoutSeconds: 30 })).state}`);

const next = await sql(ctx, 'SELECT 1 AS one').execute();
console.log(`next query: ${next.status.state}`);
