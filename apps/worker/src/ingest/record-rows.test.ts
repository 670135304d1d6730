import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import {
  RecordParseError,
  recordsFrame,
  recordsParquet,
  splitCsvLine,
  type ShardRecord,
} from './record-rows.ts';

const rec = (seq: number, data: string): ShardRecord => ({
  shardId: 'shardId-000000000001',
  sequenceNumber: `4959${String(seq).padStart(20, '0')}`,
  partitionKey: `k${seq}`,
  arrivalMs: Date.UTC(2026, 0, 2, 3, 4, 5, seq),
  data: Buffer.from(data),
});

describe('records into rows', () => {
  it('JSON objects: keys become columns, numbers Float64, nested values their JSON, meta columns first', () => {
    const df = recordsFrame(
      [rec(1, '{"n":1,"user":"a","tags":["x"]}'), rec(2, '{"n":2.5,"ok":true}')],
      { type: 'json' },
    );
    expect(df.columns).toEqual([
      '_shard_id',
      '_sequence_number',
      '_partition_key',
      '_arrival_time',
      'n',
      'user',
      'tags',
      'ok',
    ]);
    expect(String(df.getColumn('n').dtype)).toBe(String(pl.Float64));
    expect(df.getColumn('n').toArray()).toEqual([1, 2.5]);
    expect(df.getColumn('tags').toArray()).toEqual(['["x"]', null]);
    expect(df.getColumn('ok').toArray()).toEqual([null, true]);
    expect(df.getColumn('_sequence_number').toArray()).toEqual([
      rec(1, '').sequenceNumber,
      rec(2, '').sequenceNumber,
    ]);
    expect((df.getColumn('_arrival_time').toArray()[0] as unknown as Date).getTime()).toBe(
      rec(1, '').arrivalMs,
    );
  });

  it('CSV lines: the ingestion’s columns as strings, quotes honoured', () => {
    const df = recordsFrame([rec(1, 'a,"b,c",3\n'), rec(2, 'd,"say ""hi""",')], {
      type: 'csv',
      columns: ['x', 'y', 'z'],
    });
    expect(df.getColumn('y').toArray()).toEqual(['b,c', 'say "hi"']);
    expect(df.getColumn('z').toArray()).toEqual(['3', '']);
    expect(splitCsvLine('"open')).toBeUndefined();
  });

  it('a record that does not parse names its shard and sequence number', () => {
    expect(() => recordsFrame([rec(7, 'not json')], { type: 'json' })).toThrow(RecordParseError);
    expect(() => recordsFrame([rec(7, '[1]')], { type: 'json' })).toThrow(
      /record 4959.*7 of shardId-000000000001: not a JSON object/,
    );
    expect(() => recordsFrame([rec(8, 'a,b')], { type: 'csv', columns: ['x'] })).toThrow(
      /2 fields where the ingestion has 1 columns/,
    );
  });

  it('the Parquet bytes read back as the same rows', () => {
    const bytes = recordsParquet([rec(1, '{"n":1}'), rec(2, '{"n":2}')], { type: 'json' });
    const back = pl.readParquet(bytes);
    expect(back.height).toBe(2);
    expect(back.getColumn('n').toArray()).toEqual([1, 2]);
  });
});
