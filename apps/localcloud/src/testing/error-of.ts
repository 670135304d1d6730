/** What a test reads from a failed AWS SDK v3 call: the error's name, message and HTTP status. */
export interface CallError {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * The error a call rejects with; the test fails when the call succeeds. Given the service's
 * exception class, anything else (a network error, a bug in the test) is thrown again rather
 * than compared as if the service had answered it.
 */
export async function errorOf(promise: Promise<unknown>): Promise<CallError>;
export async function errorOf<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E>;
export async function errorOf(
  promise: Promise<unknown>,
  type?: abstract new (...args: never[]) => Error,
): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    if (type === undefined || error instanceof type) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}
