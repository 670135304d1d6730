/**
 * An executor: a child process of the worker with nodejs-polars loaded, running one query
 * at a time. It exists so a query can be stopped at once (polars cannot be cancelled
 * in-process; SIGKILL of the child stops it in ~140 ms) and so a query that exhausts
 * memory takes down only its executor. Started by the pool, it says `ready` once polars
 * is loaded, then runs each `run` job and answers `done` or `failed`.
 */
import {
  checkPlanSafety,
  checkSqlSafety,
  connectionLocation,
  replaceSqlConnectionCalls,
  sqlConnectionCalls,
  type PlanViolation,
} from '@ferry/core';
import pl from 'nodejs-polars';
import { injectCloudOptions, polarsCloudOptions, serializedCloudOptions } from './cloud-options.ts';
import {
  connectionS3Access,
  injectScanCloudOptions,
  MixedScanError,
  type ConnectionAccess,
} from './connection-scans.ts';
import type {
  ExecFailure,
  ExecJob,
  ExecPhases,
  ExecSuccess,
  FromExecutor,
  ToExecutor,
} from './executor-protocol.ts';
import { installedPolarsVersion } from './polars-version.ts';

const polarsVersion = installedPolarsVersion();

function send(message: FromExecutor): void {
  process.send?.(message);
}

class JobError extends Error {
  readonly code: string;
  readonly details: { path: string; message: string }[] | undefined;
  constructor(code: string, message: string, details?: { path: string; message: string }[]) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

function refuse(violations: readonly PlanViolation[]): never {
  throw new JobError(
    violations[0]?.code ?? 'plan_refused',
    violations.map((v) => v.message).join('; '),
    violations.map((v) => ({ path: v.path, message: v.message })),
  );
}

const dtypeName = (d: unknown): string => String(d).replace(/^DataType\((.*)\)$/s, '$1');

function time<T>(phases: ExecPhases, key: keyof ExecPhases, fn: () => T): T {
  const start = performance.now();
  try {
    return fn();
  } finally {
    phases[key] = (phases[key] ?? 0) + (performance.now() - start);
  }
}

async function timeAsync<T>(
  phases: ExecPhases,
  key: keyof ExecPhases,
  fn: () => Promise<T>,
): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    phases[key] = (phases[key] ?? 0) + (performance.now() - start);
  }
}

/** The polars options a connection's scans read with. */
const connectionOptions = (job: ExecJob, c: ConnectionAccess): Record<string, string> =>
  polarsCloudOptions(c.credentials, connectionS3Access(c, job.access));

/**
 * A SQL text planned: each `connection('name', 'path')` becomes a table registered for the
 * planning, a Parquet scan under the connection's bucket and prefix with its session.
 */
function planSql(job: ExecJob, phases: ExecPhases): string {
  const sql = job.sql ?? '';
  time(phases, 'planCheckMs', () => {
    const v = checkSqlSafety(sql);
    if (v.length > 0) refuse(v);
  });
  const tables: Record<string, pl.LazyDataFrame> = {};
  const { calls } = sqlConnectionCalls(sql);
  const text = replaceSqlConnectionCalls(sql, calls, (call, i) => {
    const connection = job.connections.find((c) => c.name === call.name);
    if (connection === undefined)
      throw new JobError(
        'connection_not_named',
        `connection('${call.name}', …): the query does not name the connection "${call.name}".`,
      );
    const table = `__ferry_connection_${i}`;
    tables[table] = pl.scanParquet(connectionLocation(connection, call.path), {
      cloudOptions: connectionOptions(job, connection),
    });
    return table;
  });
  // SQL planning contacts read_* sources with the environment's credentials.
  const planned = time(phases, 'executionMs', () =>
    (calls.length > 0 ? pl.SQLContext(tables as never) : pl.SQLContext()).execute(text),
  );
  const inner = (planned as unknown as { _ldf: unknown })._ldf;
  if (inner instanceof Error) throw new JobError('polars_error', inner.message);
  return planned.serialize('json').toString();
}

/** The plan with its credentials in every cloud_options, ready to run. */
function preparePlan(job: ExecJob, phases: ExecPhases): pl.LazyDataFrame {
  const planText = job.kind === 'sql' ? planSql(job, phases) : (job.plan ?? '');
  const plan = time(phases, 'planCheckMs', () => {
    const parsed = JSON.parse(planText) as unknown;
    // A planned SQL text carries only the options registered above: they are set again below.
    if (job.kind === 'sql') injectCloudOptions(parsed, null);
    const v = checkPlanSafety(parsed, { maxInMemoryBytes: job.maxInMemoryBytes });
    if (v.length > 0) refuse(v);
    return parsed;
  });
  return time(phases, 'credentialInjectionMs', () => {
    try {
      injectScanCloudOptions(
        plan,
        job.connections,
        serializedCloudOptions(job.credentials, job.access),
        (c) => serializedCloudOptions(c.credentials, connectionS3Access(c, job.access)),
      );
    } catch (e) {
      if (e instanceof MixedScanError) throw new JobError(e.code, e.message);
      throw e;
    }
    return pl.LazyDataFrame.deserialize(Buffer.from(JSON.stringify(plan), 'utf8'), 'json');
  });
}

