/**
 * The launch benchmark: how long ferry itself adds to starting a cluster. localcloud boots
 * an instance in a configured time (`pendingMs`, the stand-in for EC2's boot); everything
 * else between the start call and the cluster answering Idle is ferry's — selection, the
 * launch job, CreateFleet, the node's worker starting and registering, the first
 * heartbeat. Clusters are started one after another on one connected workspace and each
 * is stopped before the next; the figure is (start → Idle) − pendingMs, with the cluster's
 * own event times as the breakdown.
 */
import { clusters, type ClusterEvent } from '../../test/e2e/fixtures/compute-helpers.ts';
import { startConnectedWorkspace } from '../../test/e2e/fixtures/connected-workspace.ts';

export interface LaunchBenchOptions {
  /** Clusters started (one after another). */
  readonly runs: number;
  /** localcloud's configured boot time of an instance. */
  readonly pendingMs: number;
  readonly log?: (line: string) => void;
}

/** One start, in milliseconds from the start call. */
export interface LaunchRun {
  readonly toIdleMs: number;
  /** toIdleMs − pendingMs: what ferry adds. */
  readonly overheadMs: number;
  /** Each state change's time from the start call, e.g. `Starting→Idle 2150`. */
  readonly events: readonly string[];
}

export interface LaunchBenchResult {
  readonly pendingMs: number;
  readonly runs: readonly LaunchRun[];
  readonly medianOverheadMs: number;
  readonly maxOverheadMs: number;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

export async function runLaunchBench(options: LaunchBenchOptions): Promise<LaunchBenchResult> {
  const log = options.log ?? (() => {});
  const f = await startConnectedWorkspace({ ec2: { pendingMs: options.pendingMs } });
  try {
    const api = clusters(f);
    const runs: LaunchRun[] = [];
    for (let i = 0; i < options.runs; i++) {
      const t0 = Date.now();
      const started = await api.start({ cpus: 2, memory: 4 });
      if (started.status !== 201 && started.status !== 200) {
        throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
      }
      const id = started.body.id;
      const idle = await api.waitFor(id, ['Idle'], 120_000);
      const toIdleMs = Date.now() - t0;
      const since = (at: string | null | undefined): number =>
        at ? new Date(at).getTime() - t0 : NaN;
      const node = idle.nodes[0];
      const events = [
        ...(await api.events(id)).map(
          (e: ClusterEvent) => `${e.from ?? '∅'}→${e.to} ${since(e.at)}`,
        ),
        `launched ${since(node?.launchedAt)}`,
        `registered ${since(node?.registeredAt)}`,
      ];
      runs.push({ toIdleMs, overheadMs: toIdleMs - options.pendingMs, events });
      log(`run ${i + 1}: Idle after ${toIdleMs} ms (${events.join(', ')})`);
      await api.stop(id);
      await api.waitFor(id, ['Stopped'], 120_000);
    }
    const overheads = runs.map((r) => r.overheadMs);
    return {
      pendingMs: options.pendingMs,
      runs,
      medianOverheadMs: median(overheads),
      maxOverheadMs: Math.max(...overheads),
    };
  } finally {
    await f.stop();
  }
}

/** The figures as Markdown. */
export function formatLaunchBench(r: LaunchBenchResult): string {
  return [
    `localcloud boot time (pendingMs): ${r.pendingMs} ms; ${r.runs.length} clusters started one after another.`,
    '',
    '| run | start → Idle ms | ferry overhead ms (− boot) | state changes (ms from the start call) |',
    '|---:|---:|---:|---|',
    ...r.runs.map(
      (run, i) => `| ${i + 1} | ${run.toIdleMs} | ${run.overheadMs} | ${run.events.join(', ')} |`,
    ),
    '',
    `- median overhead **${r.medianOverheadMs} ms**, max ${r.maxOverheadMs} ms (target ≤ 1,000 ms)`,
    '- `launched`: the instance recorded after CreateFleet; `registered`: the worker on the node registered with the control plane.',
  ].join('\n');
}
