/**
 * The query-overhead benchmark: what running a query through ferry costs over running the
 * same nodejs-polars plan in process, against the same localcloud S3. One warm cluster per
 * connection mode (a cluster has one mode), both Idle before anything is timed; each query
 * runs once to warm up, then `runs` times per way. Three queries: a small result (the added
 * latency), a 1M-row result (written whole to the results bucket), and a 10M-row scan and
 * aggregation. Overhead = median through ferry − median in process; ratio = in-process
 * time / ferry time (the share of in-process throughput ferry keeps).
 */
import { loadavg } from 'node:os';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ComputeContext, remote } from '@ferry/sdk';
import pl from 'nodejs-polars';
import { byZone, tripsPart } from '../../apps/cli/src/commands/demo-queries.ts';
import { startConnectedWorkspace } from '../../test/e2e/fixtures/connected-workspace.ts';
import { queryToken } from '../../test/e2e/fixtures/query-helpers.ts';

export interface QueryBenchOptions {
  /** Timed runs of each query per way (after one warm-up). */
  readonly runs: number;
  /** Rows of the scan-and-aggregate dataset (10 files). */
  readonly rows: number;
  /** Rows of the large-result query. */
  readonly resultRows: number;
  readonly log?: (line: string) => void;
}

type Way = 'in-process' | 'direct' | 'proxy';
const WAYS: readonly Way[] = ['in-process', 'direct', 'proxy'];

export interface QueryFigures {
  readonly name: string;
  /** Median milliseconds per way. */
  readonly medianMs: Record<Way, number>;
  readonly rows: number;
}

