/** A submitted query: follow it, wait for its result, cancel it, read its profile. */
import pl from 'nodejs-polars';
import { QueryCanceledError, QueryFailedError } from './errors.ts';
import { QueryResult } from './query-result.ts';
import { isFinished, type QueryProfile, type QueryStatus } from './query-types.ts';
import type { QueryTransport } from './transport.ts';

/** How long one wait round asks the server to hold (seconds). */
const WAIT_ROUND_SECONDS = 25;

/** A submitted query. */
export class QueryHandle {
  readonly #transport: QueryTransport;
  readonly #id: Promise<string>;

  /** @internal */
  constructor(transport: QueryTransport, id: Promise<string>) {
    this.#transport = transport;
    this.#id = id;
    // A failed submission surfaces on the first call; never as an unhandled rejection.
    id.catch(() => {});
  }

  /** The query's id, once submitted (rejects when the submission was refused). */
  id(): Promise<string> {
    return this.#id;
  }

  /** The query's status now. */
  async status(): Promise<QueryStatus> {
    return this.#transport.wait(await this.#id, 0);
  }

  /** Waits until the query has finished and returns its final status (no error on failure). */
  async wait(options: { timeoutSeconds?: number } = {}): Promise<QueryStatus> {
    const id = await this.#id;
    const deadline = Date.now() + (options.timeoutSeconds ?? Infinity) * 1000;
    for (;;) {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      const status = await this.#transport.wait(id, Math.min(WAIT_ROUND_SECONDS, left));
      if (isFinished(status.state) || Date.now() >= deadline) return status;
    }
  }

  /** Waits for the result: the head and what it takes to read the rest. */
  async result(): Promise<QueryResult> {
    const status = await this.wait();
    if (status.state === 'Canceled') throw new QueryCanceledError(status.id);
    if (status.state === 'Failed') {
      throw new QueryFailedError(
        status.id,
        status.error?.code ?? 'query_failed',
        status.error?.message ?? `Query ${status.id} failed.`,
        status.optimizedPlan ?? undefined,
      );
    }
    const bytes = await this.#transport.head(status.id);
    const head = bytes.length === 0 ? pl.DataFrame({}) : pl.readIPCStream(bytes);
    return new QueryResult(status, head, this.#transport);
  }

  /** Cancels the query (its executor is killed on the node). */
  async cancel(): Promise<void> {
    await this.#transport.cancel(await this.#id);
  }

  /** Where the query's time went, and its cost. */
  async profile(): Promise<QueryProfile> {
    return this.#transport.profile(await this.#id);
  }
}
