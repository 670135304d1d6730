/**
 * The worker's query calls to its control plane, with the node token like the heartbeat:
 * each change of a query's record is reported (`PUT /api/v1/nodes/queries/:id`; per query
 * in order, only the latest state pending, retried; Queued and Running a moment late, so a
 * short query sends only its end), a proxy query's head and result URLs are uploaded
 * before its success is reported (without waiting for the full result's write), and a long-poll
 * (`GET /api/v1/nodes/work`) brings proxy submissions and cancels.
 */
import {
  headUploadBodySchema,
  queryReportBodySchema,
  workPollAnswerSchema,
  workerWireContracts,
  type QueryReportBody,
  type WorkPollAnswer,
} from '@ferry/api';
import { NODE_TOKEN_HEADER } from '../control-plane-client.ts';
import {
  QueryRefusedError,
  ResultUnavailableError,
  type QueryEngine,
  type QueryRecord,
} from './query-engine.ts';

export interface QueryLinkOptions {
  readonly baseUrl: string;
  readonly nodeToken: () => string | undefined;
  readonly clusterId: string;
  readonly instanceId: string;
  readonly log: (message: string) => void;
  readonly timeoutMs?: number;
}

const path = (p: string, id: string) => p.replace(':queryId', encodeURIComponent(id));

