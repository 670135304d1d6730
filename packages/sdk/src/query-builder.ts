/**
 * `remote(lf, ctx)` and `sql(ctx, text)`: a query to run on the context's cluster. The
 * plan is serialized (polars JSON) inside ferry's envelope with this client's ferry and
 * polars versions; the cluster's versions are checked before anything is sent.
 */
import type pl from 'nodejs-polars';
import {
  checkEnvelopeVersions,
  checkLocation,
  checkPlanSafety,
  checkSqlSafety,
  sqlConnectionCalls,
  type PlanViolation,
} from '@ferry/core';
import { PlanRefusedError, VersionMismatchError } from './errors.ts';
import type { ComputeContext } from './compute-context.ts';
import { QueryHandle } from './query-handle.ts';
import type { QueryResult } from './query-result.ts';
import { connectionsOfPlan } from './scan-connection.ts';
import type { Envelope, QueryTransport } from './transport.ts';
import { FERRY_VERSION, polarsVersion } from './versions.ts';

/** Options of one query. */
export interface QueryOptions {
  /** Rows shipped inline as `result.head` (default 100). */
  headRows?: number;
  /** `auto` (default): streaming when the plan allows it. */
  engine?: 'auto' | 'streaming' | 'in-memory';
  /** The worker cancels the query after this many seconds. */
  timeoutSeconds?: number;
  /** Labels recorded with the query (filterable in `ferry query list`). */
  labels?: Record<string, string>;
  /**
   * Data connections the query reads through, besides those found by itself (the
   * connections of {@link scanConnection} frames and of SQL `connection('name', …)` calls):
   * a scan of `s3://` paths in a named connection's bucket reads with its session.
   */
  connections?: string[];
}

type Source = { kind: 'plan'; lf: pl.LazyDataFrame } | { kind: 'sql'; text: string };
type SinkFormat = 'parquet' | 'csv' | 'ipc' | 'ndjson';

const checked = new WeakMap<QueryTransport, Promise<void>>();

/**
 * @internal Refuses a cluster whose versions differ from the client's (this SDK's and the
 * installed nodejs-polars, unless given), naming both and the command that fixes it.
 */
export async function checkVersions(
  transport: QueryTransport,
  client: { ferryVersion: string; polarsVersion: string } = {
    ferryVersion: FERRY_VERSION,
    polarsVersion: polarsVersion(),
  },
): Promise<void> {
  const remote = await transport.versions();
  if (remote === undefined) return;
  const mismatch = checkEnvelopeVersions(client, remote);
  if (mismatch !== null) throw new VersionMismatchError(mismatch.message);
}

/** The same walk the worker does, so a refused plan is refused before it leaves. */
function checkSafety(envelope: Envelope): void {
  const violations: PlanViolation[] = [];
  if (typeof envelope.plan === 'string') violations.push(...checkPlanSafety(envelope.plan));
  if (typeof envelope.sql === 'string') violations.push(...checkSqlSafety(envelope.sql));
  const sink = envelope.sink as { uri: string } | undefined;
  if (sink !== undefined) {
    const v = checkLocation(sink.uri, '$.sink.uri');
    if (v !== null) violations.push(v);
  }
  const [first] = violations;
  if (first !== undefined) {
    throw new PlanRefusedError(
      first.code,
      `The query was not sent: ${violations.map((v) => `${v.message} (at ${v.path})`).join('; ')}.`,
    );
  }
}

/** A query on a compute context; run it with `execute`, `show`, `submit` or a sink. */
export class RemoteQuery {
  readonly #ctx: ComputeContext;
  readonly #source: Source;
  readonly #options: QueryOptions;

  /** @internal */
  constructor(ctx: ComputeContext, source: Source, options: QueryOptions = {}) {
    this.#ctx = ctx;
    this.#source = source;
    this.#options = options;
  }

  /** The same query with more options (labels, engine, timeout, head rows). */
  with(options: QueryOptions): RemoteQuery {
    return new RemoteQuery(this.#ctx, this.#source, {
      ...this.#options,
      ...options,
      labels: { ...this.#options.labels, ...options.labels },
    });
  }

