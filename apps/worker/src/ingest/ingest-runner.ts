/**
 * Runs one ingestion on this node. Shards are read parents first: a shard starts once every
 * parent it has in the stream is finished (closed and read to its end), so a key's records
 * land in order across a reshard. Each shard resumes from its checkpoint; an announced but
 * uncommitted file is rewritten first with exactly its announced records, under its key.
 * A file is written every `flushRecords` records or `flushSeconds` after its first record:
 * announce (intent) → write the Parquet file → commit; the checkpoint moves only on commit.
 * One-shot ends when every shard is caught up or finished; continuous runs until stopped.
 */
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { IngestionIntent, NodeIngestion } from '@ferry/api';
import { ClaimLostError, persist, type IngestLink } from './ingest-link.ts';
import { recordsParquet, type ShardRecord } from './record-rows.ts';

export interface IngestRunnerOptions {
  readonly link: IngestLink;
  /** The latest claim answer for this ingestion (credentials are refreshed by each claim). */
  readonly current: () => NodeIngestion;
  /** Where files are written: the Worker role's client, or the destination connection's. */
  readonly s3: S3Client;
  /** A custom AWS endpoint (`AWS_ENDPOINT_URL`); absent on AWS. */
  readonly endpoint?: string;
  readonly signal: AbortSignal;
  readonly log: (message: string) => void;
  /** Pause between empty reads of a caught-up shard (Kinesis allows 5 reads/s per shard). */
  readonly idleReadMs?: number;
}

const seqLess = (a: string, b: string) => BigInt(a) < BigInt(b);
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** The deterministic key of a shard's file: a rewrite after a crash overwrites it. */
export const fileKey = (prefix: string, shardId: string, firstSequenceNumber: string): string =>
  `${prefix}shard=${shardId}/${firstSequenceNumber}.parquet`;

/** Runs the ingestion until it ends (one-shot), the signal aborts, or the claim is lost. */
export async function runIngestion(options: IngestRunnerOptions): Promise<'completed' | 'stopped'> {
  const first = options.current();
  // A shard that fails ends the run, and with it the other shards' reads (a continuous run's
  // shards never end by themselves): the next claim starts it again from the checkpoints.
  const failed = new AbortController();
  const signal = AbortSignal.any([options.signal, failed.signal]);
  options = { ...options, signal };
  const kinesis = new KinesisClient({
    region: first.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    // HTTP/1.1, like the control plane's Kinesis client; a call left unanswered fails (and
    // is retried by the SDK) instead of holding its shard forever.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 10_000, requestTimeout: 60_000 }),
    credentials: () => {
      const c = options.current().kinesisCredentials;
      return Promise.resolve({
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
        ...(c.expiration === undefined ? {} : { expiration: new Date(c.expiration) }),
      });
    },
  });
  const finished = new Set(first.shards.filter((s) => s.finished).map((s) => s.shardId));
  const running = new Map<string, Promise<'finished' | 'caught-up'>>();
  /** One-shot: shards read up to their latest record (not read again). */
  const caughtUp = new Set<string>();
  try {
    for (;;) {
      if (signal.aborted) return 'stopped';
      const shards = await listShards(kinesis, first.streamArn, signal);
      const known = new Set(shards.map((s) => s.ShardId));
      const eligible = shards.filter((s) => {
        const id = s.ShardId!;
        if (finished.has(id) || running.has(id) || caughtUp.has(id)) return false;
        const parents = [s.ParentShardId, s.AdjacentParentShardId].filter(
          (p): p is string => p !== undefined && known.has(p),
        );
        return parents.every((p) => finished.has(p));
      });
      for (const shard of eligible) {
        const id = shard.ShardId!;
        running.set(
          id,
          landShard(options, kinesis, shard).then((how) => {
            if (how === 'finished') finished.add(id);
            else caughtUp.add(id);
            return how;
          }),
        );
      }
      if (first.mode === 'one-shot') {
        await Promise.all(running.values());
        running.clear();
        if (signal.aborted) return 'stopped';
        // A shard that finished may have children to read now; otherwise everything is read.
        if (eligible.length === 0) return 'completed';
      } else {
        // Continuous: a shard's task ends only when the shard is finished (or on a stop).
        await Promise.race([sleep(5000, signal), ...running.values()]);
        for (const [id] of running) if (finished.has(id) || caughtUp.has(id)) running.delete(id);
      }
    }
  } finally {
    failed.abort();
    await Promise.allSettled(running.values());
    kinesis.destroy();
  }
}

