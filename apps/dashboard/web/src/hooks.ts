/** Data hooks: load once (and on demand), or keep polling while the page is open. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from './api.ts';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly loading: boolean;
  reload: () => void;
}

/** Loads with `load` whenever `deps` change; `reload()` loads again. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loadRef.current(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ data, loading: false });
      },
      (err: unknown) => {
        if (!ctl.signal.aborted) setState({ error: errorMessage(err), loading: false });
      },
    );
    return () => ctl.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/**
 * Runs `step` again and again while mounted: each run gets the previous result and decides
 * how long to wait (long-polls wait on the server, so they come back at once).
 */
export function usePolling<T>(
  step: (previous: T | undefined, signal: AbortSignal) => Promise<T>,
  options: { pauseMs: number; deps: unknown[] },
): { data: T | undefined; error: string | undefined } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const stepRef = useRef(step);
  stepRef.current = step;
  useEffect(() => {
    const ctl = new AbortController();
    let previous: T | undefined;
    const run = async () => {
      while (!ctl.signal.aborted) {
        try {
          previous = await stepRef.current(previous, ctl.signal);
          if (ctl.signal.aborted) return;
          setData(previous);
          setError(undefined);
        } catch (err) {
          if (ctl.signal.aborted) return;
          setError(errorMessage(err));
          await sleep(3000, ctl.signal);
        }
        await sleep(options.pauseMs, ctl.signal);
      }
    };
    void run();
    return () => ctl.abort();
  }, options.deps);
  return { data, error };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** A form submission's state: busy while running, and the error it ended with. */
export function useAction<A extends unknown[], R>(
  action: (...args: A) => Promise<R>,
): { run: (...args: A) => Promise<R | undefined>; busy: boolean; error: string | undefined } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (...args: A) => {
    setBusy(true);
    setError(undefined);
    try {
      return await action(...args);
    } catch (err) {
      setError(errorMessage(err));
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error };
}
