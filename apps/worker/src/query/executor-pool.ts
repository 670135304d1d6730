/**
 * A pool of pre-started executor child processes (see executor-child.ts). Each runs one
 * query at a time; `kill` stops a query at once (SIGKILL) and a fresh executor takes the
 * dead one's place, so a cancel, a timeout or an executor that ran out of memory never
 * leaves the pool short. Executors start with the Worker role's credentials in their
 * environment (polars' fallback while planning SQL); `recycle` replaces idle executors
 * when the credentials change, busy ones after their query.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecFailure, ExecJob, ExecSuccess, FromExecutor } from './executor-protocol.ts';

/** The executor's entry beside this module: `.ts` in the sources, `.js` in the bundled worker. */
export const EXECUTOR_CHILD = fileURLToPath(
  new URL(`./executor-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

/** How one run ended. */
export type ExecOutcome =
  | { readonly kind: 'done'; readonly result: ExecSuccess }
  | { readonly kind: 'failed'; readonly error: ExecFailure }
  /** Killed by the pool on request (cancel, timeout, stop). */
  | { readonly kind: 'killed'; readonly reason: string }
  /** Died by itself (out of memory, a crash). */
  | { readonly kind: 'died'; readonly signal: string | null; readonly exitCode: number | null };

/** How the write of a result that came back `writing` ended. */
export type WriteOutcome =
  | { readonly ok: true; readonly resultWriteMs: number }
  | { readonly ok: false; readonly message: string; readonly resultWriteMs?: number };

export interface Run {
  readonly outcome: Promise<ExecOutcome>;
  /** After a `done` outcome that is still `writing`: the end of the write. */
  readonly written: Promise<WriteOutcome>;
  readonly pid: number | undefined;
  /** Stops the query at once; the outcome becomes `killed` with this reason. */
  kill(reason: string): void;
}

export interface ExecutorPool {
  readonly size: number;
  /** Waits until an executor is free, then runs the job on it. */
  run(job: ExecJob): Promise<Run>;
  /** Free executors now. */
  idle(): number;
  /** The polars version the executors load (after the first one is ready). */
  readonly polarsVersion: Promise<string>;
  /** Replace executors started with an older environment. */
  recycle(): void;
  stop(): Promise<void>;
}

export interface ExecutorPoolOptions {
  readonly size: number;
  /** The environment each new executor starts with (called at each start). */
  readonly env: () => Record<string, string>;
  readonly log: (message: string) => void;
  readonly childPath?: string;
}

interface Executor {
  readonly child: ChildProcess;
  readonly generation: number;
  ready: boolean;
  busy: boolean;
  onMessage?: (m: FromExecutor) => void;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  killReason?: string;
}

export function createExecutorPool(options: ExecutorPoolOptions): ExecutorPool {
  const executors = new Set<Executor>();
  const waiters: ((e: Executor) => void)[] = [];
  let generation = 0;
  let stopped = false;
  let resolveVersion: (v: string) => void = () => undefined;
  const polarsVersion = new Promise<string>((r) => (resolveVersion = r));

  const handOut = (e: Executor) => {
    if (!e.ready || e.busy || stopped) return;
    if (e.generation !== generation) {
      e.child.kill('SIGKILL');
      return;
    }
    const waiter = waiters.shift();
    if (waiter === undefined) return;
    e.busy = true;
    waiter(e);
  };

  const spawn = () => {
    if (stopped) return;
    const child = fork(options.childPath ?? EXECUTOR_CHILD, [], {
      env: options.env(),
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const e: Executor = { child, generation, ready: false, busy: false };
    executors.add(e);
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') options.log(`executor ${child.pid ?? '?'}: ${line}`);
    };
    child.stdout?.on('data', relay);
    child.stderr?.on('data', relay);
    child.on('message', (m: FromExecutor) => {
      if (m.type === 'ready') {
        e.ready = true;
        resolveVersion(m.polarsVersion);
        handOut(e);
      } else e.onMessage?.(m);
    });
    child.on('error', (err) => options.log(`executor ${child.pid ?? '?'}: ${err.message}`));
    child.on('exit', (code, signal) => {
      executors.delete(e);
      e.onExit?.(code, signal);
      spawn();
    });
  };

  for (let i = 0; i < options.size; i++) spawn();

  return {
    size: options.size,
    polarsVersion,
    idle: () => [...executors].filter((e) => e.ready && !e.busy).length,
    async run(job) {
      const e = await new Promise<Executor>((resolve) => {
        waiters.push(resolve);
        for (const x of executors) handOut(x);
      });
      let settle: (o: ExecOutcome) => void = () => undefined;
      const outcome = new Promise<ExecOutcome>((r) => (settle = r));
      let settleWrite: (o: WriteOutcome) => void = () => undefined;
      const written = new Promise<WriteOutcome>((r) => (settleWrite = r));
      const release = () => {
        e.onMessage = undefined;
        e.onExit = undefined;
        e.busy = false;
        handOut(e);
      };
      e.onMessage = (m) => {
        if (m.type === 'ready' || m.queryId !== job.queryId) return;
        if (m.type === 'done') {
          settle({ kind: 'done', result: m.result });
          // The executor stays this query's until the result is written.
          if (m.result.writing) return;
          settleWrite({ ok: true, resultWriteMs: 0 });
        } else if (m.type === 'failed') {
          settle({ kind: 'failed', error: m.error });
          settleWrite({ ok: false, message: m.error.message });
        } else if (m.type === 'written') {
          settleWrite({ ok: true, resultWriteMs: m.resultWriteMs });
        } else {
          settleWrite({ ok: false, message: m.message, resultWriteMs: m.resultWriteMs });
        }
        release();
      };
      e.onExit = (code, signal) => {
        const end: ExecOutcome =
          e.killReason !== undefined
            ? { kind: 'killed', reason: e.killReason }
            : { kind: 'died', signal, exitCode: code };
        settle(end);
        settleWrite({
          ok: false,
          message:
            end.kind === 'killed'
              ? `the write was stopped (${end.reason})`
              : `the executor ${signal !== null ? `was killed by ${signal}` : `exited with ${code}`}`,
        });
      };
      e.child.send({ type: 'run', job });
      return {
        outcome,
        written,
        pid: e.child.pid,
        kill(reason) {
          if (e.killReason !== undefined || e.child.exitCode !== null) return;
          e.killReason = reason;
          e.child.kill('SIGKILL');
        },
      };
    },
    recycle() {
      generation += 1;
      for (const e of executors) if (e.ready && !e.busy) e.child.kill('SIGKILL');
    },
    async stop() {
      stopped = true;
      const exits = [...executors].map(
        (e) =>
          new Promise<void>((resolve) => {
            if (e.child.exitCode !== null || e.child.signalCode !== null) return resolve();
            e.child.once('exit', () => resolve());
            e.killReason ??= 'the worker is stopping';
            e.child.kill('SIGKILL');
          }),
      );
      await Promise.all(exits);
    },
  };
}