  /** @internal The envelope as sent. */
  envelope(sink?: { format: SinkFormat; uri: string }, overrides: QueryOptions = {}): Envelope {
    const o = { ...this.#options, ...overrides };
    const plan =
      this.#source.kind === 'plan' ? this.#source.lf.serialize('json').toString('utf8') : undefined;
    const connections = [
      ...new Set([
        ...(o.connections ?? []),
        ...(plan === undefined ? [] : connectionsOfPlan(this.#ctx, plan)),
        ...(this.#source.kind === 'sql'
          ? sqlConnectionCalls(this.#source.text).calls.map((c) => c.name)
          : []),
      ]),
    ].sort();
    const envelope: Envelope = {
      ferryVersion: FERRY_VERSION,
      polarsVersion: polarsVersion(),
      format: 'polars-json',
      kind: this.#source.kind,
      ...(plan !== undefined ? { plan } : { sql: (this.#source as { text: string }).text }),
      ...(connections.length > 0 ? { connections } : {}),
      ...(sink ? { sink } : {}),
      ...(o.engine ? { engine: o.engine } : {}),
      ...(o.headRows !== undefined ? { headRows: o.headRows } : {}),
      ...(o.timeoutSeconds !== undefined ? { timeoutSeconds: o.timeoutSeconds } : {}),
      ...(o.labels && Object.keys(o.labels).length > 0 ? { labels: o.labels } : {}),
    };
    return envelope;
  }

  #run(sink?: { format: SinkFormat; uri: string }, overrides?: QueryOptions): QueryHandle {
    const transport = this.#ctx.transport();
    const submitted = (async () => {
      const envelope = this.envelope(sink, overrides);
      checkSafety(envelope);
      let check = checked.get(transport);
      if (check === undefined) {
        check = checkVersions(transport);
        checked.set(transport, check);
        check.catch(() => checked.delete(transport));
      }
      await check;
      return transport.submit(envelope);
    })();
    return new QueryHandle(transport, submitted);
  }

  /** Submits the query and returns at once; follow it with the handle. */
  submit(): QueryHandle {
    return this.#run();
  }

  /** Runs the query and waits for its result. */
  execute(): Promise<QueryResult> {
    return this.#run().result();
  }

  /** Runs the query and returns its first `rows` rows. */
  async show(rows = 10): Promise<pl.DataFrame> {
    const result = await this.#run(undefined, { headRows: rows }).result();
    return result.head.head(rows);
  }

  /** Runs the query writing the result to `uri` (s3://) as Parquet. */
  sinkParquet(uri: string): Promise<QueryResult> {
    return this.#run({ format: 'parquet', uri }).result();
  }

  /** Runs the query writing the result to `uri` (s3://) as CSV. */
  sinkCsv(uri: string): Promise<QueryResult> {
    return this.#run({ format: 'csv', uri }).result();
  }

  /** Runs the query writing the result to `uri` (s3://) as Arrow IPC. */
  sinkIpc(uri: string): Promise<QueryResult> {
    return this.#run({ format: 'ipc', uri }).result();
  }

  /** Runs the query writing the result to `uri` (s3://) as newline-delimited JSON. */
  sinkNdJson(uri: string): Promise<QueryResult> {
    return this.#run({ format: 'ndjson', uri }).result();
  }
}

/** A nodejs-polars plan to run on the context's cluster. */
export function remote(
  lf: pl.LazyDataFrame,
  ctx: ComputeContext,
  options?: QueryOptions,
): RemoteQuery {
  return new RemoteQuery(ctx, { kind: 'plan', lf }, options);
}

/**
 * A SQL query (polars SQL, e.g. `read_parquet('s3://…')`, or `connection('sales',
 * 'events/*.parquet')` to read through a data connection) to run on the context's cluster.
 */
export function sql(ctx: ComputeContext, text: string, options?: QueryOptions): RemoteQuery {
  return new RemoteQuery(ctx, { kind: 'sql', text }, options);
}
