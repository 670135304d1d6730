/**
 * The demo's query part: a Parquet dataset of 10 million trips generated with nodejs-polars
 * in this process and uploaded as the customer, then one aggregation through the SDK in
 * direct mode and one in proxy mode (one cluster each), printing the head, the rows, the
 * timings, the profile and the cost of each.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ComputeContext, remote, type QueryResult } from '@ferry/sdk';
import pl from 'nodejs-polars';
import type { CliIo } from '../cli-io.ts';
import type { ConnectDemo } from './demo-connect.ts';

/** Rows of the demo dataset, and how many files they are written as. */
export const DEMO_ROWS = 10_000_000;
const FILES = 10;

/** One file of the dataset: `rows` trips over 265 zones, fares in cents, distances in 0.1 mi. */
export function tripsPart(rows: number, seed: number): pl.DataFrame {
  const zone = new Int32Array(rows);
  const fare = new Float64Array(rows);
  const distance = new Float64Array(rows);
  // A small linear congruential generator: fast, and the same data on every run.
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < rows; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    zone[i] = x % 265;
    fare[i] = ((x >>> 8) % 6000) / 100;
    distance[i] = ((x >>> 4) % 300) / 10;
  }
  return pl.DataFrame({
    zone: pl.Series('zone', zone),
    fare: pl.Series('fare', fare),
    distance: pl.Series('distance', distance),
  });
}

/** Generates the dataset and uploads it to `s3://bucket/trips/`; answers its glob. */
export async function uploadTrips(
  io: CliIo,
  demo: Pick<ConnectDemo, 'customerConfig' | 'dataBucket'>,
  rows = DEMO_ROWS,
): Promise<string> {
  const t0 = Date.now();
  const s3 = new S3Client({ ...demo.customerConfig, forcePathStyle: true });
  let bytes = 0;
  try {
    const perFile = Math.ceil(rows / FILES);
    const uploads: Promise<unknown>[] = [];
    for (let part = 0; part < FILES; part++) {
      const body = tripsPart(Math.min(perFile, rows - part * perFile), part + 1).writeParquet({
        compression: 'zstd',
      });
      bytes += body.length;
      uploads.push(
        s3.send(
          new PutObjectCommand({
            Bucket: demo.dataBucket,
            Key: `trips/part-${String(part).padStart(2, '0')}.parquet`,
            Body: body,
          }),
        ),
      );
    }
    await Promise.all(uploads);
  } finally {
    s3.destroy();
  }
  const glob = `s3://${demo.dataBucket}/trips/*.parquet`;
  io.stdout(
    `dataset: ${rows.toLocaleString('en-US')} rows in ${FILES} Parquet files (${(bytes / 1e6).toFixed(1)} MB), generated with nodejs-polars and uploaded as the customer in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${glob}\n`,
  );
  return glob;
}

/** The demo's aggregation: average fare, total distance and trips per zone. */
export const byZone = (trips: string): pl.LazyDataFrame =>
  pl
    .scanParquet(trips)
    .groupBy('zone')
    .agg(
      pl.col('fare').mean().alias('avg_fare'),
      pl.col('distance').sum().alias('distance'),
      pl.len().alias('trips'),
    )
    .sort('zone');

const ms = (v: number | undefined | null) => (v == null ? '-' : `${Math.round(v)} ms`);

async function printResult(io: CliIo, result: QueryResult, wallMs: number): Promise<void> {
  io.stdout(`${String(result.head.head(5))}\n`);
  io.stdout(
    `  rows: ${result.rowCount} (head ${result.head.height}), result ${result.location ?? '-'} (${result.bytes ?? 0} bytes)\n`,
  );
  const profile = await result.profile();
  const phases = Object.entries(profile.phases)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${k.replace(/Ms$/, '')} ${ms(v as number)}`)
    .join(', ');
  io.stdout(`  time: ${ms(wallMs)} end to end; on the node: ${phases}\n`);
  const cpu = profile.samples.map((s) => s.cpuPercent);
  const mem = profile.samples.map((s) => s.memoryUsedBytes);
  io.stdout(
    `  profile: engine ${profile.engine ?? '?'}, ${profile.samples.length} sample(s)` +
      (cpu.length > 0
        ? `, CPU up to ${Math.max(...cpu).toFixed(0)} %, memory up to ${(Math.max(...mem) / 2 ** 20).toFixed(0)} MiB`
        : '') +
      `\n  cost: ${profile.costUsd === null ? '-' : `$${profile.costUsd.toFixed(6)}`} (the node's $/hour × the query's time)\n`,
  );
}

/** Runs the aggregation once per connection mode, each on a cluster of its own. */
export async function runQueryDemo(
  io: CliIo,
  demo: ConnectDemo,
  token: string,
  trips: string,
): Promise<void> {
  for (const connectionMode of ['direct', 'proxy'] as const) {
    io.stdout(`\n$ # ${connectionMode} mode: a cluster of 2 vCPUs, 4 GiB, then the aggregation\n`);
    const t0 = Date.now();
    const ctx = await new ComputeContext({
      url: demo.controlPlaneUrl,
      token,
      workspace: demo.workspaceId,
      cpus: 2,
      memory: 4,
      connectionMode,
      idleTimeoutMins: 5,
      labels: { purpose: 'demo' },
      startTimeoutSeconds: 120,
    }).start();
    try {
      io.stdout(`cluster ${ctx.clusterId} Idle after ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      io.stdout(
        `remote(pl.scanParquet('${trips}').groupBy('zone').agg(avg fare, total distance, trips), ctx).execute()\n`,
      );
      const t1 = Date.now();
      const result = await remote(byZone(trips), ctx, {
        labels: { demo: connectionMode },
      }).execute();
      await printResult(io, result, Date.now() - t1);
    } finally {
      await ctx.stop();
      // Stopped before the next step, so nothing of it still reports when the demo ends.
      const deadline = Date.now() + 60_000;
      while ((await ctx.status()).state !== 'Stopped' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
