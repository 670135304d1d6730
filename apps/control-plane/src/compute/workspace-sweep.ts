/**
 * One background cycle over workspaces, shared by the reconciler and the reaper: per
 * workspace, an EC2 client of the Unattended role for a system actor, the work, and the
 * tallies. Workspaces are visited `compute.sweepConcurrency` at a time: each lives in its
 * own customer account with its own API limits, so waiting on one account's answers must
 * not hold up the others (throttling stays per call, in `ec2-retry.ts`). A workspace that
 * is no longer connected is skipped; one whose work fails is logged and counted (the next
 * cycle retries it); an aborted cycle simply ends.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Resources } from '../resources.ts';
import type { CallCounter, SendOptions } from './ec2-retry.ts';
import { ec2As, loadWorkspaceAws, WorkspaceNotConnectedError } from './workspace-aws.ts';

/** The outcome of one cycle. */
export interface SweepReport<A extends Record<string, number>> {
  /** Workspaces visited. */
  readonly workspaces: number;
  /** AWS calls sent (EC2; the broker's cached sessions cost none). */
  readonly awsCalls: number;
  /** Actions executed, by kind. */
  readonly actions: A;
  /** Workspaces whose work failed (logged; retried next cycle). */
  readonly failed: number;
  readonly ms: number;
}

/** Options of a cycle. */
export interface SweepOptions {
  readonly signal?: AbortSignal;
  /** Only these workspaces (default: the cycle's own choice). */
  readonly workspaceIds?: readonly string[];
}

/** Runs `visit` for each workspace as `system:<actor>` with the Unattended role. */
export async function sweepWorkspaces<A extends Record<string, number>>(
  resources: Resources,
  workspaceIds: readonly string[],
  options: { actor: string; actions: A; signal?: AbortSignal | undefined },
  visit: (workspaceId: string, ec2: EC2Client, send: SendOptions) => Promise<A>,
): Promise<SweepReport<A>> {
  const started = Date.now();
  const counter: CallCounter = { calls: 0 };
  const send: SendOptions = { counter, ...(options.signal ? { signal: options.signal } : {}) };
  const actions = { ...options.actions };
  let visited = 0;
  let failed = 0;
  const visitOne = async (workspaceId: string): Promise<void> => {
    try {
      const ws = await loadWorkspaceAws(resources, workspaceId);
      visited++;
      const ec2 = await ec2As(resources, ws, 'Unattended', { kind: 'system', name: options.actor });
      try {
        const done = await visit(workspaceId, ec2, send);
        const tally: Record<string, number> = actions;
        for (const [k, n] of Object.entries(done)) tally[k] = (tally[k] ?? 0) + n;
      } finally {
        ec2.destroy();
      }
    } catch (err) {
      if (err instanceof WorkspaceNotConnectedError || options.signal?.aborted) return;
      failed++;
      resources.log.warn({ err, workspaceId }, `${options.actor}: a workspace's cycle failed`);
    }
  };
  let next = 0;
  const lanes = Math.min(resources.config.compute.sweepConcurrency, workspaceIds.length);
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < workspaceIds.length && !options.signal?.aborted) {
        await visitOne(workspaceIds[next++]!);
      }
    }),
  );
  return {
    workspaces: visited,
    awsCalls: counter.calls,
    actions,
    failed,
    ms: Date.now() - started,
  };
}
