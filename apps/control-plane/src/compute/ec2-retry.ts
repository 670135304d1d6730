/**
 * Sending EC2 calls the way compute needs them: throttling and server errors are retried
 * with `nextDelay`'s capped exponential backoff and jitter (beyond the SDK's own few
 * attempts), and every call sent is counted so a cycle can report what it cost.
 */
import {
  classifyAwsError,
  DEFAULT_RETRY_POLICY,
  nextDelay,
  type AwsErrorClass,
  type RetryPolicy,
} from '@ferry/core';
import { awsErrorCode } from '../aws/aws-clients.ts';

/** Counts the AWS calls of one unit of work (a cycle, a launch). */
export interface CallCounter {
  calls: number;
}

/** Options of {@link sendEc2}. */
export interface SendOptions {
  readonly counter?: CallCounter;
  readonly signal?: AbortSignal;
  readonly policy?: RetryPolicy;
  readonly rng?: () => number;
}

/** The code, HTTP status and class of an AWS SDK error. */
export function describeAwsError(err: unknown): {
  code: string;
  status: number | undefined;
  kind: AwsErrorClass;
  message: string;
} {
  const code = awsErrorCode(err);
  const status =
    err !== null && typeof err === 'object'
      ? (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
      : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return {
    code,
    status,
    kind: classifyAwsError({ code, ...(status !== undefined ? { status } : {}) }),
    message,
  };
}

/**
 * Runs `call` (one SDK send), retrying throttling and 5xx answers until the policy gives
 * up (then the last error is thrown). The caller resends the same command object, so a
 * ClientToken stays the same across retries.
 */
export async function retryEc2<Out>(
  call: (signal: AbortSignal | undefined) => Promise<Out>,
  options: SendOptions = {},
): Promise<Out> {
  const rng = options.rng ?? Math.random;
  for (let retry = 0; ; retry++) {
    if (options.counter) options.counter.calls++;
    try {
      return await call(options.signal);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const delay =
        describeAwsError(err).kind === 'throttle'
          ? nextDelay(retry, rng, options.policy ?? DEFAULT_RETRY_POLICY)
          : undefined;
      if (delay === undefined) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Every page of a paged EC2 Describe call, concatenated by `items`. */
export async function allPages<Page extends { NextToken?: string | undefined }, Item>(
  fetchPage: (nextToken: string | undefined) => Promise<Page>,
  items: (page: Page) => readonly Item[] | undefined,
): Promise<Item[]> {
  const out: Item[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    out.push(...(items(page) ?? []));
    token = page.NextToken || undefined;
  } while (token !== undefined);
  return out;
}

/** The SDK's per-call options for an optional abort signal. */
export function abortable(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}
