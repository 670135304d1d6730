/**
 * Ending the node. `exit` ends the agent's process: on localcloud (and any host that runs
 * the agent as the instance's main process) that is the instance shutting itself down,
 * which with InstanceInitiatedShutdownBehavior=terminate terminates it. `poweroff` runs
 * the system's `poweroff` for real machines, where the same behaviour applies. Either way
 * no EC2 permission is needed. The last logs are flushed first, within a time limit.
 */
import { spawn } from 'node:child_process';
import type { ShutdownMode } from './config.ts';

export interface ShutdownOptions {
  readonly mode: ShutdownMode;
  /** Why the node stops, for the log. */
  readonly reason: string;
  /** 0 for a planned shutdown (idle, stopped by the control plane), non-zero for a failure. */
  readonly exitCode: number;
  /** Sends the last heartbeat and logs; bounded by `flushTimeoutMs`. */
  readonly flush: () => Promise<void>;
  readonly flushTimeoutMs?: number;
  readonly log: (message: string) => void;
  /** Defaults: process.exit and spawning `poweroff`; tests pass their own. */
  readonly exit?: (code: number) => void;
  readonly poweroff?: () => Promise<number>;
}

/** Runs `poweroff`; resolves with its exit status (non-zero or -1 when it could not run). */
export function runPoweroff(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('poweroff', [], { stdio: 'inherit' });
    child.once('error', () => resolve(-1));
    child.once('exit', (code) => resolve(code ?? -1));
  });
}

export async function shutdownNode(options: ShutdownOptions): Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  options.log(`shutting down (${options.mode}): ${options.reason}`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.flushTimeoutMs ?? 5000);
  });
  try {
    const outcome = await Promise.race([options.flush().then(() => 'flushed' as const), timedOut]);
    if (outcome === 'timeout') options.log('last logs not delivered in time; shutting down anyway');
  } catch {
    // The flush logs its own failure; shutting down matters more than the last lines.
  } finally {
    clearTimeout(timer);
  }
  if (options.mode === 'exit') {
    exit(options.exitCode);
    return;
  }
  const status = await (options.poweroff ?? runPoweroff)();
  if (status !== 0) {
    // Without poweroff the machine keeps running; the control plane's reaper ends it.
    options.log(`poweroff failed (status ${status}); exiting`);
    exit(options.exitCode === 0 ? 1 : options.exitCode);
  }
}
