/**
 * A job type of the catalog: its name, payload schema, lease and retry policy. Types are
 * plain data (enqueue them anywhere); handlers are registered separately with the queue.
 */
import type { z } from 'zod';

/** Exponential backoff between attempts. */
export interface RetryPolicy {
  /** Delay before the second attempt. */
  initialDelayMs: number;
  /** Multiplier per further attempt. */
  factor: number;
  /** Upper bound of a delay. */
  maxDelayMs: number;
}

/** A job type: `P` is the validated payload. */
export interface JobType<P> {
  readonly name: string;
  readonly payload: z.ZodType<P>;
  /** How long a claim lasts without a heartbeat; the worker renews it at a third of this. */
  readonly leaseMs: number;
  /** Attempts before the job is dead-lettered. */
  readonly maxAttempts: number;
  readonly retry: RetryPolicy;
}

/** Defaults: 30 s lease, 5 attempts, 1 s → 5 min backoff doubling. */
export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 1000, factor: 2, maxDelayMs: 300_000 };

/** Declares a job type; the name must be unique in the catalog (`area.verb`, e.g. `stacks.watch`). */
export function defineJob<S extends z.ZodType>(def: {
  name: string;
  payload: S;
  leaseMs?: number;
  maxAttempts?: number;
  retry?: Partial<RetryPolicy>;
}): JobType<z.output<S>> {
  if (!/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/.test(def.name)) {
    throw new Error(`job name ${def.name}: expected dotted lower-case words`);
  }
  return {
    name: def.name,
    payload: def.payload as z.ZodType<z.output<S>>,
    leaseMs: def.leaseMs ?? 30_000,
    maxAttempts: def.maxAttempts ?? 5,
    retry: { ...DEFAULT_RETRY, ...def.retry },
  };
}

/** Delay before the attempt after `attempts` failed ones. */
export function backoffDelayMs(policy: RetryPolicy, attempts: number): number {
  const exp = policy.initialDelayMs * policy.factor ** Math.max(0, attempts - 1);
  return Math.min(policy.maxDelayMs, Math.round(exp));
}
