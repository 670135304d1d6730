/** What the SDK says about a query, whichever mode ran it. */

/** A query's state. */
export type QueryState = 'Queued' | 'Running' | 'Succeeded' | 'Failed' | 'Canceled';

/** A query's status. */
export interface QueryStatus {
  /** The query's id (`qry_…`). */
  readonly id: string;
  readonly state: QueryState;
  /** The error when Failed (polars' message verbatim) or Canceled. */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Total rows of the result. */
  readonly rowCount: number | null;
  /** Bytes of the result files. */
  readonly bytes: number | null;
  /** Where the full result is (`s3://…`), or the sink's target. */
  readonly location: string | null;
  /** Column name → polars dtype. */
  readonly schema: Readonly<Record<string, string>> | null;
  readonly queuedAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** Polars' optimized plan, as text. */
  readonly optimizedPlan: string | null;
}

/** One timed phase of a query (queue wait, plan check, credential injection, execution…). */
export interface QueryPhase {
  readonly name: string;
  readonly ms: number;
}

/** Where a query's time went. */
export interface QueryProfile {
  readonly queryId: string;
  readonly phases: readonly QueryPhase[];
  /** The node's CPU and memory during the query (from the control plane). */
  readonly samples: readonly { at: string; cpuPercent: number; memoryPercent: number }[];
  /** The node's $/hour × the query's running time. */
  readonly costUsd: number | null;
}

/** True once the query can no longer change. */
export function isFinished(state: QueryState): boolean {
  return state === 'Succeeded' || state === 'Failed' || state === 'Canceled';
}
