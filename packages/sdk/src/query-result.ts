/**
 * A finished query's result: the head (first rows, shipped inline), row count, bytes,
 * schema and location; the whole result read on demand from short-lived presigned URLs the
 * worker signs with its role, so the client needs no AWS credentials.
 */
import pl from 'nodejs-polars';
import { FerryError } from './errors.ts';
import type { QueryProfile, QueryStatus } from './query-types.ts';
import type { QueryTransport } from './transport.ts';

/** A succeeded query's result. */
export class QueryResult {
  /** The query's id. */
  readonly id: string;
  /** The first rows (`headRows`, default 100). */
  readonly head: pl.DataFrame;
  /** The final status. */
  readonly status: QueryStatus;
  readonly #transport: QueryTransport;

  /** @internal */
  constructor(status: QueryStatus, head: pl.DataFrame, transport: QueryTransport) {
    this.id = status.id;
    this.status = status;
    this.head = head;
    this.#transport = transport;
  }

  /** Total rows of the result. */
  get rowCount(): number {
    return this.status.rowCount ?? this.head.height;
  }

  /** Where the full result is: `s3://…` in the results bucket, or the sink's target. */
  get location(): string | null {
    return this.status.location;
  }

  /** Bytes of the result files. */
  get bytes(): number | null {
    return this.status.bytes;
  }

  /** The result's columns and their polars dtypes. */
  get schema(): QueryStatus['schema'] {
    return this.status.schema;
  }

  /**
   * The whole result as a DataFrame, downloaded through presigned URLs (waiting, if need
   * be, until the node has finished writing it) — or the head, when it holds every row.
   */
  async toDataFrame(): Promise<pl.DataFrame> {
    const rows = this.status.rowCount;
    if (rows !== null && this.head.height >= rows) return this.head.clone();
    const urls = await this.#transport.resultUrls(this.id);
    const frames: pl.DataFrame[] = [];
    for (const url of urls) {
      const res = await fetch(url);
      if (!res.ok) {
        throw new FerryError(
          'result_download_failed',
          `Reading the result of ${this.id} failed: ${res.status} ${res.statusText} (presigned URLs expire after a few minutes; call toDataFrame() again).`,
          { status: res.status, retryable: res.status >= 500 },
        );
      }
      frames.push(pl.readParquet(Buffer.from(await res.arrayBuffer())));
    }
    if (frames.length === 0) return this.head.clear();
    return frames.length === 1 ? frames[0]! : pl.concat(frames, { how: 'vertical' });
  }

  /** The whole result as a LazyDataFrame (downloaded first). */
  async lazy(): Promise<pl.LazyDataFrame> {
    return (await this.toDataFrame()).lazy();
  }

  /** Where the query's time went, and its cost. */
  profile(): Promise<QueryProfile> {
    return this.#transport.profile(this.id);
  }
}
