/**
 * `ferry ingest start|status|stop`: land a Kinesis connection's stream as Parquet files on a
 * cluster (one-shot until caught up, or continuous), follow an ingestion's per-shard
 * checkpoints, stop it. `status` without an id lists the workspace's ingestions.
 */
import type { Command } from 'commander';
import type { Ingestion } from '@ferry/api';
import type { CliCommand, CliContext } from '../cli-command.ts';
import { usageError } from '../cli-command.ts';
import { apiAction, printJson, withApiOptions, type ApiFlags } from '../api-connection.ts';
import { allPages } from '../paging.ts';
import { EXIT } from '../exit-codes.ts';
import { table } from './compute-format.ts';

interface StartFlags extends ApiFlags {
  cluster?: string;
  from?: string;
  format?: string;
  csvColumns?: string;
  flushRecords?: string;
  flushSeconds?: string;
  continuous?: boolean;
  into?: string;
  wait?: boolean;
}

/** `--from trim-horizon|latest|<ISO timestamp>` → the API's starting position. */
export function startingPositionOf(from: string | undefined) {
  if (from === undefined || from === 'trim-horizon') return { type: 'TRIM_HORIZON' as const };
  if (from === 'latest') return { type: 'LATEST' as const };
  if (Number.isNaN(Date.parse(from)) || !/^\d{4}-\d{2}-\d{2}T/.test(from))
    throw usageError(
      `--from: expected trim-horizon, latest or an ISO timestamp (2026-01-31T12:00:00Z), got "${from}"`,
    );
  return { type: 'AT_TIMESTAMP' as const, timestamp: new Date(from).toISOString() };
}

/** `--format json|csv` with `--csv-columns a,b,c` → the API's format. */
export function formatOf(format: string | undefined, columns: string | undefined) {
  if (format === undefined || format === 'json') {
    if (columns !== undefined) throw usageError('--csv-columns goes with --format csv');
    return { type: 'json' as const };
  }
  if (format !== 'csv') throw usageError(`--format: expected json or csv, got "${format}"`);
  if (columns === undefined) throw usageError('--format csv needs --csv-columns a,b,c');
  return { type: 'csv' as const, columns: columns.split(',').map((c) => c.trim()) };
}

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw usageError(`${flag}: expected a positive integer, got "${value}"`);
  return n;
}

/** An ingestion in a few lines, with a row per shard. */
export function ingestionText(i: Ingestion): string {
  const head = [
    `ingestion ${i.id}: ${i.state}${i.stateReason !== null ? ` — ${i.stateReason}` : ''}`,
    `  stream:   ${i.stream} (connection "${i.connection}", ${i.mode})`,
    `  landed:   ${i.records} records in ${i.files} files under ${i.location}`,
    `  cluster:  ${i.clusterId}${i.nodeId !== null ? ` (node ${i.nodeId})` : ''}`,
    '',
  ].join('\n');
  if (i.shards.length === 0) return head;
  return (
    head +
    table(
      ['SHARD', 'PARENTS', 'RECORDS', 'FILES', 'CHECKPOINT', 'FINISHED'],
      i.shards.map((s) => [
        s.shardId,
        s.parentShardIds.join(',') || '-',
        String(s.records),
        String(s.files),
        s.lastSequenceNumber ?? '-',
        s.finished ? 'yes' : 'no',
      ]),
    )
  );
}

const FINISHED = new Set(['Completed', 'Stopped', 'Failed']);

async function waitUntilFinished(
  call: (waitSeconds: number) => Promise<Ingestion>,
): Promise<Ingestion> {
  for (;;) {
    const i = await call(30);
    if (FINISHED.has(i.state)) return i;
  }
}