function describeOptimized(lf: pl.LazyDataFrame): string | null {
  try {
    return lf.describeOptimizedPlan();
  } catch {
    return null;
  }
}

/** Runs a lazy frame with the chosen engine; `auto` means streaming. */
async function collect(
  lf: pl.LazyDataFrame,
  engine: ExecJob['engine'],
): Promise<{ df: pl.DataFrame; engine: 'streaming' | 'in-memory' }> {
  if (engine === 'in-memory') return { df: await lf.collect(), engine: 'in-memory' };
  return { df: lf.collectSync({ engine: 'streaming' } as never), engine: 'streaming' };
}

function sinkOf(lf: pl.LazyDataFrame, job: ExecJob, uri: string, format: string): pl.LazyDataFrame {
  const cloudOptions = polarsCloudOptions(job.credentials, job.access);
  switch (format) {
    case 'csv':
      return lf.sinkCSV(uri, { cloudOptions });
    case 'ipc':
      return lf.sinkIpc(uri, { cloudOptions, compression: 'zstd' } as never);
    case 'ndjson':
      return lf.sinkNdJson(uri, { cloudOptions });
    default:
      return lf.sinkParquet(uri, { cloudOptions, compression: 'zstd' } as never);
  }
}

/**
 * Runs a job. A result to write to the results bucket is computed, its head sent with
 * `onResult`, and only then written: the client has its answer while the write goes on.
 */
async function run(job: ExecJob, onResult: (r: ExecSuccess) => void): Promise<void> {
  const phases: ExecPhases = {};
  let lf: pl.LazyDataFrame | undefined;
  try {
    lf = preparePlan(job, phases);
    const optimizedPlan = describeOptimized(lf);
    if (job.sink !== undefined) {
      const sink = job.sink;
      const sinkLf = sinkOf(lf, job, sink.uri, sink.format);
      const used = await timeAsync(phases, 'executionMs', () => collect(sinkLf, job.engine));
      onResult({
        rowCount: null,
        schema: null,
        head: null,
        headRows: 0,
        optimizedPlan,
        engine: used.engine,
        phases,
        location: sink.uri,
        writing: false,
      });
      return;
    }
    const ran = lf;
    const { df, engine } = await timeAsync(phases, 'executionMs', () => collect(ran, job.engine));
    const head = df.head(job.headRows);
    const headBytes = head.writeIPCStream({ compression: 'zstd' });
    onResult({
      rowCount: df.height,
      schema: Object.entries(df.schema as Record<string, unknown>).map(([name, d]) => ({
        name,
        dtype: dtypeName(d),
      })),
      head: new Uint8Array(headBytes),
      headRows: head.height,
      optimizedPlan,
      engine,
      phases: { ...phases },
      location: job.resultUri,
      writing: true,
    });
    const started = performance.now();
    try {
      await sinkOf(df.lazy(), job, job.resultUri, 'parquet').collect();
    } catch (e) {
      send({
        type: 'write-failed',
        queryId: job.queryId,
        message: e instanceof Error ? e.message : String(e),
        resultWriteMs: performance.now() - started,
      });
      return;
    }
    send({ type: 'written', queryId: job.queryId, resultWriteMs: performance.now() - started });
  } catch (e) {
    const failure: ExecFailure =
      e instanceof JobError
        ? {
            code: e.code,
            message: e.message,
            ...(e.details === undefined ? {} : { details: e.details }),
            optimizedPlan: null,
            phases,
          }
        : {
            code: 'polars_error',
            // polars' own message, verbatim.
            message: e instanceof Error ? e.message : String(e),
            optimizedPlan: lf === undefined ? null : describeOptimized(lf),
            phases,
          };
    throw Object.assign(new Error(failure.message), { failure });
  }
}

process.on('message', (message: ToExecutor) => {
  if (message.type !== 'run') return;
  const { job } = message;
  run(job, (result) => send({ type: 'done', queryId: job.queryId, result })).then(
    () => undefined,
    (e: unknown) => {
      const failure = (e as { failure?: ExecFailure }).failure ?? {
        code: 'internal',
        message: e instanceof Error ? e.message : String(e),
        optimizedPlan: null,
        phases: {},
      };
      send({ type: 'failed', queryId: job.queryId, error: failure });
    },
  );
});
// The worker going away ends its executors.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', polarsVersion });
