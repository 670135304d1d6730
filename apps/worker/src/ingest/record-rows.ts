/**
 * Kinesis records into a Parquet file's bytes: each record's data parsed as one JSON object
 * (its keys become columns) or one CSV line (the ingestion's columns, as strings), beside
 * the record's shard, sequence number, partition key and arrival time. Column types are
 * fixed per kind of value (every JSON number is Float64, anything nested is its JSON text),
 * so the files of one stream share a schema whatever values a batch happens to hold.
 */
import type { IngestionFormat } from '@ferry/api';
import pl from 'nodejs-polars';

/** One record as read from a shard. */
export interface ShardRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** Milliseconds since the epoch. */
  readonly arrivalMs: number;
  readonly data: Uint8Array;
}

/** A record that does not parse: the ingestion stops there, nothing after it is landed. */
export class RecordParseError extends Error {
  constructor(record: ShardRecord, why: string) {
    super(`record ${record.sequenceNumber} of ${record.shardId}: ${why}`);
    this.name = 'RecordParseError';
  }
}

/** The columns ferry adds to every landed row. */
export const META_COLUMNS = [
  '_shard_id',
  '_sequence_number',
  '_partition_key',
  '_arrival_time',
] as const;

type Cell = string | number | boolean | null;

function jsonRow(record: ShardRecord): Record<string, Cell> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(record.data).toString('utf8')) as unknown;
  } catch (e) {
    throw new RecordParseError(record, `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RecordParseError(record, 'not a JSON object');
  const row: Record<string, Cell> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k.startsWith('_')) throw new RecordParseError(record, `key "${k}" starts with _`);
    row[k] =
      v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
        ? v
        : JSON.stringify(v);
  }
  return row;
}

/** Splits one CSV line (RFC 4180 quotes). */
export function splitCsvLine(line: string, delimiter = ','): string[] | undefined {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      out.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) return undefined;
  out.push(field);
  return out;
}

function csvRow(
  record: ShardRecord,
  format: Extract<IngestionFormat, { type: 'csv' }>,
): Record<string, Cell> {
  const line = Buffer.from(record.data)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  const fields = splitCsvLine(line, format.delimiter ?? ',');
  if (fields === undefined) throw new RecordParseError(record, 'an unterminated quote');
  if (fields.length !== format.columns.length)
    throw new RecordParseError(
      record,
      `${fields.length} fields where the ingestion has ${format.columns.length} columns`,
    );
  return Object.fromEntries(format.columns.map((c, i) => [c, fields[i] ?? null]));
}

type Kind = 'number' | 'boolean' | 'string';

const kindOf = (v: Cell): Kind | undefined =>
  v === null
    ? undefined
    : typeof v === 'number'
      ? 'number'
      : typeof v === 'boolean'
        ? 'boolean'
        : 'string';

/** The rows of a batch as a DataFrame (meta columns first). */
export function recordsFrame(
  records: readonly ShardRecord[],
  format: IngestionFormat,
): pl.DataFrame {
  const rows = records.map((r) => (format.type === 'json' ? jsonRow(r) : csvRow(r, format)));
  const names: string[] = format.type === 'csv' ? [...format.columns] : [];
  const seen = new Set(names);
  for (const row of rows)
    for (const k of Object.keys(row))
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
  const series: pl.Series[] = [
    pl.Series(
      '_shard_id',
      records.map((r) => r.shardId),
      pl.Utf8,
    ),
    pl.Series(
      '_sequence_number',
      records.map((r) => r.sequenceNumber),
      pl.Utf8,
    ),
    pl.Series(
      '_partition_key',
      records.map((r) => r.partitionKey),
      pl.Utf8,
    ),
    pl.Series(
      '_arrival_time',
      records.map((r) => new Date(r.arrivalMs)),
      pl.Datetime('ms'),
    ),
  ];
  for (const name of names) {
    const values = rows.map((row) => row[name] ?? null);
    const kinds = new Set(values.map(kindOf).filter((k) => k !== undefined));
    const only = kinds.size === 1 ? [...kinds][0] : kinds.size === 0 ? 'string' : 'string';
    if (only === 'number') series.push(pl.Series(name, values as (number | null)[], pl.Float64));
    else if (only === 'boolean')
      series.push(pl.Series(name, values as (boolean | null)[], pl.Bool));
    else
      series.push(
        pl.Series(
          name,
          values.map((v) => (v === null ? null : String(v))),
          pl.Utf8,
        ),
      );
  }
  return pl.DataFrame(series);
}

/** The Parquet bytes of a batch. */
export function recordsParquet(records: readonly ShardRecord[], format: IngestionFormat): Buffer {
  return recordsFrame(records, format).writeParquet({ compression: 'zstd' });
}
