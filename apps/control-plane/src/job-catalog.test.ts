import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobCatalog } from './job-catalog.ts';
import { registerJobs } from './jobs/job-catalog.ts';
import { createTestBackend, type TestBackend } from './testing/backends.ts';
import { createTestClock } from './testing/test-clock.ts';

describe('the job catalog', () => {
  let b: TestBackend;
  beforeAll(async () => {
    b = await createTestBackend('pglite', {
      clock: createTestClock(),
      env: { FERRY_JOBS_DRIFT_EVERY_MS: '0', FERRY_JOBS_QUERY_SWEEP_EVERY_MS: '7000' },
    });
  }, 180_000);
  afterAll(async () => {
    await b?.close();
  });

  it('names each job type once', () => {
    const names = jobCatalog.map((e) => e.type.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('schedules the periodic jobs at the config intervals; 0 turns one off', async () => {
    registerJobs(b.resources, jobCatalog);
    // Registered once: a second registration is an error, not a silent no-op.
    expect(() => registerJobs(b.resources, jobCatalog)).toThrow(/already registered/);
    await b.resources.jobs.runDue();
    const rows = await b.resources.db
      .selectFrom('job_schedules')
      .select(['name', 'interval_ms'])
      .orderBy('name')
      .execute();
    const c = b.resources.config;
    expect(rows).toEqual([
      { name: 'aws.phone-home.consume', interval_ms: c.jobs.phoneHomeEveryMs },
      { name: 'compute.reap', interval_ms: c.jobs.reapEveryMs },
      { name: 'compute.reconcile', interval_ms: c.jobs.reconcileEveryMs },
      { name: 'compute.telemetry.purge', interval_ms: c.jobs.telemetryPurgeEveryMs },
      { name: 'connections.retest', interval_ms: c.jobs.connectionRetestEveryMs },
      { name: 'queries.sweep', interval_ms: 7000 },
      { name: 'secrets.reencrypt', interval_ms: c.jobs.secretsReencryptEveryMs },
    ]);
  });
});
