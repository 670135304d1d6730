/**
 * The job queue on the database. Workers claim due jobs with `FOR UPDATE SKIP LOCKED` and
 * hold a lease they renew while the handler runs (heartbeat). A replica that dies stops
 * renewing; once the lease expires another replica claims the job again.
 *
 * Fencing: a claim is the pair (lease owner, attempt number), and every write after the claim
 * (renewal, settle, release, {@link JobContext.fence}) matches both. A re-claim, even by the
 * same process, bumps the attempt, so a stale run can never complete, fail or release the
 * job, nor commit a fenced result. A run whose renewals keep failing aborts itself when its
 * lease runs out, before anyone may claim the job again, so its AWS calls stop.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ValidationError } from '@ferry/core';
import { sql, type Kysely, type Selectable, type UpdateObject } from 'kysely';
import type { Logger } from 'pino';
import { afterCommit } from '../db/after-commit.ts';
import type { Database } from '../db/database.ts';
import type { JobsTable } from '../db/platform-tables.ts';
import type { MetricsRegistry } from '../ops/metrics-registry.ts';
import type { Clock } from '../resources.ts';
import type {
  EnqueueOptions,
  EnqueueResult,
  JobContext,
  JobHandler,
  JobQueue,
} from './job-queue.ts';
import { backoffDelayMs, type JobType } from './job-type.ts';

/** Options of {@link createJobQueue}. */
export interface JobQueueOptions {
  db: Kysely<Database>;
  log: Logger;
  clock: Clock;
  metrics: MetricsRegistry;
  /** Jobs this process runs at once. */
  concurrency: number;
  pollIntervalMs: number;
  /** How long `stop()` waits for aborted handlers to return before releasing their leases. */
  shutdownGraceMs: number;
  /** Lease owner id (default: host, pid and a random suffix). */
  ownerId?: string;
}

type JobRow = Selectable<JobsTable>;

interface Registered {
  type: JobType<unknown>;
  handler: JobHandler<unknown>;
}

interface Running {
  row: JobRow;
  abort: AbortController;
  done: Promise<void>;
}

const ACTIVE = ['queued', 'running'] as const;

/** Raised inside a handler's signal (and by `fence`) when the lease was lost. */
export class LeaseLostError extends Error {
  readonly code = 'job_lease_lost';
}

/** Raised inside a handler's signal when the process shuts down. */
class ShutdownError extends Error {
  readonly code = 'job_shutdown';
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.slice(0, 2000);
}