function register(ingest: Command, context: CliContext) {
  withApiOptions(
    ingest
      .command('start')
      .argument('<connection>', 'a Kinesis connection of the workspace')
      .requiredOption('--cluster <id>', 'the cluster whose worker reads the stream')
      .option('--from <position>', 'trim-horizon (default), latest, or an ISO timestamp')
      .option('--format <format>', 'json (default: one object per record) or csv')
      .option('--csv-columns <names>', 'CSV: the columns of each record, comma-separated')
      .option('--flush-records <n>', 'write a file every N records of a shard (default 10000)')
      .option('--flush-seconds <s>', '… or S seconds after its first record (default 60)')
      .option('--continuous', 'keep landing until stopped (default: one-shot, until caught up)')
      .option(
        '--into <connection>',
        "an S3 connection with a write prefix to land into (default: the workspace's results bucket)",
      )
      .option('--wait', 'one-shot: wait until it finishes')
      .description(
        "Land a Kinesis connection's stream as Parquet files in the workspace's results bucket, or under an S3 connection's write prefix.",
      ),
    { workspace: true },
  ).action(
    apiAction<StartFlags, [string]>(
      context,
      { workspace: true },
      async (api, flags, connection) => {
        if (flags.cluster === undefined) throw usageError('missing --cluster <id>');
        if (flags.wait === true && flags.continuous === true)
          throw usageError('--wait goes with one-shot ingestions, not --continuous');
        const flushRecords = positiveInt('--flush-records', flags.flushRecords);
        const flushSeconds = positiveInt('--flush-seconds', flags.flushSeconds);
        let started = await api.client.call('ingestions.start', {
          params: { workspaceId: api.workspaceId },
          body: {
            clusterId: flags.cluster,
            connection,
            startingPosition: startingPositionOf(flags.from),
            format: formatOf(flags.format, flags.csvColumns),
            mode: flags.continuous === true ? 'continuous' : 'one-shot',
            ...(flushRecords !== undefined ? { flushRecords } : {}),
            ...(flushSeconds !== undefined ? { flushSeconds } : {}),
            ...(flags.into !== undefined ? { destination: flags.into } : {}),
          },
        });
        if (flags.wait === true) {
          started = await waitUntilFinished((waitSeconds) =>
            api.client.call('ingestions.get', {
              params: { workspaceId: api.workspaceId, ingestionId: started.id },
              query: { waitSeconds },
            }),
          );
          if (started.state !== 'Completed') context.exitCode = EXIT.incomplete;
        }
        if (flags.json === true) return printJson(context, started);
        context.io.stdout(ingestionText(started));
      },
    ),
  );

  withApiOptions(
    ingest
      .command('status')
      .argument('[id]', 'an ingestion (else: list the workspace’s ingestions)')
      .option('--wait', 'wait until it finishes')
      .description("Show an ingestion's per-shard checkpoints, or list the ingestions."),
    { workspace: true },
  ).action(
    apiAction<ApiFlags & { wait?: boolean }, [string | undefined]>(
      context,
      { workspace: true },
      async (api, flags, id) => {
        if (id === undefined) {
          const items = await allPages((query) =>
            api.client.call('ingestions.list', { params: { workspaceId: api.workspaceId }, query }),
          );
          if (flags.json === true) return printJson(context, items);
          if (items.length === 0) return context.io.stdout('no ingestions\n');
          context.io.stdout(
            table(
              ['ID', 'CONNECTION', 'MODE', 'STATE', 'RECORDS', 'FILES', 'LOCATION'],
              items.map((i) => [
                i.id,
                i.connection,
                i.mode,
                i.state,
                String(i.records),
                String(i.files),
                i.location,
              ]),
            ),
          );
          return;
        }
        const get = (waitSeconds: number) =>
          api.client.call('ingestions.get', {
            params: { workspaceId: api.workspaceId, ingestionId: id },
            query: { waitSeconds },
          });
        const i = flags.wait === true ? await waitUntilFinished(get) : await get(0);
        if (flags.json === true) return printJson(context, i);
        context.io.stdout(ingestionText(i));
      },
    ),
  );

  withApiOptions(
    ingest
      .command('stop')
      .argument('<id>', 'the ingestion')
      .description('Stop an ingestion (landed files stay; a file being written is finished).'),
    { workspace: true },
  ).action(
    apiAction<ApiFlags, [string]>(context, { workspace: true }, async (api, flags, id) => {
      const stopped = await api.client.call('ingestions.stop', {
        params: { workspaceId: api.workspaceId, ingestionId: id },
      });
      if (flags.json === true) return printJson(context, stopped);
      context.io.stdout(ingestionText(stopped));
    }),
  );
}

export const ingestCommand: CliCommand = {
  name: 'ingest',
  register(program, context) {
    const ingest = program
      .command('ingest')
      .description(
        'Kinesis landing: read a Kinesis connection’s stream on a cluster into Parquet files.',
      );
    register(ingest, context);
  },
};
