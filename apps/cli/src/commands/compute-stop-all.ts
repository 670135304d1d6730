/** `ferry compute stop --all`: every cluster of the workspace that is not Stopped or Failed. */
import type { CallOutput } from '@ferry/api';
import { CLUSTER_STATES } from '@ferry/core';
import { CliError, type CliContext } from '../cli-command.ts';
import { printJson } from '../api-connection.ts';
import { allPages } from '../paging.ts';
import { FINAL_STATES, waitForState } from './compute-actions.ts';
import type { WorkspaceClient } from './compute-connection.ts';

type Cluster = CallOutput<'compute.get'>;

/** The states a cluster can still be stopped from. */
const LIVE = CLUSTER_STATES.filter((s) => !FINAL_STATES.includes(s));

/** Stops every live cluster; with `wait`, until each is Stopped. */
export async function stopAll(
  context: CliContext,
  wc: WorkspaceClient,
  flags: { wait?: boolean; timeout: number; json?: boolean },
): Promise<void> {
  const { io } = context;
  const live = await allPages((query) =>
    wc.client.call('compute.list', {
      params: { workspaceId: wc.workspaceId },
      query: { ...query, state: LIVE.join(',') },
    }),
  );
  const stopped: Cluster[] = [];
  for (const c of live) {
    const s = await wc.client.call('compute.stop', {
      params: { workspaceId: wc.workspaceId, clusterId: c.id },
    });
    stopped.push(s);
    if (flags.json !== true) io.stdout(`cluster ${s.id}  ${s.state}\n`);
  }
  if (flags.json !== true && live.length === 0) io.stdout('no live clusters\n');
  if (flags.wait !== true) {
    if (flags.json === true) printJson(context, stopped);
    return;
  }
  const deadline = Date.now() + flags.timeout * 1000;
  const final: Cluster[] = [];
  for (const s of stopped) {
    const c = await waitForState(wc, s.id, FINAL_STATES, {
      timeoutMs: Math.max(1000, deadline - Date.now()),
    });
    final.push(c);
    if (flags.json !== true) io.stdout(`cluster ${c.id}  ${c.state}\n`);
  }
  if (flags.json === true) printJson(context, final);
  const failed = final.filter((c) => c.state !== 'Stopped');
  if (failed.length > 0)
    throw new CliError(
      'cluster_failed',
      `not stopped: ${failed.map((c) => `${c.id} (${c.state})`).join(', ')}`,
    );
}