async function call(
  options: QueryLinkOptions,
  method: string,
  urlPath: string,
  body?: unknown,
  timeoutMs = options.timeoutMs ?? 10_000,
): Promise<unknown> {
  const token = options.nodeToken();
  if (token === undefined) throw new Error('not registered');
  const res = await fetch(`${options.baseUrl}${urlPath}`, {
    method,
    headers: {
      [NODE_TOKEN_HEADER]: token,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`${method} ${urlPath} answered ${res.status}: ${text.slice(0, 300)}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/** The report of a record (a refused proxy submission is reported from its refusal). */
export function reportOf(
  engine: QueryEngine,
  r: QueryRecord,
  link: Pick<QueryLinkOptions, 'clusterId' | 'instanceId'>,
): QueryReportBody {
  const { queryId: _id, ...status } = engine.status(r);
  return queryReportBodySchema.parse({
    ...status,
    clusterId: link.clusterId,
    instanceId: link.instanceId,
    mode: r.mode,
    actorId: r.actorId,
  });
}

export interface QueryReporter {
  report(record: QueryRecord): void;
  /** Resolves when nothing is pending (or after `ms`). */
  drain(ms: number): Promise<void>;
}

export function createQueryReporter(
  engine: QueryEngine,
  options: QueryLinkOptions & { readonly coalesceMs?: number },
): QueryReporter {
  const coalesceMs = options.coalesceMs ?? 250;
  const pending = new Map<string, QueryRecord>();
  const busy = new Set<string>();
  const headsSent = new Set<string>();
  let idle: (() => void)[] = [];

  const settle = () => {
    if (pending.size === 0 && busy.size === 0) {
      for (const f of idle) f();
      idle = [];
    }
  };

  const uploadHead = async (r: QueryRecord) => {
    const started = performance.now();
    // The head answers the client at once, as in direct mode: it never waits for the full
    // result's write (a 1M-row result's write took seconds, all of them added to the client's
    // wait). The URLs are signed now and read once the write is done: the write's end is
    // reported (the record's bytes, or result_write_failed) and the SDK waits for it.
    const urls = await engine.resultUrls(r.queryId, { whenWritten: false }).catch((e: unknown) => {
      if (e instanceof ResultUnavailableError) return undefined; // its error is in the report
      throw e;
    });
    const body = headUploadBodySchema.parse({
      arrowIpcBase64: Buffer.from(r.head ?? new Uint8Array()).toString('base64'),
      rows: r.headRows ?? 0,
      resultUrls: urls ?? null,
    });
    await call(
      options,
      'PUT',
      path(workerWireContracts['nodes.queries.head'].path, r.queryId),
      body,
    );
    r.profile.phases.uploadMs = performance.now() - started;
  };

  const flush = async (id: string) => {
    busy.add(id);
    try {
      for (let attempt = 0; pending.has(id);) {
        const r = pending.get(id);
        if (r === undefined) break;
        pending.delete(id);
        try {
          if (r.mode === 'proxy' && r.state === 'Succeeded' && !headsSent.has(id)) {
            await uploadHead(r);
            headsSent.add(id);
          }
          await call(
            options,
            'PUT',
            path(workerWireContracts['nodes.queries.report'].path, id),
            reportOf(engine, r, options),
          );
          attempt = 0;
        } catch (e) {
          attempt += 1;
          options.log(`query ${id}: report failed (${e instanceof Error ? e.message : String(e)})`);
          if (attempt >= 8) break;
          if (!pending.has(id)) pending.set(id, r);
          await new Promise((res) => setTimeout(res, Math.min(10_000, 250 * 2 ** attempt)));
        }
      }
    } finally {
      busy.delete(id);
      settle();
    }
  };

  const delayed = new Map<string, ReturnType<typeof setTimeout>>();
  return {
    report(r) {
      pending.set(r.queryId, r);
      if (busy.has(r.queryId)) return;
      const finished = r.state === 'Succeeded' || r.state === 'Failed' || r.state === 'Canceled';
      if (finished) {
        clearTimeout(delayed.get(r.queryId));
        delayed.delete(r.queryId);
        void flush(r.queryId);
      } else if (!delayed.has(r.queryId)) {
        // Queued and Running wait a moment: a short query's end replaces them, so its client
        // (waiting on the control plane in proxy mode) is not held behind their round trips.
        delayed.set(
          r.queryId,
          setTimeout(() => {
            delayed.delete(r.queryId);
            if (!busy.has(r.queryId)) void flush(r.queryId);
          }, coalesceMs),
        );
      }
    },
    drain: (ms) =>
      new Promise<void>((resolve) => {
        for (const [id, timer] of delayed) {
          clearTimeout(timer);
          delayed.delete(id);
          if (!busy.has(id)) void flush(id);
        }
        if (pending.size === 0 && busy.size === 0) return resolve();
        const timer = setTimeout(resolve, ms);
        idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/**
 * Long-polls the control plane for this node's work until `signal` aborts: proxy
 * submissions go to the engine (a refused one is reported Failed with the refusal),
 * cancels to the engine.
 */
export async function pollWork(
  engine: QueryEngine,
  options: QueryLinkOptions & {
    readonly signal: AbortSignal;
    readonly waitSeconds?: number;
    readonly reportRefused: (body: QueryReportBody & { queryId: string }) => void;
  },
): Promise<void> {
  const wait = options.waitSeconds ?? 20;
  let failures = 0;
  while (!options.signal.aborted) {
    let answer: WorkPollAnswer;
    try {
      const raw = await call(
        options,
        'GET',
        `${workerWireContracts['nodes.work'].path}?waitSeconds=${wait}`,
        undefined,
        (wait + 10) * 1000,
      );
      answer = workPollAnswerSchema.parse(raw);
      failures = 0;
    } catch (e) {
      if (options.signal.aborted) return;
      failures += 1;
      if (failures === 1)
        options.log(`work poll failed (${e instanceof Error ? e.message : String(e)}); retrying`);
      await new Promise((res) =>
        setTimeout(res, Math.min(15_000, 500 * 2 ** Math.min(failures, 5))),
      );
      continue;
    }
    for (const id of answer.cancel) engine.cancel(id);
    for (const q of answer.queries) {
      if (engine.get(q.queryId) !== undefined) continue;
      try {
        engine.submit({
          envelope: q.envelope,
          actorId: q.actorId,
          mode: 'proxy',
          queryId: q.queryId,
        });
      } catch (e) {
        const refused =
          e instanceof QueryRefusedError ? e : new QueryRefusedError('internal', String(e));
        const at = new Date().toISOString();
        options.reportRefused({
          queryId: q.queryId,
          clusterId: options.clusterId,
          instanceId: options.instanceId,
          mode: 'proxy',
          actorId: q.actorId,
          kind: q.envelope.kind,
          state: 'Failed',
          queuedAt: at,
          startedAt: null,
          finishedAt: at,
          error: {
            code: refused.code,
            message: refused.message,
            ...(refused.details.length > 0 ? { details: refused.details } : {}),
          },
          optimizedPlan: null,
          rowCount: null,
          bytes: null,
          location: null,
          schema: null,
          headRows: null,
          profile: null,
          labels: q.envelope.labels ?? {},
        });
      }
    }
  }
}

/** Sends one report built outside the engine (a refused proxy submission). */
export async function sendReport(
  options: QueryLinkOptions,
  body: QueryReportBody & { queryId: string },
): Promise<void> {
  const { queryId, ...rest } = body;
  await call(options, 'PUT', path(workerWireContracts['nodes.queries.report'].path, queryId), rest);
}
