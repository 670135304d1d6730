/**
 * The agent's two calls to its control plane, through ferry's typed client (paths and
 * schemas from @ferry/api's `nodes.register` / `nodes.heartbeat` contracts): register once,
 * trading the bootstrap token for a node token, then heartbeat with the node token in the
 * `x-ferry-node-token` header. Registration is retried with capped exponential backoff and
 * jitter while the answer may change: 409 `node_not_recorded` (the launcher has not
 * recorded this instance yet), throttling, server errors and network failures.
 */
import {
  createFerryClient,
  FerryApiError,
  type CallInput,
  type CallOutput,
  type FerryClient,
} from '@ferry/api';
import { nextDelay, type RetryPolicy } from '@ferry/core';

export type RegisterBody = CallInput<'nodes.register'>['body'];
export type RegisteredNode = CallOutput<'nodes.register'>;
export type HeartbeatBody = CallInput<'nodes.heartbeat'>['body'];
export type HeartbeatAnswer = CallOutput<'nodes.heartbeat'>;

export const NODE_TOKEN_HEADER = 'x-ferry-node-token';

export interface ControlPlaneClient {
  register(body: RegisterBody): Promise<RegisteredNode>;
  heartbeat(nodeToken: string, body: HeartbeatBody): Promise<HeartbeatAnswer>;
}

export function createControlPlaneClient(options: {
  baseUrl: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}): ControlPlaneClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const anonymous = createFerryClient({ baseUrl: options.baseUrl });
  let withToken: { token: string; client: FerryClient } | undefined;
  return {
    register: (body) =>
      anonymous.call('nodes.register', { body, signal: AbortSignal.timeout(timeoutMs) }),
    heartbeat(nodeToken, body) {
      if (withToken?.token !== nodeToken) {
        withToken = {
          token: nodeToken,
          client: createFerryClient({
            baseUrl: options.baseUrl,
            headers: { [NODE_TOKEN_HEADER]: nodeToken },
          }),
        };
      }
      return withToken.client.call('nodes.heartbeat', {
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    },
  };
}

/** What to make of a failed call: try again, or give up (the answer will not change). */
export function isRetryable(error: unknown): boolean {
  if (error instanceof FerryApiError) {
    if (error.code === 'node_not_recorded') return true;
    return error.retryable;
  }
  // fetch's network failures (TypeError) and timeouts (AbortSignal.timeout's TimeoutError).
  return true;
}

/** A short description of a failed call for the log (never a token: errors carry none). */
export function describeError(error: unknown): string {
  if (error instanceof FerryApiError) return `${error.status} ${error.code}: ${error.message}`;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}

/** Registration failed for good: the control plane refuses this node. */
export class RegistrationRefusedError extends Error {}

export interface RegisterRetryOptions {
  readonly log: (message: string) => void;
  readonly now: () => number;
  /** Give up after this long (default 15 minutes). */
  readonly giveUpAfterMs?: number;
  readonly policy?: RetryPolicy;
  readonly rng?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Aborting ends the retries (the agent is shutting down). */
  readonly signal?: AbortSignal;
}

/** 1 s doubling up to 15 s between tries (full jitter); the deadline bounds the total. */
export const REGISTER_RETRY_POLICY: RetryPolicy = {
  baseMs: 1000,
  capMs: 15_000,
  maxRetries: Number.MAX_SAFE_INTEGER,
};

/** Registers, retrying while it may still succeed; throws RegistrationRefusedError if not. */
export async function registerWithRetry(
  client: ControlPlaneClient,
  body: RegisterBody,
  options: RegisterRetryOptions,
): Promise<RegisteredNode> {
  const giveUpAt = options.now() + (options.giveUpAfterMs ?? 15 * 60_000);
  const sleep =
    options.sleep ??
    ((ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        options.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      }));
  const rng = options.rng ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await client.register(body);
    } catch (error) {
      const why = describeError(error);
      if (!isRetryable(error))
        throw new RegistrationRefusedError(`the control plane refused registration: ${why}`, {
          cause: error,
        });
      // Full jitter can draw 0; a floor keeps a tight loop off the control plane.
      const delay = Math.max(
        100,
        nextDelay(attempt, rng, options.policy ?? REGISTER_RETRY_POLICY) ?? 0,
      );
      if (options.now() + delay > giveUpAt)
        throw new RegistrationRefusedError(
          `registration did not succeed after ${attempt + 1} attempts: ${why}`,
          { cause: error },
        );
      options.log(`register attempt ${attempt + 1} failed (${why}); retrying in ${delay} ms`);
      await sleep(delay);
    }
  }
}
