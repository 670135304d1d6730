/**
 * The job catalog's entries: a job type (name, payload schema, lease, retries), the handler
 * that runs it, and its schedule when it is periodic, read from the config. Each area
 * exports its entries (`compute/compute-jobs.ts`, …); `job-catalog.ts` lists them all, and
 * the server registers that list once, so nothing depends on who registers first.
 */
import type { Config } from '../config/config-schema.ts';
import type { Resources } from '../resources.ts';
import type { JobContext } from './job-queue.ts';
import type { JobType } from './job-type.ts';

/** One job of the catalog. */
export interface JobEntry<P = unknown> {
  readonly type: JobType<P>;
  /** Runs one job. Must be idempotent: a run may repeat after a crash. */
  run(resources: Resources, payload: P, ctx: JobContext): Promise<void>;
  /** Periodic jobs: the interval from the config (0: not scheduled) and the payload. */
  readonly schedule?: { every(config: Config): number; payload: P };
}

/** Declares an entry (typed by its job type's payload). */
export function jobEntry<P>(entry: JobEntry<P>): JobEntry<P> {
  return entry;
}

/** Registers every entry's handler and schedule with the resources' queue. */
export function registerJobs(resources: Resources, entries: readonly JobEntry[]): void {
  for (const entry of entries) {
    resources.jobs.register(entry.type, (payload, ctx) => entry.run(resources, payload, ctx));
  }
  for (const entry of entries) {
    if (!entry.schedule) continue;
    const everyMs = entry.schedule.every(resources.config);
    if (everyMs > 0) {
      resources.jobs.schedule(entry.type, { everyMs, payload: entry.schedule.payload });
    }
  }
}
