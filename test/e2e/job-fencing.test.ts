/**
 * Fencing of the job queue with real AWS calls (localcloud): the database refuses a running
 * job's lease renewals until its lease runs out. The run that lost its lease is aborted —
 * its in-flight EC2 call is cancelled and it starts no other — the job is claimed again (by
 * the same process), and exactly one run writes its result and settles. On both backends.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startLocalCloudHarness, type LocalCloudHarness } from '@ferry/localcloud/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob } from '../../apps/control-plane/src/jobs/job-type.ts';
import { createMetricsRegistry } from '../../apps/control-plane/src/ops/metrics-registry.ts';
import { createJobQueue } from '../../apps/control-plane/src/jobs/create-job-queue.ts';
import { BACKENDS, createTestBackend } from '../../apps/control-plane/src/testing/backends.ts';
import {
  counterValue,
  refuseRenewals,
} from '../../apps/control-plane/src/testing/fixtures/refuse-renewals.ts';

const REGION = 'us-east-1';
let cloud: LocalCloudHarness;
let ec2: EC2Client;

beforeAll(async () => {
  cloud = await startLocalCloudHarness({ logLevel: 'warn' });
  ec2 = new EC2Client(cloud.clientConfig(await cloud.createAccount('customer'), REGION));
}, 60_000);

afterAll(async () => {
  ec2?.destroy();
  await cloud?.stop();
});

for (const backend of BACKENDS) {
  describe(`job fencing [${backend}]`, () => {
    it('aborts the run whose renewals failed past its lease; one run settles', async () => {
      const b = await createTestBackend(backend);
      const metrics = createMetricsRegistry();
      const queue = createJobQueue({
        db: b.resources.db,
        log: b.resources.log,
        clock: b.resources.clock,
        metrics,
        concurrency: 4,
        pollIntervalMs: 20,
        shutdownGraceMs: 500,
      });
      const type = defineJob({ name: 'test.fenced-aws', payload: z.object({}), leaseMs: 2000 });
      const unrefuse = await refuseRenewals(b.resources.db, type.name);
      const calls = new Map<number, { started: number; done: number; afterAbort: number }>();
      const results: string[] = [];
      let abortedAt: { started: number; done: number } | undefined;
      try {
        await sql`create table if not exists fenced_result (job_id text, attempt int)`.execute(
          b.resources.db,
        );
        queue.register(type, async (_p, c) => {
          const n = { started: 0, done: 0, afterAbort: 0 };
          calls.set(c.attempt, n);
          c.signal.addEventListener('abort', () => (abortedAt = { ...n }));
          try {
            // The first run would call EC2 forever; the second makes ten calls and is done.
            while (c.attempt === 1 || n.done < 10) {
              if (c.signal.aborted) n.afterAbort++;
              n.started++;
              await ec2.send(new DescribeInstancesCommand({}), { abortSignal: c.signal });
              n.done++;
              await b.resources.clock.sleep(20, c.signal);
            }
          } finally {
            // Whatever happened, each run tries to write its result; only a held claim may.
            await c
              .fence((tx) =>
                sql`insert into fenced_result values (${c.id}, ${c.attempt})`.execute(tx),
              )
              .then(
                () => results.push(`written#${c.attempt}`),
                (e: { code?: string }) => results.push(`refused#${c.attempt}:${e.code}`),
              );
          }
        });
        const { id } = await queue.enqueue(type, {});
        queue.start();
        const deadline = Date.now() + 60_000;
        let row;
        for (;;) {
          row = await b.resources.db
            .selectFrom('jobs')
            .selectAll()
            .where('id', '=', id)
            .executeTakeFirstOrThrow();
          if (row.status !== 'running' && row.status !== 'queued') break;
          if (Date.now() > deadline) throw new Error(`job still ${row.status}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        // Give a late call of the stale run every chance to show up before judging.
        await new Promise((r) => setTimeout(r, 300));
        expect(row).toMatchObject({ status: 'succeeded', attempts: 2 });
        const first = calls.get(1)!;
        const second = calls.get(2)!;
        expect(abortedAt).toBeDefined();
        // The stale run made calls before its lease ran out, and none after: the call in
        // flight was cancelled, and no other was started.
        expect(first.done).toBeGreaterThan(0);
        expect(first.afterAbort).toBe(0);
        expect(first.done).toBe(abortedAt!.done);
        expect(first.started).toBe(abortedAt!.started);
        expect(second.done).toBe(10);
        expect(results.sort()).toEqual(['refused#1:job_lease_lost', 'written#2']);
        const written = await sql<{
          attempt: number;
        }>`select attempt from fenced_result where job_id = ${id}`.execute(b.resources.db);
        expect(written.rows).toEqual([{ attempt: 2 }]);
        const text = metrics.render();
        const outcome = (o: string) =>
          counterValue(text, 'jobs_finished_total', { name: type.name, outcome: o });
        expect({ succeeded: outcome('succeeded'), lost: outcome('lease_lost') }).toEqual({
          succeeded: 1,
          lost: 1,
        });
      } finally {
        await queue.stop();
        await unrefuse();
        await b.close();
      }
    }, 120_000);
  });
}
