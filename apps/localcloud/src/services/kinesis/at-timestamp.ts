/**
 * GetShardIterator AT_TIMESTAMP, answered by the gateway: kinesalite never answers one when
 * no record of the shard arrived at or after the timestamp (the caller waits until its
 * socket gives up), while Kinesis then points the iterator at the shard's tip. The gateway
 * finds the position itself — the first record at or after the timestamp, else just after
 * the shard's last record (or its start when it has none) — and asks kinesalite for an
 * iterator by sequence number, which always answers. A record put meanwhile arrives after
 * the timestamp (which may not be in the future) and after the records scanned, so it is
 * read from that position either way.
 */

export interface StoreAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** One awsJson call to the stream store. */
export type StoreCall = (name: string, body: Record<string, unknown>) => Promise<StoreAnswer>;

/** The position fields replacing `ShardIteratorType: AT_TIMESTAMP`, or the store's error. */
export async function positionAtTimestamp(
  send: StoreCall,
  body: Record<string, unknown>,
): Promise<{ fields: Record<string, unknown> } | { error: StoreAnswer }> {
  const timestamp = body['Timestamp'];
  // Anything unusual (no timestamp, one in the future) goes to kinesalite, which refuses it.
  if (typeof timestamp !== 'number' || timestamp * 1000 > Date.now()) return { fields: {} };
  const shard = { StreamName: body['StreamName'], ShardId: body['ShardId'] };
  const start = await send('GetShardIterator', { ...shard, ShardIteratorType: 'TRIM_HORIZON' });
  if (start.status >= 300) return { error: start };
  let iterator = start.body['ShardIterator'];
  let last: string | undefined;
  while (typeof iterator === 'string') {
    const page = await send('GetRecords', { ShardIterator: iterator, Limit: 10_000 });
    if (page.status >= 300) return { error: page };
    const records = Array.isArray(page.body['Records']) ? page.body['Records'] : [];
    for (const r of records as {
      SequenceNumber?: unknown;
      ApproximateArrivalTimestamp?: unknown;
    }[]) {
      if (typeof r.SequenceNumber !== 'string') continue;
      if (
        typeof r.ApproximateArrivalTimestamp === 'number' &&
        r.ApproximateArrivalTimestamp >= timestamp
      )
        return {
          fields: {
            ShardIteratorType: 'AT_SEQUENCE_NUMBER',
            StartingSequenceNumber: r.SequenceNumber,
          },
        };
      last = r.SequenceNumber;
    }
    if (records.length === 0) break;
    iterator = page.body['NextShardIterator'];
  }
  return {
    fields:
      last === undefined
        ? { ShardIteratorType: 'TRIM_HORIZON' }
        : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: last },
  };
}