/** Creates the queue; call `start()` to begin polling and `stop()` to shut down. */
export function createJobQueue(options: JobQueueOptions): JobQueue {
  const { db, clock } = options;
  const ownerId = options.ownerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const log = options.log.child({ component: 'jobs', owner: ownerId });
  const registry = new Map<string, Registered>();
  const schedules = new Map<
    string,
    { type: JobType<unknown>; everyMs: number; payload: unknown }
  >();
  const running = new Map<string, Running>();
  const loopAbort = new AbortController();
  let loop: Promise<void> | undefined;
  let stopping = false;
  // A job enqueued here and due now is claimed at once, not after the rest of the poll
  // interval (a cluster's launch waited up to a whole interval before it began): `wake` cuts
  // the loop's sleep short, or makes it poll again when the wake came during a poll.
  let woken = false;
  let wakeSleep: AbortController | undefined;
  function wake(): void {
    woken = true;
    wakeSleep?.abort();
  }

  const m = options.metrics;
  const started = m.counter('jobs_started_total', 'Job runs started, by job name.');
  const finished = m.counter('jobs_finished_total', 'Job runs finished, by job name and outcome.');
  const failures = m.counter('jobs_failures_total', 'Job runs that threw, by job name.');
  const duration = m.histogram('job_duration_seconds', 'Job run duration, in seconds.');
  const inFlight = m.gauge('jobs_running', 'Job runs in progress in this process.');

  function validate<P>(type: JobType<P>, payload: unknown): P {
    const parsed = type.payload.safeParse(payload);
    if (parsed.success) return parsed.data;
    const details = parsed.error.issues.map((i) => ({
      path: ['payload', ...i.path.map(String)].join('.'),
      message: i.message,
    }));
    throw new ValidationError(
      `job ${type.name}: invalid payload (${details.map((d) => `${d.path}: ${d.message}`).join('; ')})`,
      { details },
    );
  }

  async function enqueue<P>(
    type: JobType<P>,
    payload: P,
    opts: EnqueueOptions = {},
  ): Promise<EnqueueResult> {
    const data = validate(type, payload);
    const target = opts.db ?? db;
    const now = clock.now();
    for (let i = 0; i < 3; i++) {
      const id = randomUUID();
      const inserted = await target
        .insertInto('jobs')
        .values({
          id,
          name: type.name,
          payload: JSON.stringify(data),
          status: 'queued',
          max_attempts: type.maxAttempts,
          dedupe_key: opts.dedupeKey ?? null,
          run_at: opts.runAt ?? now,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc
            .column('dedupe_key')
            .where(sql<boolean>`dedupe_key is not null and status in ('queued', 'running')`)
            .doNothing(),
        )
        .returning('id')
        .executeTakeFirst();
      if (inserted) {
        // Inside the caller's transaction the row shows only once it commits; a transaction
        // that cannot say when (one not opened by a request) leaves the job to the next poll.
        if ((opts.runAt ?? now) <= now) {
          if (opts.db === undefined) wake();
          else afterCommit(opts.db, wake);
        }
        return { id: inserted.id, deduplicated: false };
      }
      const existing = await target
        .selectFrom('jobs')
        .select('id')
        .where('dedupe_key', '=', opts.dedupeKey ?? '')
        .where('status', 'in', ACTIVE)
        .executeTakeFirst();
      // The holder of the key may have finished in between; then insert again.
      if (existing) return { id: existing.id, deduplicated: true };
    }
    throw new Error(`job ${type.name}: could not enqueue with dedupe key`);
  }

  async function fireSchedules(): Promise<void> {
    for (const [name, s] of schedules) {
      const now = clock.now();
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('job_schedules')
          .values({ name, interval_ms: s.everyMs, next_run_at: now })
          .onConflict((oc) => oc.column('name').doUpdateSet({ interval_ms: s.everyMs }))
          .execute();
        // Advancing next_run_at is the election: one replica's update wins each period.
        const due = await tx
          .updateTable('job_schedules')
          .set({ next_run_at: new Date(now.getTime() + s.everyMs) })
          .where('name', '=', name)
          .where('next_run_at', '<=', now)
          .returning('name')
          .executeTakeFirst();
        if (due) {
          await enqueue(s.type, s.payload, { dedupeKey: `schedule:${name}`, db: tx });
        }
      });
    }
  }

  async function claim(): Promise<JobRow | undefined> {
    const names = [...registry.keys()];
    if (names.length === 0) return undefined;
    const now = clock.now();
    return db.transaction().execute(async (tx) => {
      const candidate = await tx
        .selectFrom('jobs')
        .select(['id', 'name'])
        .where('name', 'in', names)
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]),
            eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<', now)]),
          ]),
        )
        .orderBy('run_at')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!candidate) return undefined;
      const leaseMs = registry.get(candidate.name)?.type.leaseMs ?? 30_000;
      return tx
        .updateTable('jobs')
        .set({
          status: 'running',
          attempts: sql<number>`attempts + 1`,
          lease_owner: ownerId,
          lease_expires_at: new Date(now.getTime() + leaseMs),
          updated_at: now,
        })
        .where('id', '=', candidate.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  }

  /**
   * Updates a job this run holds; false when the claim is no longer this run's. The attempt
   * is the fencing token: a re-claim (even by this process) bumps it.
   */
  async function settle(row: JobRow, set: UpdateObject<Database, 'jobs'>): Promise<boolean> {
    const r = await db
      .updateTable('jobs')
      .set(set)
      .where('id', '=', row.id)
      .where('lease_owner', '=', ownerId)
      .where('attempts', '=', row.attempts)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /**
   * Renews the lease at a third of its length. A watchdog aborts the run once the lease it
   * last wrote runs out (renewals failing or hanging), before another worker may claim it.
   */
  async function heartbeat(
    row: JobRow,
    leaseMs: number,
    signal: AbortSignal,
    onLost: (why: string) => void,
  ) {
    const every = Math.max(10, Math.floor(leaseMs / 3));
    let leaseUntil = row.lease_expires_at?.getTime() ?? clock.now().getTime() + leaseMs;
    const watchdog = (async () => {
      while (!signal.aborted) {
        const left = leaseUntil - clock.now().getTime();
        if (left <= 0) return onLost('renewals failed until the lease ran out');
        try {
          await clock.sleep(left, signal);
        } catch {
          return;
        }
      }
    })();
    while (!signal.aborted) {
      try {
        await clock.sleep(every, signal);
      } catch {
        break;
      }
      try {
        const now = clock.now();
        const until = now.getTime() + leaseMs;
        const ok = await settle(row, { lease_expires_at: new Date(until), updated_at: now });
        if (signal.aborted) break;
        if (!ok) {
          onLost('taken over');
          break;
        }
        leaseUntil = until;
      } catch (err) {
        // A transient database error: keep trying; the watchdog ends the run at lease expiry.
        log.warn({ err, jobId: row.id }, 'lease renewal failed');
      }
    }
    await watchdog;
  }

  /** Runs `work` in a transaction that holds the job row, only while this run's claim holds. */
  async function fence<T>(row: JobRow, work: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return db.transaction().execute(async (tx) => {
      // Locking the row keeps claims (SKIP LOCKED) and renewals away until this commits.
      const held = await tx
        .selectFrom('jobs')
        .select('id')
        .where('id', '=', row.id)
        .where('lease_owner', '=', ownerId)
        .where('attempts', '=', row.attempts)
        .where('status', '=', 'running')
        .where('lease_expires_at', '>', clock.now())
        .forUpdate()
        .executeTakeFirst();
      if (!held) throw new LeaseLostError(`job ${row.id}: lease lost; result not written`);
      return work(tx);
    });
  }

  async function execute(row: JobRow, abort: AbortController): Promise<void> {
    const entry = registry.get(row.name);
    const jobLog = log.child({ jobId: row.id, job: row.name, attempt: row.attempts });
    const labels = { name: row.name };
    if (!entry) return;
    const now = clock.now();
    if (row.attempts > row.max_attempts) {
      // The last attempt's worker died holding the lease.
      await settle(row, {
        status: 'dead',
        lease_owner: null,
        lease_expires_at: null,
        attempts: row.max_attempts,
        last_error: 'worker lost during the last attempt',
        finished_at: now,
        updated_at: now,
      });
      finished.inc({ ...labels, outcome: 'dead' });
      jobLog.error('job dead-lettered: worker lost during the last attempt');
      return;
    }
    const parsed = entry.type.payload.safeParse(row.payload);
    if (!parsed.success) {
      await settle(row, {
        status: 'dead',
        lease_owner: null,
        lease_expires_at: null,
        last_error: `invalid payload: ${parsed.error.message}`.slice(0, 2000),
        finished_at: now,
        updated_at: now,
      });
      finished.inc({ ...labels, outcome: 'dead' });
      jobLog.error('job dead-lettered: invalid payload');
      return;
    }
    const hbStop = new AbortController();
    let lost = false;
    const hb = heartbeat(row, entry.type.leaseMs, hbStop.signal, (why) => {
      lost = true;
      abort.abort(new LeaseLostError(`lease of job ${row.id} lost: ${why}`));
    });
    const ctx: JobContext = {
      id: row.id,
      name: row.name,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      signal: abort.signal,
      log: jobLog,
      fence: (work) => fence(row, work),
    };
    const t0 = performance.now();
    started.inc(labels);
    inFlight.inc(labels);
    let error: unknown;
    let failed = false;
    try {
      await entry.handler(parsed.data, ctx);
    } catch (err) {
      failed = true;
      error = err;
    } finally {
      hbStop.abort();
      await hb;
      inFlight.dec(labels);
    }
    const end = clock.now();
    let outcome: string;
    if (lost) {
      outcome = 'lease_lost';
      jobLog.warn(
        { reason: (abort.signal.reason as Error).message },
        'job lease lost; the run stopped without settling',
      );
    } else if (!failed) {
      const ok = await settle(row, {
        status: 'succeeded',
        lease_owner: null,
        lease_expires_at: null,
        last_error: null,
        finished_at: end,
        updated_at: end,
      });
      outcome = ok ? 'succeeded' : 'lease_lost';
    } else if (abort.signal.aborted && abort.signal.reason instanceof ShutdownError) {
      // Interrupted by shutdown, not a failure: hand it back without using up an attempt.
      await settle(row, {
        status: 'queued',
        lease_owner: null,
        lease_expires_at: null,
        attempts: sql<number>`attempts - 1`,
        run_at: end,
        updated_at: end,
      });
      outcome = 'released';
    } else {
      failures.inc(labels);
      const dead = row.attempts >= row.max_attempts;
      const ok = await settle(row, {
        status: dead ? 'dead' : 'queued',
        lease_owner: null,
        lease_expires_at: null,
        last_error: errorText(error),
        run_at: new Date(end.getTime() + backoffDelayMs(entry.type.retry, row.attempts)),
        finished_at: dead ? end : null,
        updated_at: end,
      });
      outcome = ok ? (dead ? 'dead' : 'retry') : 'lease_lost';
      if (dead) jobLog.error({ err: error }, 'job dead-lettered after its last attempt');
      else jobLog.warn({ err: error }, 'job attempt failed; will retry');
    }
    finished.inc({ ...labels, outcome });
    duration.observe((performance.now() - t0) / 1000, { ...labels, outcome });
  }

  function launch(row: JobRow): Running {
    const abort = new AbortController();
    const entry: Running = { row, abort, done: Promise.resolve() };
    // Keyed by claim: a stale run and its re-claim may briefly run side by side.
    const key = `${row.id}#${row.attempts}`;
    entry.done = execute(row, abort)
      .catch((err: unknown) => log.error({ err, jobId: row.id }, 'job bookkeeping failed'))
      .finally(() => running.delete(key));
    running.set(key, entry);
    return entry;
  }

  async function tick(): Promise<void> {
    if (schedules.size) await fireSchedules();
    while (!stopping && running.size < options.concurrency) {
      const row = await claim();
      if (!row) break;
      launch(row);
    }
  }

  async function pollLoop(): Promise<void> {
    while (!stopping) {
      woken = false;
      try {
        await tick();
      } catch (err) {
        log.error({ err }, 'job poll failed');
      }
      if (woken) continue;
      wakeSleep = new AbortController();
      try {
        await clock.sleep(
          options.pollIntervalMs,
          AbortSignal.any([loopAbort.signal, wakeSleep.signal]),
        );
      } catch {
        if (loopAbort.signal.aborted) return;
      } finally {
        wakeSleep = undefined;
      }
    }
  }

  return {
    ownerId,
    register(type, handler) {
      if (registry.has(type.name)) throw new Error(`job ${type.name} is already registered`);
      registry.set(type.name, { type, handler } as Registered);
    },
    schedule(type, opts) {
      if (!Number.isInteger(opts.everyMs) || opts.everyMs < 1) {
        throw new Error(`schedule ${type.name}: everyMs must be a positive integer`);
      }
      schedules.set(type.name, {
        type,
        everyMs: opts.everyMs,
        payload: validate(type, opts.payload),
      });
    },
    enqueue,
    start() {
      if (loop || stopping) return;
      log.debug('job workers started');
      loop = pollLoop();
    },
    async runDue() {
      if (stopping) return 0;
      if (schedules.size) await fireSchedules();
      let n = 0;
      for (;;) {
        const row = await claim();
        if (!row) return n;
        n++;
        await launch(row).done;
      }
    },
    async stop() {
      if (stopping) {
        await loop;
        return;
      }
      stopping = true;
      loopAbort.abort();
      await loop;
      const inProgress = [...running.values()];
      for (const r of inProgress) r.abort.abort(new ShutdownError('shutting down'));
      if (inProgress.length) {
        log.info({ jobs: inProgress.length }, 'waiting for running jobs to stop');
        const grace = new AbortController();
        await Promise.race([
          Promise.all(inProgress.map((r) => r.done)),
          clock.sleep(options.shutdownGraceMs, grace.signal).catch(() => {}),
        ]);
        grace.abort();
      }
      // Whatever still runs is handed back now, so another replica need not wait for expiry.
      const now = clock.now();
      const released = await db
        .updateTable('jobs')
        .set({
          status: 'queued',
          lease_owner: null,
          lease_expires_at: null,
          attempts: sql<number>`greatest(attempts - 1, 0)`,
          run_at: now,
          updated_at: now,
        })
        .where('lease_owner', '=', ownerId)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (released.numUpdatedRows > 0n) {
        log.warn({ jobs: Number(released.numUpdatedRows) }, 'released leases of unfinished jobs');
      }
    },
  };
}
