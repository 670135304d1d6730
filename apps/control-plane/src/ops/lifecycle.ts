/** Shared process state the ops endpoints report: set while shutting down. */

/** Mutable lifecycle flags of one process. */
export interface Lifecycle {
  /** True once shutdown began: readiness fails so load balancers drain the replica. */
  draining: boolean;
}

/** A fresh, not-draining lifecycle. */
export function createLifecycle(): Lifecycle {
  return { draining: false };
}
