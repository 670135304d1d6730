/**
 * Usage and cost. A node's run is the interval from its launch to its termination (open
 * while it runs); cost is its hours times its on-demand $/hour, and a workspace's usage
 * over a period sums vCPU-, GiB- and storage-hours of every run clipped to the period.
 */

/** One node's run (ms since the epoch; `end` undefined while it runs). */
export interface RunInterval {
  readonly start: number;
  readonly end?: number;
}

/** A node's run with what it had. */
export interface NodeRun extends RunInterval {
  readonly vcpus: number;
  readonly memoryGiB: number;
  readonly storageGiB: number;
  readonly usdPerHour: number;
}

/** A half-open period [from, to). */
export interface Period {
  readonly from: number;
  readonly to: number;
}

/** Usage totals. */
export interface Usage {
  readonly instanceHours: number;
  readonly vcpuHours: number;
  readonly memoryGiBHours: number;
  readonly storageGiBHours: number;
  readonly costUsd: number;
}

const HOUR_MS = 3_600_000;

/** Hours of `run` inside `period`, counting an open run up to `now`. */
export function hoursWithin(run: RunInterval, period: Period, now: number): number {
  const start = Math.max(run.start, period.from);
  const end = Math.min(run.end ?? now, period.to, now);
  return end > start ? (end - start) / HOUR_MS : 0;
}

/** Cost so far of a cluster whose nodes ran `runs` at `usdPerHour` each. */
export function runningCost(usdPerHour: number, runs: readonly RunInterval[], now: number): number {
  const all = { from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY };
  return roundUsd(runs.reduce((sum, r) => sum + hoursWithin(r, all, now), 0) * usdPerHour);
}

/** A workspace's usage over `period`. */
export function workspaceUsage(runs: readonly NodeRun[], period: Period, now: number): Usage {
  let instanceHours = 0;
  let vcpuHours = 0;
  let memoryGiBHours = 0;
  let storageGiBHours = 0;
  let cost = 0;
  for (const r of runs) {
    const h = hoursWithin(r, period, now);
    instanceHours += h;
    vcpuHours += h * r.vcpus;
    memoryGiBHours += h * r.memoryGiB;
    storageGiBHours += h * r.storageGiB;
    cost += h * r.usdPerHour;
  }
  return { instanceHours, vcpuHours, memoryGiBHours, storageGiBHours, costUsd: roundUsd(cost) };
}

/**
 * Every cost ferry reports is rounded to a millionth of a dollar. Rounding is monotone, so a
 * bound on the exact cost holds for the reported one once the bound is rounded the same way.
 */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
