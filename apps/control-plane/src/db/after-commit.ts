/**
 * Work to do once a transaction has committed, e.g. telling the job queue that a job it
 * enqueued is now visible. Only a transaction that commits through ferry's own code (a
 * request's, see `http/request-transaction.ts`) carries hooks; elsewhere `afterCommit`
 * answers false and the caller falls back to what it did before (the job queue's poll).
 */
const HOOKS = Symbol('ferry.afterCommit');

/** What a transaction handle carries: the hooks to run after its commit. */
export interface AfterCommitHooks {
  readonly [HOOKS]: (() => void)[];
}

/** The key under which a transaction handle exposes its hooks. */
export const AFTER_COMMIT_HOOKS: typeof HOOKS = HOOKS;

/**
 * Runs `fn` after `db`'s transaction commits (never if it rolls back): true when `db` can
 * promise that, false when it cannot (a plain connection or a transaction opened elsewhere).
 */
export function afterCommit(db: object, fn: () => void): boolean {
  const hooks = (db as unknown as Partial<AfterCommitHooks>)[HOOKS];
  if (hooks === undefined) return false;
  hooks.push(fn);
  return true;
}
