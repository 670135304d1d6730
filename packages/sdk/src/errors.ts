/**
 * The SDK's errors. Every error has a stable `code` to branch on; the classes group them
 * by what the caller can do about it.
 */

/** Every error the SDK throws. */
export class FerryError extends Error {
  /** A stable, machine-readable code (e.g. `version_mismatch`, `query_failed`). */
  readonly code: string;
  /** The HTTP status behind it, when a server answered. */
  readonly status: number | undefined;
  /** True when trying again later may succeed. */
  readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    options: { status?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FerryError';
    this.code = code;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
  }
}

/** Missing or refused credentials (`FERRY_URL`, `FERRY_TOKEN`, client id and secret). */
export class FerryAuthError extends FerryError {
  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'FerryAuthError';
  }
}

/** The client's and the cluster's ferry or polars versions differ (code `version_mismatch`). */
export class VersionMismatchError extends FerryError {
  constructor(message: string) {
    super('version_mismatch', message);
    this.name = 'VersionMismatchError';
  }
}

/**
 * The plan is refused before it is sent (or by the worker): credentials in a plan, a local
 * path, a source or sink that is not `s3://`, an in-memory frame that is too large.
 */
export class PlanRefusedError extends FerryError {
  constructor(code: string, message: string, options: { status?: number } = {}) {
    super(code, message, options);
    this.name = 'PlanRefusedError';
  }
}

/** The query ran and failed; `message` carries polars' error verbatim. */
export class QueryFailedError extends FerryError {
  /** The query's id. */
  readonly queryId: string;
  /** Polars' optimized plan, when the worker got that far. */
  readonly optimizedPlan: string | undefined;
  constructor(queryId: string, code: string, message: string, optimizedPlan?: string) {
    super(code, message);
    this.name = 'QueryFailedError';
    this.queryId = queryId;
    this.optimizedPlan = optimizedPlan;
  }
}

/** The query was canceled (code `query_canceled`). */
export class QueryCanceledError extends FerryError {
  readonly queryId: string;
  constructor(queryId: string) {
    super('query_canceled', `Query ${queryId} was canceled.`);
    this.name = 'QueryCanceledError';
    this.queryId = queryId;
  }
}

/** The cluster cannot take queries (not started, stopped, failed, no reachable node). */
export class ClusterUnavailableError extends FerryError {
  constructor(
    code: string,
    message: string,
    options: { status?: number; retryable?: boolean } = {},
  ) {
    super(code, message, options);
    this.name = 'ClusterUnavailableError';
  }
}

/** What a {@link NotFoundError} says is missing. */
export type MissingResource =
  'workspace' | 'cluster' | 'query' | 'connection' | 'manifest' | 'ingestion' | 'resource';

/**
 * Something the request names does not exist, or is not visible to these credentials
 * (code `not_found`); `resource` says what: a workspace, a cluster, a query, a connection…
 */
export class NotFoundError extends FerryError {
  /** What is missing. */
  readonly resource: MissingResource;
  constructor(
    resource: MissingResource,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super('not_found', message, { ...options, retryable: false });
    this.name = 'NotFoundError';
    this.resource = resource;
  }
}

/** The worker's certificate is not the one the control plane vouched for. */
export class TlsPinError extends FerryError {
  constructor(message: string) {
    super('tls_pin_mismatch', message);
    this.name = 'TlsPinError';
  }
}