export interface QueryBenchResult {
  readonly runs: number;
  /** The machine's 1-minute load average at the start and the end of the timed runs. */
  readonly load: readonly [number, number];
  readonly queries: readonly QueryFigures[];
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function runQueryBench(options: QueryBenchOptions): Promise<QueryBenchResult> {
  const log = options.log ?? (() => {});
  const f = await startConnectedWorkspace();
  const ctxs: ComputeContext[] = [];
  try {
    const bucket = `customer-data-${f.customer.accountId}`;
    const s3 = new S3Client({ ...f.customerConfig(), forcePathStyle: true });
    const files = 10;
    const perFile = Math.ceil(options.rows / files);
    for (let part = 0; part < files; part++) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `trips/part-${part}.parquet`,
          Body: tripsPart(perFile, part + 1).writeParquet({ compression: 'zstd' }),
        }),
      );
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'wide/part-0.parquet',
        Body: tripsPart(options.resultRows, 99).writeParquet({ compression: 'zstd' }),
      }),
    );
    s3.destroy();
    log(`data written: ${files * perFile} rows, and ${options.resultRows} rows to return`);
    const trips = `s3://${bucket}/trips/*.parquet`;
    const wide = `s3://${bucket}/wide/part-0.parquet`;
    const { credentials, endpoint } = f.customerConfig();
    const cloudOptions = {
      aws_endpoint_url: endpoint,
      aws_access_key_id: credentials.accessKeyId,
      aws_secret_access_key: credentials.secretAccessKey,
      aws_region: 'us-east-1',
      aws_allow_http: 'true',
      aws_virtual_hosted_style_request: 'false',
    };
    const token = await queryToken(f);
    for (const connectionMode of ['direct', 'proxy'] as const) {
      ctxs.push(
        await new ComputeContext({
          url: f.controlPlane.url,
          token,
          workspace: f.workspaceId,
          cpus: 2,
          memory: 4,
          connectionMode,
          startTimeoutSeconds: 120,
        }).start(),
      );
    }
    const [direct, proxy] = ctxs as [ComputeContext, ComputeContext];
    log('clusters Idle');

    // Each query: the plan ferry runs (no cloud options: the worker reads with its role),
    // and the same plan in process with the customer's credentials.
    const queries: { name: string; plan: (local: boolean) => pl.LazyDataFrame }[] = [
      {
        name: 'small result (count of one file)',
        plan: (local) =>
          pl
            .scanParquet(`s3://${bucket}/trips/part-0.parquet`, local ? { cloudOptions } : {})
            .select(pl.len().alias('n')),
      },
      {
        name: `${options.resultRows.toLocaleString('en-US')}-row result`,
        plan: (local) => pl.scanParquet(wide, local ? { cloudOptions } : {}),
      },
      {
        name: `${(files * perFile).toLocaleString('en-US')}-row scan and aggregation`,
        plan: (local) =>
          local
            ? pl
                .scanParquet(trips, { cloudOptions })
                .groupBy('zone')
                .agg(
                  pl.col('fare').mean().alias('avg_fare'),
                  pl.col('distance').sum().alias('distance'),
                  pl.len().alias('trips'),
                )
                .sort('zone')
            : byZone(trips),
      },
    ];
    const once = async (way: Way, plan: (local: boolean) => pl.LazyDataFrame) => {
      const t0 = performance.now();
      let rows: number;
      if (way === 'in-process') {
        rows = (await plan(true).collect()).height;
      } else {
        rows = (await remote(plan(false), way === 'direct' ? direct : proxy).execute()).rowCount;
      }
      return { ms: performance.now() - t0, rows };
    };
    const out: QueryFigures[] = [];
    const loadAtStart = loadavg()[0]!;
    for (const q of queries) {
      const times: Record<Way, number[]> = { 'in-process': [], direct: [], proxy: [] };
      let rows = 0;
      for (const way of WAYS) await once(way, q.plan);
      // Interleaved, so a slow moment of the shared machine hits every way alike.
      for (let i = 0; i < options.runs; i++) {
        for (const way of WAYS) {
          const r = await once(way, q.plan);
          times[way].push(r.ms);
          rows = r.rows;
        }
      }
      const medianMs = {
        'in-process': median(times['in-process']),
        direct: median(times.direct),
        proxy: median(times.proxy),
      };
      log(`${q.name}: ${JSON.stringify(medianMs)}`);
      out.push({ name: q.name, medianMs, rows });
    }
    return { runs: options.runs, load: [loadAtStart, loadavg()[0]!], queries: out };
  } finally {
    for (const ctx of ctxs) await ctx.stop().catch(() => undefined);
    // Stopped before the fixture ends, which refuses to leave instances running.
    for (const ctx of ctxs) {
      await f
        .until(
          `cluster ${ctx.clusterId} to stop`,
          async () => ((await ctx.status()).state === 'Stopped' ? true : undefined),
          60_000,
        )
        .catch(() => undefined);
    }
    await f.stop();
  }
}

/** The figures as Markdown. */
export function formatQueryBench(r: QueryBenchResult): string {
  const fmt = (n: number) => n.toFixed(1);
  return [
    `${r.runs} timed runs per query and way (after one warm-up), interleaved; medians. One warm cluster per mode (2 vCPUs, 4 GiB on localcloud, i.e. this machine), the in-process baseline in the bench's own process against the same localcloud S3. Load average ${r.load[0].toFixed(1)} at the start, ${r.load[1].toFixed(1)} at the end.`,
    '',
    '| query | rows | in process ms | direct ms | direct overhead ms | direct ratio | proxy ms | proxy overhead ms | proxy ratio |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.queries.map((q) => {
      const base = q.medianMs['in-process'];
      const cells = (['direct', 'proxy'] as const).flatMap((m) => [
        fmt(q.medianMs[m]),
        fmt(q.medianMs[m] - base),
        `${(base / q.medianMs[m]).toFixed(2)}×`,
      ]);
      return `| ${q.name} | ${q.rows} | ${fmt(base)} | ${cells.join(' | ')} |`;
    }),
    '',
    '- overhead: median through ferry − median in process; ratio: in-process time / ferry time (1.00× = as fast as in process).',
    '- targets: added latency ≤ 10 ms (direct) and ≤ 25 ms (proxy) for the small result; ≥ 0.8× for the large ones.',
  ].join('\n');
}