async function listShards(
  kinesis: KinesisClient,
  streamArn: string,
  signal: AbortSignal,
): Promise<Shard[]> {
  const out: Shard[] = [];
  let token: string | undefined;
  do {
    const page = await kinesis.send(
      new ListShardsCommand(token === undefined ? { StreamARN: streamArn } : { NextToken: token }),
      { abortSignal: signal },
    );
    out.push(...(page.Shards ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return out;
}

/** Reads one shard from its checkpoint to its end (or until caught up, one-shot). */
async function landShard(
  options: IngestRunnerOptions,
  kinesis: KinesisClient,
  shard: Shard,
): Promise<'finished' | 'caught-up'> {
  const ingestion = options.current();
  const { signal, link } = options;
  const shardId = shard.ShardId!;
  const parentShardIds = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
    (p): p is string => p !== undefined,
  );
  const checkpoint = ingestion.shards.find((s) => s.shardId === shardId);
  let pending: IngestionIntent | null = checkpoint?.pending ?? null;
  /** The last sequence number read (committed, or held in the batch). */
  let position: string | null = checkpoint?.lastSequenceNumber ?? null;
  const iteratorAt = async (): Promise<string | undefined> => {
    const at: {
      ShardIteratorType: ShardIteratorType;
      StartingSequenceNumber?: string;
      Timestamp?: Date;
    } =
      position !== null
        ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: position }
        : ingestion.startingPosition.type === 'AT_TIMESTAMP'
          ? {
              ShardIteratorType: 'AT_TIMESTAMP',
              Timestamp: new Date(ingestion.startingPosition.timestamp),
            }
          : { ShardIteratorType: 'TRIM_HORIZON' };
    const it = await kinesis.send(
      new GetShardIteratorCommand({ StreamARN: ingestion.streamArn, ShardId: shardId, ...at }),
      { abortSignal: signal },
    );
    return it.ShardIterator;
  };

  let batch: ShardRecord[] = [];
  let batchStartedAt = 0;
  const write = async (records: readonly ShardRecord[], intent: IngestionIntent) => {
    const body = recordsParquet(records, ingestion.format);
    await persist(
      link.options,
      `writing s3://${ingestion.bucket}/${intent.key}`,
      signal,
      async () => {
        await options.s3.send(
          new PutObjectCommand({ Bucket: ingestion.bucket, Key: intent.key, Body: body }),
          { abortSignal: signal },
        );
      },
    );
    await persist(link.options, `committing ${intent.key}`, signal, () =>
      link.step(ingestion.id, { kind: 'commit', shardId, intent }),
    );
  };
  const flush = async () => {
    if (batch.length === 0) return;
    const firstSeq = batch[0]!.sequenceNumber;
    const intent: IngestionIntent = {
      firstSequenceNumber: firstSeq,
      lastSequenceNumber: batch[batch.length - 1]!.sequenceNumber,
      records: batch.length,
      key: fileKey(ingestion.prefix, shardId, firstSeq),
    };
    await persist(link.options, `announcing ${intent.key}`, signal, () =>
      link.step(ingestion.id, { kind: 'intent', shardId, parentShardIds, intent }),
    );
    await write(batch, intent);
    batch = [];
  };

  let iterator = await iteratorAt();
  const idleMs = options.idleReadMs ?? 1000;
  let behindZeroEmpty = false;
  while (!signal.aborted) {
    if (iterator === undefined) {
      // The shard is closed and read to its end.
      if (pending !== null) throw new Error(`shard ${shardId} ended before its announced file`);
      await flush();
      await persist(link.options, `finishing ${shardId}`, signal, () =>
        link.step(ingestion.id, { kind: 'finished', shardId, parentShardIds }),
      );
      return 'finished';
    }
    let answer;
    try {
      answer = await kinesis.send(
        new GetRecordsCommand({
          ShardIterator: iterator,
          Limit: 10_000,
          StreamARN: ingestion.streamArn,
        }),
        { abortSignal: signal },
      );
    } catch (e) {
      if (signal.aborted) break;
      if (e instanceof ExpiredIteratorException) {
        iterator = await iteratorAt();
        continue;
      }
      const name = (e as { name?: string }).name ?? '';
      if (name === 'ProvisionedThroughputExceededException' || name === 'LimitExceededException') {
        await sleep(1000, signal);
        continue;
      }
      throw e;
    }
    const records = (answer.Records ?? []).map((r): ShardRecord => ({
      shardId,
      sequenceNumber: r.SequenceNumber!,
      partitionKey: r.PartitionKey ?? '',
      arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? 0,
      data: r.Data ?? new Uint8Array(),
    }));
    iterator = answer.NextShardIterator;
    for (const r of records) {
      if (position !== null && !seqLess(position, r.sequenceNumber)) continue;
      position = r.sequenceNumber;
      if (pending !== null) {
        // Rewriting the announced file: exactly its records, then on as usual.
        if (batch.length === 0 && r.sequenceNumber !== pending.firstSequenceNumber)
          throw new Error(
            `shard ${shardId}: the announced file starts at ${pending.firstSequenceNumber}, the shard at ${r.sequenceNumber}`,
          );
        batch.push(r);
        if (r.sequenceNumber === pending.lastSequenceNumber) {
          if (batch.length !== pending.records)
            throw new Error(`shard ${shardId}: the announced file no longer reads the same`);
          await write(batch, pending);
          batch = [];
          pending = null;
        }
        continue;
      }
      if (batch.length === 0) batchStartedAt = Date.now();
      batch.push(r);
      if (batch.length >= ingestion.flushRecords) await flush();
    }
    if (
      pending === null &&
      batch.length > 0 &&
      Date.now() - batchStartedAt >= ingestion.flushSeconds * 1000
    )
      await flush();
    const caughtUp = records.length === 0 && (answer.MillisBehindLatest ?? 0) === 0;
    if (caughtUp && iterator !== undefined) {
      if (ingestion.mode === 'one-shot' && pending === null) {
        // Twice in a row, so that a read right after a put is not taken for the end.
        if (behindZeroEmpty) {
          await flush();
          return 'caught-up';
        }
        behindZeroEmpty = true;
      }
      await sleep(idleMs, signal);
    } else behindZeroEmpty = false;
  }
  return 'caught-up';
}

export { ClaimLostError };
