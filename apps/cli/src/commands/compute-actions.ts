/**
 * The compute operations behind `ferry compute` and the demo: wait for a state with the
 * `compute.wait` long-poll, read every log line since a time, follow logs until the cluster
 * ends. They take a workspace client and report through callbacks; printing is the caller's.
 */
import type { ClusterState } from '@ferry/core';
import { CliError } from '../cli-command.ts';
import type { WorkspaceClient } from './compute-connection.ts';
import type { Cluster, LogLine } from './compute-format.ts';

/** States after which a cluster never changes again. */
export const FINAL_STATES: readonly ClusterState[] = ['Stopped', 'Failed'];
/** What `start --wait` waits for: anything but Starting. */
export const STARTED_STATES: readonly ClusterState[] = [
  'Idle',
  'Busy',
  'Stopping',
  'Stopped',
  'Failed',
];

/** The long-poll's own cap (seconds), from the API contract. */
const MAX_WAIT_SECONDS = 30;

export interface WaitOptions {
  /** Give up after this long (a CliError `wait_timeout`). */
  timeoutMs: number;
  /** Called with the cluster whenever its state differs from the last one seen. */
  onState?: (cluster: Cluster) => void;
  signal?: AbortSignal;
}

/** Long-polls until the cluster is in one of `states`; answers the cluster. */
export async function waitForState(
  { client, workspaceId }: WorkspaceClient,
  clusterId: string,
  states: readonly ClusterState[],
  options: WaitOptions,
): Promise<Cluster> {
  const deadline = Date.now() + options.timeoutMs;
  let last: ClusterState | undefined;
  for (;;) {
    const remaining = deadline - Date.now();
    const cluster = await client.call('compute.wait', {
      params: { workspaceId, clusterId },
      query: {
        state: states.join(','),
        waitSeconds: Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.ceil(remaining / 1000))),
      },
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    if (cluster.state !== last) {
      last = cluster.state;
      options.onState?.(cluster);
    }
    if (states.includes(cluster.state)) return cluster;
    if (Date.now() >= deadline) {
      throw new CliError(
        'wait_timeout',
        `cluster ${clusterId} is still ${cluster.state} after ${Math.round(options.timeoutMs / 1000)} s (waiting for ${states.join(' or ')})`,
      );
    }
  }
}

export interface LogQuery {
  /** Only lines after this time (ISO 8601). */
  since?: string;
  instanceId?: string;
}

// The API's largest page.
const LOG_PAGE = 1000;

/** Every log line after `since`, oldest first, paging by time. */
export async function readLogs(
  { client, workspaceId }: WorkspaceClient,
  clusterId: string,
  query: LogQuery = {},
  signal?: AbortSignal,
): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let since = query.since;
  for (;;) {
    const page = await client.call('compute.logs', {
      params: { workspaceId, clusterId },
      query: {
        limit: LOG_PAGE,
        ...(since !== undefined ? { since } : {}),
        ...(query.instanceId !== undefined ? { instanceId: query.instanceId } : {}),
      },
      ...(signal !== undefined ? { signal } : {}),
    });
    lines.push(...page.items);
    const next = page.items.at(-1)?.at;
    // A short page is the last; a page that does not move time forward would repeat forever.
    if (page.items.length < LOG_PAGE || next === undefined || next === since) return lines;
    since = next;
  }
}

export interface FollowOptions extends LogQuery {
  /** Time between polls when nothing new arrived. */
  pollMs?: number;
  onLine: (line: LogLine) => void;
  signal?: AbortSignal;
}

/**
 * Prints lines as they arrive until the cluster is Stopped or Failed and no line is left
 * (or the signal aborts). Answers the cluster's final state, or undefined when aborted.
 */
export async function followLogs(
  wc: WorkspaceClient,
  clusterId: string,
  options: FollowOptions,
): Promise<ClusterState | undefined> {
  let since = options.since;
  const pollMs = options.pollMs ?? 1000;
  for (;;) {
    if (options.signal?.aborted === true) return undefined;
    // Read the state before the lines: lines written before it ended are then all seen.
    const cluster = await wc.client.call('compute.get', {
      params: { workspaceId: wc.workspaceId, clusterId },
    });
    const lines = await readLogs(
      wc,
      clusterId,
      {
        ...(since !== undefined ? { since } : {}),
        ...(options.instanceId !== undefined ? { instanceId: options.instanceId } : {}),
      },
      options.signal,
    );
    for (const line of lines) options.onLine(line);
    since = lines.at(-1)?.at ?? since;
    if (FINAL_STATES.includes(cluster.state)) return cluster.state;
    await sleep(pollMs, options.signal);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
