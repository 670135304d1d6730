/**
 * Wake-ups for long-polling receivers: a ReceiveMessage waiting on an empty queue resumes
 * as soon as a message arrives (or becomes visible again), not at the end of its wait.
 * Kept per cloud, outside the persisted state.
 */
import type { Cloud } from '../../core/contract.ts';

type Wake = () => void;

function waiters(cloud: Cloud): Map<string, Set<Wake>> {
  return cloud.runtime('sqs/waiters', () => new Map<string, Set<Wake>>());
}

/** Resolves after `ms`, or earlier when `notify(queueArn)` is called, or `signal` aborts. */
export function waitForQueue(
  cloud: Cloud,
  queueArn: string,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    const set = waiters(cloud).get(queueArn) ?? new Set<Wake>();
    waiters(cloud).set(queueArn, set);
    const wake: Wake = () => {
      clearTimeout(timer);
      set.delete(wake);
      signal?.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, Math.max(0, ms));
    set.add(wake);
    signal?.addEventListener('abort', wake);
  });
}

/** Wakes every receiver waiting on the queue. */
export function notifyQueue(cloud: Cloud, queueArn: string): void {
  const set = waiters(cloud).get(queueArn);
  if (set === undefined) return;
  for (const wake of [...set]) wake();
}

const stopped = new WeakSet<Cloud>();

/** Wakes every receiver and makes long polls return at once (shutdown). */
export function stopWaiting(cloud: Cloud): void {
  stopped.add(cloud);
  for (const arn of [...waiters(cloud).keys()]) notifyQueue(cloud, arn);
}

/** True once the cloud is shutting down: long polls stop waiting. */
export function isStopping(cloud: Cloud): boolean {
  return stopped.has(cloud);
}
