/**
 * The worker's query engine: checks an envelope (versions, plan safety), queues it, runs
 * it on an executor from the pool with the Worker role's credentials, and keeps its record
 * (state, times, error, result, head, profile). A queue with the pool's size as the
 * concurrency limit; a per-query timeout; cancel kills the executor (a fresh one takes
 * its place); an executor that dies fails its query with the node's memory and what would
 * fit. Every change of a record goes to `onChange` (the control-plane reporter).
 */
import { HeadObjectCommand, S3Client, GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type {
  QueryError,
  QueryProfile,
  QueryState,
  ResultUrls,
  WorkerQueryStatus,
} from '@ferry/api';
import {
  checkEnvelopeVersions,
  checkPlanSafety,
  checkSqlSafety,
  DEFAULT_HEAD_ROWS,
  DEFAULT_MAX_IN_MEMORY_BYTES,
  DEFAULT_QUERY_TIMEOUT_SECONDS,
  newId,
  queryEnvelopeSchema,
  sqlConnectionCalls,
  type QueryEnvelope,
} from '@ferry/core';
import type { RoleCredentials, S3Access } from './cloud-options.ts';
import {
  connectionForPaths,
  connectionS3Access,
  type ConnectionAccess,
} from './connection-scans.ts';
import { explainForbidden } from './forbidden-reason.ts';
import type { ExecOutcome, ExecutorPool, Run } from './executor-pool.ts';

export type QueryMode = 'direct' | 'proxy';

/** A query's record on this worker. */
export interface QueryRecord {
  readonly queryId: string;
  readonly envelope: QueryEnvelope;
  readonly actorId: string;
  readonly mode: QueryMode;
  state: QueryState;
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: QueryError | null;
  optimizedPlan: string | null;
  rowCount: number | null;
  bytes: number | null;
  location: string | null;
  schema: { name: string; dtype: string }[] | null;
  head: Uint8Array | null;
  headRows: number | null;
  profile: QueryProfile;
  run?: Run;
  /** The sessions of its data connections while it is queued or running (never reported). */
  connections?: readonly ConnectionAccess[];
  /** Direct mode: the client's query token, to renew the sessions (never reported). */
  queryToken?: string;
  /**
   * Set once Succeeded while the full result is still being written to `location`; ends
   * with the write (its error, when it failed). Result URLs wait for it.
   */
  written?: Promise<string | null>;
  timer?: ReturnType<typeof setTimeout>;
  sampler?: ReturnType<typeof setInterval>;
}

/** A succeeded query whose full result could not be written (a 409 to the client). */
export class ResultUnavailableError extends Error {
  readonly code = 'result_write_failed';
}

/** Why an envelope is refused before it is queued (a 400 to the client). */
export class QueryRefusedError extends Error {
  readonly code: string;
  readonly details: { path: string; message: string }[];
  constructor(code: string, message: string, details: { path: string; message: string }[] = []) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export interface QueryEngineOptions {
  readonly pool: ExecutorPool;
  readonly ferryVersion: string;
  readonly polarsVersion: string;
  readonly credentials: () => Promise<RoleCredentials>;
  readonly access: S3Access;
  /** The results bucket (from registration); undefined until known. */
  readonly resultsBucket: () => string | undefined;
  readonly memoryBytes: number;
  readonly now: () => number;
  readonly onChange?: (record: QueryRecord) => void;
  /** The node's CPU and memory, sampled about once a second while queries run. */
  readonly sample?: () => Promise<{ cpuPercent: number; memoryUsedBytes: number }>;
  readonly maxInMemoryBytes?: number;
  /** Finished records are kept this long for status, head and result URLs (default 1 h). */
  readonly retainMs?: number;
  /** Presigned URLs live this long (default 15 min). */
  readonly urlTtlSeconds?: number;
  readonly log?: (message: string) => void;
  /**
   * The sessions of a query's data connections, from the control plane over the node's
   * channel (its error, e.g. a 403, fails the query).
   */
  readonly connectionSessions?: (input: {
    queryId: string;
    names: readonly string[];
    queryToken?: string;
  }) => Promise<ConnectionAccess[]>;
}

/** Sessions are renewed at a query's start when they end sooner than this. */
const SESSION_MARGIN_MS = 10 * 60_000;

/** Whether the sessions still have long enough before they end. */
export function sessionsFresh(connections: readonly ConnectionAccess[], now: number): boolean {
  return connections.every(
    (c) =>
      c.credentials.expiration === undefined || c.credentials.expiration - now > SESSION_MARGIN_MS,
  );
}

export interface QueryEngine {
  /** The checked envelope, or the refusal (QueryRefusedError) it would get. */
  check(envelope: unknown): QueryEnvelope | QueryRefusedError;
  /** Refuses a bad envelope (QueryRefusedError); otherwise queues it. */
  submit(input: {
    envelope: unknown;
    actorId: string;
    mode: QueryMode;
    queryId?: string;
    /** Sessions of its connections already fetched (direct mode, at submission). */
    connections?: readonly ConnectionAccess[];
    queryToken?: string;
  }): QueryRecord;
  get(queryId: string): QueryRecord | undefined;
  /** Resolves when the query finishes or after `ms`, with its record. */
  wait(queryId: string, ms: number): Promise<QueryRecord | undefined>;
  cancel(queryId: string): QueryRecord | undefined;
  /**
   * Presigned URLs of a succeeded query's result, once it is written (ResultUnavailableError
   * when the write failed); `whenWritten: false` signs them without waiting.
   */
  resultUrls(queryId: string, options?: { whenWritten?: boolean }): Promise<ResultUrls | undefined>;
  /** Queued and running queries. */
  active(): number;
  /** The ids of the queued and running queries. */
  activeIds(): string[];
  status(record: QueryRecord): WorkerQueryStatus;
  stop(): Promise<void>;
}

const FINISHED: readonly QueryState[] = ['Succeeded', 'Failed', 'Canceled'];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const gib = (bytes: number) => Math.round((bytes / 1024 ** 3) * 10) / 10;

function parseS3(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  return { bucket: m?.[1] ?? '', key: m?.[2] ?? '' };
}

export function createQueryEngine(options: QueryEngineOptions): QueryEngine {
  const records = new Map<string, QueryRecord>();
  const queue: QueryRecord[] = [];
  const waiters = new Map<string, Set<() => void>>();
  const maxInMemoryBytes = options.maxInMemoryBytes ?? DEFAULT_MAX_IN_MEMORY_BYTES;
  const retainMs = options.retainMs ?? 3_600_000;
  const log = options.log ?? (() => undefined);
  let running = 0;
  let stopped = false;

  const s3 = async () => {
    const c = await options.credentials();
    return new S3Client({
      region: options.access.region,
      ...(options.access.endpoint === undefined
        ? {}
        : { endpoint: options.access.endpoint, forcePathStyle: true }),
      credentials: {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
      },
    });
  };

  /** A client with the credentials a scan over `paths` read with (a connection's, or the role's). */
  const s3For = async (r: QueryRecord, paths: readonly string[]) => {
    let connection: ConnectionAccess | undefined;
    try {
      connection = connectionForPaths(r.connections ?? [], paths);
    } catch {
      connection = undefined; // a mixed scan never ran: the role's answer is as good
    }
    if (connection === undefined) return s3();
    const access = connectionS3Access(connection, options.access);
    const c = connection.credentials;
    return new S3Client({
      region: access.region,
      ...(access.endpoint === undefined ? {} : { endpoint: access.endpoint, forcePathStyle: true }),
      credentials: {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
      },
    });
  };

  const report = (r: QueryRecord) => {
    try {
      options.onChange?.(r);
    } catch (e) {
      log(`query ${r.queryId}: reporting failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const changed = (r: QueryRecord) => {
    report(r);
    if (FINISHED.includes(r.state)) {
      for (const w of waiters.get(r.queryId) ?? []) w();
      waiters.delete(r.queryId);
      // Keep finished records a while for status, head and URLs, then forget them.
      setTimeout(() => records.delete(r.queryId), retainMs).unref();
    }
  };

  const finish = (r: QueryRecord, state: QueryState, error: QueryError | null = null) => {
    if (FINISHED.includes(r.state)) return;
    clearTimeout(r.timer);
    clearInterval(r.sampler);
    // A finished query keeps no credentials.
    delete r.connections;
    delete r.queryToken;
    r.state = state;
    r.error = error;
    r.finishedAt = options.now();
    if (r.startedAt !== null) running -= 1;
    changed(r);
    pump();
  };

  const refusal = (envelope: unknown): QueryRefusedError | QueryEnvelope => {
    const parsed = queryEnvelopeSchema.safeParse(envelope);
    if (!parsed.success)
      return new QueryRefusedError(
        'validation_failed',
        'The query envelope is invalid.',
        parsed.error.issues.map((i) => ({
          path: ['envelope', ...i.path.map(String)].join('.'),
          message: i.message,
        })),
      );
    const e = parsed.data;
    const mismatch = checkEnvelopeVersions(e, options);
    if (mismatch !== null) return new QueryRefusedError(mismatch.code, mismatch.message);
    const violations =
      e.kind === 'plan'
        ? checkPlanSafety(e.plan ?? '', { maxInMemoryBytes })
        : checkSqlSafety(e.sql ?? '');
    if (violations.length > 0)
      return new QueryRefusedError(
        violations[0]?.code ?? 'plan_refused',
        violations.map((v) => v.message).join('; '),
        violations.map((v) => ({ path: v.path, message: v.message })),
      );
    if (e.kind === 'sql') {
      const unnamed = sqlConnectionCalls(e.sql ?? '').calls.filter(
        (c) => !(e.connections ?? []).includes(c.name),
      );
      if (unnamed.length > 0)
        return new QueryRefusedError(
          'connection_not_named',
          `The SQL reads connection('${unnamed[0]!.name}', …) but the envelope's connections do not name it.`,
          [{ path: 'envelope.connections', message: `must name "${unnamed[0]!.name}"` }],
        );
    }
    if (e.connections !== undefined && options.connectionSessions === undefined)
      return new QueryRefusedError(
        'connections_unsupported',
        'This worker cannot read through data connections.',
      );
    return e;
  };

  const startSampling = (r: QueryRecord) => {
    const sample = options.sample;
    if (sample === undefined) return;
    r.sampler = setInterval(() => {
      sample().then(
        (s) => {
          if (r.profile.samples.length < 3600)
            r.profile.samples.push({ at: new Date(options.now()).toISOString(), ...s });
        },
        () => undefined,
      );
    }, 1000);
    r.sampler.unref();
  };

  /** The size of the object at `location`, if the role may read it. */
  const sizeOf = async (location: string): Promise<number | null> => {
    try {
      const { bucket, key } = parseS3(location);
      const head = await (await s3()).send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.ContentLength ?? null;
    } catch {
      return null; // a sink the role may write but not read: the size stays unknown
    }
  };

  /** After the head went out: the write's end, its time and size, reported again. */
  const awaitWrite = (r: QueryRecord, run: Run): Promise<string | null> => {
    // The write shares the query's timeout.
    const left = r.startedAt! + (r.envelope.timeoutSeconds ?? DEFAULT_QUERY_TIMEOUT_SECONDS) * 1000;
    const timer = setTimeout(
      () => run.kill('the result write ran past the query timeout'),
      Math.max(0, left - options.now()),
    );
    return run.written.then(async (w) => {
      clearTimeout(timer);
      if (w.resultWriteMs !== undefined) r.profile.phases.resultWriteMs = w.resultWriteMs;
      let failure: string | null = null;
      if (w.ok) r.bytes = await sizeOf(r.location ?? '');
      else {
        failure = `The result could not be written to ${r.location ?? '?'}: ${w.message}`;
        r.error = { code: 'result_write_failed', message: failure };
      }
      report(r);
      return failure;
    });
  };

  const onOutcome = async (r: QueryRecord, outcome: ExecOutcome, run: Run) => {
    r.run = undefined;
    if (outcome.kind === 'done') {
      const x = outcome.result;
      Object.assign(r.profile.phases, x.phases);
      r.profile.engine = x.engine;
      r.optimizedPlan = x.optimizedPlan;
      r.rowCount = x.rowCount;
      r.schema = x.schema;
      r.head = x.head;
      r.headRows = x.headRows;
      r.location = x.location;
      // The head and row count answer the client now; the full result follows to `location`.
      if (x.writing) r.written = awaitWrite(r, run);
      else r.bytes = await sizeOf(x.location);
      finish(r, 'Succeeded');
    } else if (outcome.kind === 'failed') {
      Object.assign(r.profile.phases, outcome.error.phases);
      r.optimizedPlan = outcome.error.optimizedPlan;
      finish(r, 'Failed', {
        code: outcome.error.code,
        // A refusal behind polars' bare "403 Forbidden" gets the reason AWS gives.
        message: await explainForbidden(outcome.error.message, (paths) => s3For(r, paths)).catch(
          () => outcome.error.message,
        ),
        ...(outcome.error.details === undefined ? {} : { details: outcome.error.details }),
      });
    } else if (outcome.kind === 'killed') {
      if (outcome.reason === 'canceled') finish(r, 'Canceled');
      else if (outcome.reason === 'timeout')
        finish(r, 'Failed', {
          code: 'timeout',
          message: `The query ran longer than its timeout of ${r.envelope.timeoutSeconds ?? DEFAULT_QUERY_TIMEOUT_SECONDS} s and was stopped.`,
        });
      else finish(r, 'Failed', { code: 'worker_stopped', message: outcome.reason });
    } else {
      const how =
        outcome.signal !== null
          ? `was killed by ${outcome.signal}`
          : `exited with ${outcome.exitCode}`;
      const mem = gib(options.memoryBytes);
      finish(r, 'Failed', {
        code: 'executor_died',
        message: `The executor running this query ${how}, most likely out of memory: this node has ${mem} GiB. Run it on a cluster with more memory (for example \`memory: ${Math.max(2, Math.ceil(mem * 2))}\` GiB in the compute context), or let it hold less at once (filter or aggregate earlier, use the streaming engine, sink to S3 instead of collecting).`,
      });
    }
  };

  const dispatch = async (r: QueryRecord) => {
    const queueWaitMs = options.now() - r.queuedAt;
    r.state = 'Running';
    r.startedAt = options.now();
    r.profile.phases.queueWaitMs = queueWaitMs;
    running += 1;
    changed(r);
    startSampling(r);
    const bucket = options.resultsBucket();
    if (r.envelope.sink === undefined && bucket === undefined) {
      finish(r, 'Failed', {
        code: 'no_results_bucket',
        message:
          "This node knows no results bucket (the workspace's stack predates it: update the stack), so the query needs a sink.",
      });
      return;
    }
    let credentials: RoleCredentials;
    try {
      credentials = await options.credentials();
    } catch (e) {
      finish(r, 'Failed', {
        code: 'credentials_unavailable',
        message: `The Worker role's credentials are unavailable: ${e instanceof Error ? e.message : String(e)}`,
      });
      return;
    }
    let connections: readonly ConnectionAccess[] = [];
    const names = r.envelope.connections;
    if (names !== undefined && options.connectionSessions !== undefined) {
      try {
        connections =
          r.connections !== undefined && sessionsFresh(r.connections, options.now())
            ? r.connections
            : await options.connectionSessions({
                queryId: r.queryId,
                names,
                ...(r.queryToken === undefined ? {} : { queryToken: r.queryToken }),
              });
      } catch (e) {
        finish(r, 'Failed', {
          code: (e as { code?: string }).code ?? 'connection_unavailable',
          message: `The data connections' sessions are unavailable: ${e instanceof Error ? e.message : String(e)}`,
        });
        return;
      }
      if (FINISHED.includes(r.state)) return;
      r.connections = connections;
    }
    const run = await options.pool.run({
      connections,
      queryId: r.queryId,
      kind: r.envelope.kind,
      ...(r.envelope.plan === undefined ? {} : { plan: r.envelope.plan }),
      ...(r.envelope.sql === undefined ? {} : { sql: r.envelope.sql }),
      engine: r.envelope.engine ?? 'auto',
      headRows: r.envelope.headRows ?? DEFAULT_HEAD_ROWS,
      ...(r.envelope.sink === undefined ? {} : { sink: r.envelope.sink }),
      resultUri: `s3://${bucket ?? ''}/results/${r.queryId}/part-0.parquet`,
      credentials,
      access: options.access,
      maxInMemoryBytes,
    });
    if (FINISHED.includes(r.state)) {
      // Canceled while it waited for the executor.
      run.kill('canceled');
      return;
    }
    r.run = run;
    r.timer = setTimeout(
      () => run.kill('timeout'),
      (r.envelope.timeoutSeconds ?? DEFAULT_QUERY_TIMEOUT_SECONDS) * 1000,
    );
    await onOutcome(r, await run.outcome, run);
  };

  function pump() {
    while (!stopped && queue.length > 0 && running < options.pool.size) {
      const r = queue.shift();
      if (r === undefined || r.state !== 'Queued') continue;
      dispatch(r).catch((e: unknown) =>
        finish(r, 'Failed', {
          code: 'internal',
          message: e instanceof Error ? e.message : String(e),
        }),
      );
    }
  }

  return {
    check: (envelope) => refusal(envelope),
    submit({ envelope, actorId, mode, queryId, connections, queryToken }) {
      if (stopped) throw new QueryRefusedError('worker_stopping', 'The worker is stopping.');
      const checked = refusal(envelope);
      if (checked instanceof QueryRefusedError) throw checked;
      const r: QueryRecord = {
        queryId: queryId ?? newId('query'),
        envelope: checked,
        actorId,
        mode,
        state: 'Queued',
        queuedAt: options.now(),
        startedAt: null,
        finishedAt: null,
        error: null,
        optimizedPlan: null,
        rowCount: null,
        bytes: null,
        location: null,
        schema: null,
        head: null,
        headRows: null,
        profile: { phases: {}, samples: [] },
        ...(connections === undefined ? {} : { connections }),
        ...(queryToken === undefined ? {} : { queryToken }),
      };
      records.set(r.queryId, r);
      queue.push(r);
      changed(r);
      pump();
      return r;
    },
    get: (id) => records.get(id),
    async wait(id, ms) {
      const r = records.get(id);
      if (r === undefined || FINISHED.includes(r.state) || ms <= 0) return r;
      await new Promise<void>((resolve) => {
        const set = waiters.get(id) ?? new Set();
        waiters.set(id, set);
        const timer = setTimeout(() => {
          set.delete(done);
          resolve();
        }, ms);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        set.add(done);
      });
      return records.get(id);
    },
    cancel(id) {
      const r = records.get(id);
      if (r === undefined || FINISHED.includes(r.state)) return r;
      if (r.run !== undefined) r.run.kill('canceled');
      else finish(r, 'Canceled');
      return r;
    },
    async resultUrls(id, { whenWritten = true } = {}) {
      const r = records.get(id);
      if (r?.state !== 'Succeeded' || r.location === null) return undefined;
      if (whenWritten && r.written !== undefined) {
        const failure = await r.written;
        if (failure !== null) throw new ResultUnavailableError(failure);
      }
      const ttl = options.urlTtlSeconds ?? 900;
      const { bucket, key } = parseS3(r.location);
      const url = await getSignedUrl(
        await s3(),
        new GetObjectCommand({ Bucket: bucket, Key: key }),
        {
          expiresIn: ttl,
        },
      );
      return {
        format: r.envelope.sink?.format ?? 'parquet',
        expiresAt: new Date(options.now() + ttl * 1000).toISOString(),
        files: [{ location: r.location, url, bytes: r.bytes }],
      };
    },
    active: () => queue.filter((r) => r.state === 'Queued').length + running,
    activeIds: () =>
      [...records.values()].filter((r) => !FINISHED.includes(r.state)).map((r) => r.queryId),
    status: (r) => ({
      queryId: r.queryId,
      kind: r.envelope.kind,
      state: r.state,
      queuedAt: new Date(r.queuedAt).toISOString(),
      startedAt: iso(r.startedAt),
      finishedAt: iso(r.finishedAt),
      error: r.error,
      optimizedPlan: r.optimizedPlan,
      rowCount: r.rowCount,
      bytes: r.bytes,
      location: r.location,
      schema: r.schema,
      headRows: r.headRows,
      profile: r.profile,
      labels: r.envelope.labels ?? {},
    }),
    async stop() {
      stopped = true;
      for (const r of records.values())
        if (!FINISHED.includes(r.state) && r.run === undefined)
          finish(r, 'Failed', {
            code: 'worker_stopped',
            message: 'The worker stopped before the query ran.',
          });
      await options.pool.stop();
    },
  };
}
