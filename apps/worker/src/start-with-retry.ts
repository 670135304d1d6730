/**
 * Starts something that may fail for a moment (a service whose first step reads the
 * instance metadata, which times out on a loaded machine): tries `attempts` times, waiting
 * twice as long after each failure, and throws the last error once they are spent.
 */
export async function startWithRetry<T>(
  start: () => Promise<T>,
  options: {
    readonly attempts: number;
    /** The wait after the first failure (default 1 s); doubled after each next one. */
    readonly firstDelayMs?: number;
    readonly onFailure?: (error: unknown, attempt: number) => void;
  },
): Promise<T> {
  let delay = options.firstDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (e) {
      options.onFailure?.(e, attempt);
      if (attempt >= options.attempts) throw e;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}
