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
  /** The result's columns and their polars dtypes. */
  readonly schema: readonly { readonly name: string; readonly dtype: string }[] | null;
  readonly queuedAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** Polars' optimized plan, as text. */
  readonly optimizedPlan: string | null;
}

/** Milliseconds per phase of a query, as its node measured them. */
export interface QueryPhases {
  readonly queueWaitMs?: number;
  readonly planCheckMs?: number;
  readonly credentialInjectionMs?: number;
  readonly executionMs?: number;
  readonly resultWriteMs?: number;
  readonly uploadMs?: number;
}

/** Where a query's time went. */
export interface QueryProfile {
  readonly queryId: string;
  readonly phases: QueryPhases;
  /** Which polars engine ran it. */
  readonly engine?: 'streaming' | 'in-memory' | undefined;
  /** The node's CPU and memory while the query ran. */
  readonly samples: readonly { at: string; cpuPercent: number; memoryUsedBytes: number }[];
  /** The node's $/hour × the query's running time. */
  readonly costUsd: number | null;
}

/** True once the query can no longer change. */
export function isFinished(state: QueryState): boolean {
  return state === 'Succeeded' || state === 'Failed' || state === 'Canceled';
}
