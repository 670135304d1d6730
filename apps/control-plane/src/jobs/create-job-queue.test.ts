import { ValidationError } from '@ferry/core';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createRequestTransaction } from '../http/request-transaction.ts';
import { createMetricsRegistry } from '../ops/metrics-registry.ts';
import { createSystemClock } from '../ops/system-clock.ts';
import type { Clock } from '../resources.ts';
import { describeEachBackend, type TestBackend } from '../testing/backends.ts';
import { counterValue, refuseRenewals } from '../testing/fixtures/refuse-renewals.ts';
import { createTestClock } from '../testing/test-clock.ts';
import { createJobQueue, type JobQueueOptions } from './create-job-queue.ts';
import type { JobQueue } from './job-queue.ts';
import { defineJob } from './job-type.ts';

const silent = pino({ level: 'silent' });

describeEachBackend('job queue', (ctx) => {
  let queues: JobQueue[] = [];
  let n = 0;
  /** A unique job name per test, so tests sharing a database never see each other's jobs. */
  let prefix = '';

  beforeEach(() => {
    prefix = `t${++n}`;
  });
  afterEach(async () => {
    await Promise.all(queues.map((q) => q.stop()));
    queues = [];
  });

  function queue(b: TestBackend, opts: Partial<JobQueueOptions> & { clock?: Clock } = {}) {
    const q = createJobQueue({
      db: b.resources.db,
      log: silent,
      clock: opts.clock ?? createSystemClock(),
      metrics: createMetricsRegistry(),
      concurrency: 4,
      pollIntervalMs: 20,
      shutdownGraceMs: 200,
      ...opts,
    });
    queues.push(q);
    return q;
  }

  const job = (db: TestBackend) =>
    db.resources.db.selectFrom('jobs').selectAll().where('name', 'like', `${prefix}.%`);
  /** Registers a handler that starts, then waits for `finish` whatever its signal says. */
  const registerBlocking = (
    q: ReturnType<typeof queue>,
    t: Parameters<ReturnType<typeof queue>['register']>[0],
  ) => {
    const { promise: running, resolve: started } = Promise.withResolvers<void>();
    const { promise: blocked, resolve: finish } = Promise.withResolvers<void>();
    q.register(t, async () => {
      started();
      await blocked;
    });
    return { running, finish };
  };
  /** One job's row as it is now. */
  const jobRow = (id: string) => job(ctx()).where('id', '=', id).executeTakeFirstOrThrow();

  it('validates payloads at enqueue, naming the field', async () => {
    const q = queue(ctx());
    const t = defineJob({ name: `${prefix}.greet`, payload: z.object({ who: z.string() }) });
    const err = await q
      .enqueue(t, { who: 42 } as unknown as { who: string })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).details).toEqual([
      { path: 'payload.who', message: expect.stringContaining('string') as string },
    ]);
    expect(await job(ctx()).execute()).toEqual([]);
  });

  it('runs a job once and records success', async () => {
    const q = queue(ctx());
    const t = defineJob({ name: `${prefix}.greet`, payload: z.object({ who: z.string() }) });
    const seen: string[] = [];
    q.register(t, (p, c) => {
      seen.push(`${p.who}#${c.attempt}`);
      return Promise.resolve();
    });
    const { id, deduplicated } = await q.enqueue(t, { who: 'ada' });
    expect(deduplicated).toBe(false);
    expect(await q.runDue()).toBe(1);
    expect(await q.runDue()).toBe(0);
    expect(seen).toEqual(['ada#1']);
    const row = await jobRow(id);
    expect(row).toMatchObject({ status: 'succeeded', attempts: 1, lease_owner: null });
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.payload).toEqual({ who: 'ada' });
  });

  it('enqueues inside a transaction: rolled back, the job never existed', async () => {
    const q = queue(ctx());
    const t = defineJob({ name: `${prefix}.tx`, payload: z.object({}) });
    await expect(
      ctx()
        .resources.db.transaction()
        .execute(async (tx) => {
          await q.enqueue(t, {}, { db: tx });
          throw new Error('abort');
        }),
    ).rejects.toThrow('abort');
    expect(await job(ctx()).execute()).toEqual([]);
  });

  it('runs a job enqueued here at once, not at the next poll — in a request’s transaction, once it commits', async () => {
    // The clock never moves: the loop's one poll interval never ends by itself.
    const clock = createTestClock();
    const q = queue(ctx(), { clock, pollIntervalMs: 60_000 });
    const t = defineJob({ name: `${prefix}.now`, payload: z.object({ n: z.number() }) });
    const ran: number[] = [];
    q.register(t, (p) => {
      ran.push(p.n);
      return Promise.resolve();
    });
    q.start();
    const ranAll = async (want: number[]) => {
      for (let i = 0; i < 300 && ran.length < want.length; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(ran).toEqual(want);
    };
    await q.enqueue(t, { n: 1 });
    await ranAll([1]);

    const request = createRequestTransaction(ctx().resources.db);
    await request.run((trx) => q.enqueue(t, { n: 2 }, { db: trx }).then(() => undefined));
    expect(await request.finish(() => Promise.resolve())).toBe(true);
    await ranAll([1, 2]);

    // A job due later waits for its time.
    await q.enqueue(t, { n: 3 }, { runAt: new Date(clock.now().getTime() + 30_000) });
    await new Promise((r) => setTimeout(r, 200));
    expect(ran).toEqual([1, 2]);
  });

  it('deduplicates while a job with the same key is pending, not after', async () => {
    const q = queue(ctx());
    const t = defineJob({ name: `${prefix}.dedupe`, payload: z.object({ n: z.number() }) });
    q.register(t, async () => {});
    const a = await q.enqueue(t, { n: 1 }, { dedupeKey: `${prefix}:k` });
    const b = await q.enqueue(t, { n: 2 }, { dedupeKey: `${prefix}:k` });
    expect(b).toEqual({ id: a.id, deduplicated: true });
    expect(await q.runDue()).toBe(1);
    const c = await q.enqueue(t, { n: 3 }, { dedupeKey: `${prefix}:k` });
    expect(c.deduplicated).toBe(false);
    expect(c.id).not.toBe(a.id);
  });

  it('waits for run-at, and retries with backoff until dead-lettered', async () => {
    const clock = createTestClock(new Date('2031-01-01T00:00:00Z'));
    const q = queue(ctx(), { clock });
    const t = defineJob({
      name: `${prefix}.flaky`,
      payload: z.object({}),
      maxAttempts: 3,
      retry: { initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000 },
    });
    let calls = 0;
    q.register(t, () => {
      calls++;
      return Promise.reject(new Error(`failure ${calls}`));
    });
    const { id } = await q.enqueue(t, {}, { runAt: new Date('2031-01-01T00:00:10Z') });
    expect(await q.runDue()).toBe(0);
    await clock.advance(10_000);
    expect(await q.runDue()).toBe(1);
    let row = await jobRow(id);
    expect(row).toMatchObject({ status: 'queued', attempts: 1, last_error: 'Error: failure 1' });
    expect(row.run_at.toISOString()).toBe('2031-01-01T00:00:11.000Z');
    await clock.advance(999);
    expect(await q.runDue()).toBe(0);
    await clock.advance(1);
    expect(await q.runDue()).toBe(1);
    row = await jobRow(id);
    expect(row.run_at.toISOString()).toBe('2031-01-01T00:00:13.000Z');
    await clock.advance(2000);
    expect(await q.runDue()).toBe(1);
    row = await jobRow(id);
    expect(row).toMatchObject({ status: 'dead', attempts: 3, last_error: 'Error: failure 3' });
    await clock.advance(3_600_000);
    expect(await q.runDue()).toBe(0);
    expect(calls).toBe(3);
  });

  it('takes over a job whose lease expired (its worker died)', async () => {
    const q = queue(ctx());
    const t = defineJob({ name: `${prefix}.orphan`, payload: z.object({}), maxAttempts: 2 });
    const ran: number[] = [];
    q.register(t, (_p, c) => {
      ran.push(c.attempt);
      return Promise.resolve();
    });
    const now = new Date();
    const base = {
      name: t.name,
      payload: '{}',
      status: 'running' as const,
      max_attempts: 2,
      lease_owner: 'dead-replica',
      run_at: now,
      created_at: now,
      updated_at: now,
    };
    await ctx()
      .resources.db.insertInto('jobs')
      .values([
        // Lease still valid: not ours to take.
        { ...base, id: `${prefix}-held`, attempts: 1, lease_expires_at: new Date(+now + 60_000) },
        // Lease expired on attempt 1: run again as attempt 2.
        { ...base, id: `${prefix}-expired`, attempts: 1, lease_expires_at: new Date(+now - 1) },
        // Lease expired on the last attempt: dead-lettered, not run.
        { ...base, id: `${prefix}-last`, attempts: 2, lease_expires_at: new Date(+now - 1) },
      ])
      .execute();
    expect(await q.runDue()).toBe(2);
    expect(ran).toEqual([2]);
    const rows = await job(ctx()).orderBy('id').execute();
    expect(rows.map((r) => [r.id, r.status, r.attempts, r.lease_owner])).toEqual([
      [`${prefix}-expired`, 'succeeded', 2, null],
      [`${prefix}-held`, 'running', 1, 'dead-replica'],
      [`${prefix}-last`, 'dead', 2, null],
    ]);
  });

  it('renews the lease while a handler runs, and aborts the handler when the lease is lost', async () => {
    const q = queue(ctx());
    const t = defineJob({ name: `${prefix}.long`, payload: z.object({}), leaseMs: 300 });
    let aborted: unknown;
    const { promise: running, resolve: started } = Promise.withResolvers<void>();
    q.register(t, async (_p, c) => {
      started();
      await new Promise<void>((resolve) => {
        c.signal.addEventListener('abort', () => {
          aborted = c.signal.reason;
          resolve();
        });
      });
    });
    const { id } = await q.enqueue(t, {});
    const run = q.runDue();
    await running;
    const first = await jobRow(id);
    await new Promise((r) => setTimeout(r, 450));
    const renewed = await jobRow(id);
    // Still ours after longer than one lease: the heartbeat extended it.
    expect(renewed.lease_owner).toBe(q.ownerId);
    expect(+(renewed.lease_expires_at ?? 0)).toBeGreaterThan(+(first.lease_expires_at ?? 0));
    // Another worker takes the job over (as if our heartbeats had stalled).
    await ctx()
      .resources.db.updateTable('jobs')
      .set({ lease_owner: 'other-replica', lease_expires_at: new Date(Date.now() + 600_000) })
      .where('id', '=', id)
      .execute();
    await run;
    expect((aborted as { code?: string }).code).toBe('job_lease_lost');
    const after = await jobRow(id);
    // The loser never completes a job it no longer holds.
    expect(after).toMatchObject({ status: 'running', lease_owner: 'other-replica' });
  });

  it('fences a stale run: renewals fail past the lease, the job is claimed again, one run settles', async () => {
    const metrics = createMetricsRegistry();
    const q = queue(ctx(), { metrics });
    // A lease long enough that the second run's renewals keep it on a busy machine.
    const t = defineJob({ name: `${prefix}.fenced`, payload: z.object({}), leaseMs: 1000 });
    const unrefuse = await refuseRenewals(ctx().resources.db, t.name);
    const events: string[] = [];
    const { promise: second, resolve: secondStarted } = Promise.withResolvers<void>();
    const { promise: firstDone, resolve: firstReturned } = Promise.withResolvers<void>();
    const { promise: secondMayFinish, resolve: releaseSecond } = Promise.withResolvers<void>();
    q.register(t, async (_p, c) => {
      events.push(`start#${c.attempt}`);
      if (c.attempt === 1) {
        // Ignores its signal, as a handler stuck in a call would, and returns "successfully"
        // once the job runs again: neither its result nor its settle may land.
        c.signal.addEventListener('abort', () =>
          events.push(`abort#1:${(c.signal.reason as { code?: string }).code}`),
        );
        await second;
        await c
          .fence((tx) => sql`select 1`.execute(tx))
          .then(
            () => events.push('result#1'),
            (e: { code?: string }) => events.push(`result#1 refused:${e.code}`),
          );
        firstReturned();
        return;
      }
      secondStarted();
      await secondMayFinish;
      await c.fence((tx) => sql`select 1`.execute(tx));
      events.push('result#2');
    });
    try {
      const { id } = await q.enqueue(t, {});
      q.start();
      await firstDone;
      // The stale run returned: the job is still the second run's.
      const during = await jobRow(id);
      expect(during).toMatchObject({ status: 'running', attempts: 2, lease_owner: q.ownerId });
      releaseSecond();
      for (let i = 0; i < 200; i++) {
        const row = await jobRow(id);
        if (row.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const row = await jobRow(id);
      expect(row).toMatchObject({ status: 'succeeded', attempts: 2, lease_owner: null });
      expect(events).toEqual([
        'start#1',
        'abort#1:job_lease_lost',
        'start#2',
        'result#1 refused:job_lease_lost',
        'result#2',
      ]);
      const text = metrics.render();
      const outcome = (o: string) =>
        counterValue(text, 'jobs_finished_total', { name: t.name, outcome: o });
      expect([outcome('succeeded'), outcome('lease_lost')]).toEqual([1, 1]);
    } finally {
      releaseSecond();
      await unrefuse();
    }
  });

  it('never lets a run settle once its own process claimed the job again', async () => {
    const q = queue(ctx());
    const t = defineJob({ name: `${prefix}.reclaimed`, payload: z.object({}), leaseMs: 60_000 });
    const { running, finish } = registerBlocking(q, t);
    const { id } = await q.enqueue(t, {});
    const run = q.runDue();
    await running;
    // What a re-claim by this same process looks like in the row: same owner, next attempt.
    await ctx()
      .resources.db.updateTable('jobs')
      .set({ attempts: 2, lease_expires_at: new Date(Date.now() + 60_000) })
      .where('id', '=', id)
      .execute();
    finish();
    await run;
    const row = await jobRow(id);
    expect(row).toMatchObject({ status: 'running', attempts: 2, lease_owner: q.ownerId });
  });

  it('runs every job exactly once across two workers polling the same database', async () => {
    const a = queue(ctx());
    const b = queue(ctx());
    const t = defineJob({ name: `${prefix}.fan`, payload: z.object({ i: z.number() }) });
    const runs: string[] = [];
    const handler = (who: string) => async (p: { i: number }) => {
      runs.push(`${p.i}`);
      await sql`select ${who}`.execute(ctx().resources.db);
    };
    a.register(t, handler('a'));
    b.register(t, handler('b'));
    for (let i = 0; i < 20; i++) await a.enqueue(t, { i });
    const [na, nb] = await Promise.all([a.runDue(), b.runDue()]);
    expect(na + nb).toBe(20);
    expect(runs.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `${i}`).sort());
    const rows = await job(ctx()).execute();
    expect(rows.every((r) => r.status === 'succeeded' && r.attempts === 1)).toBe(true);
  });

  it('fires a periodic job once per period across replicas', async () => {
    const clock = createTestClock(new Date('2032-01-01T00:00:00Z'));
    const a = queue(ctx(), { clock });
    const b = queue(ctx(), { clock });
    const t = defineJob({ name: `${prefix}.tick`, payload: z.object({ scope: z.string() }) });
    let runs = 0;
    for (const q of [a, b]) {
      q.register(t, () => {
        runs++;
        return Promise.resolve();
      });
      q.schedule(t, { everyMs: 60_000, payload: { scope: 'all' } });
    }
    await Promise.all([a.runDue(), b.runDue()]);
    expect(runs).toBe(1);
    await clock.advance(30_000);
    await Promise.all([a.runDue(), b.runDue()]);
    expect(runs).toBe(1);
    await clock.advance(30_000);
    await Promise.all([a.runDue(), b.runDue()]);
    expect(runs).toBe(2);
  });

  it('releases the leases of unfinished jobs at shutdown', async () => {
    const q = queue(ctx(), { shutdownGraceMs: 100 });
    const t = defineJob({ name: `${prefix}.stubborn`, payload: z.object({}) });
    // Ignores its abort signal, as a badly behaved handler would.
    const { running, finish } = registerBlocking(q, t);
    const { id } = await q.enqueue(t, {});
    q.start();
    await running;
    await q.stop();
    const row = await jobRow(id);
    expect(row).toMatchObject({ status: 'queued', attempts: 0, lease_owner: null });
    finish();
  });

  it('hands back a job whose handler stops on the shutdown signal, without using an attempt', async () => {
    const q = queue(ctx());
    const t = defineJob({ name: `${prefix}.polite`, payload: z.object({}) });
    const { promise: running, resolve: started } = Promise.withResolvers<void>();
    q.register(t, async (_p, c) => {
      started();
      await new Promise<void>((_resolve, reject) =>
        c.signal.addEventListener('abort', () => reject(c.signal.reason as Error)),
      );
    });
    const { id } = await q.enqueue(t, {});
    q.start();
    await running;
    await q.stop();
    const row = await jobRow(id);
    expect(row).toMatchObject({
      status: 'queued',
      attempts: 0,
      lease_owner: null,
      last_error: null,
    });
  });
});
