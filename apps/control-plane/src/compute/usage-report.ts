/**
 * A workspace's compute usage over a period: every node's run (launch → termination, or now)
 * clipped to the period, in instance-, vCPU-, GiB- and storage-hours and dollars.
 */
import type { UsageReport } from '@ferry/api';
import { ValidationError, workspaceUsage } from '@ferry/core';
import type { Resources } from '../resources.ts';

/** The period shown when none is given: the last 30 days. */
export const DEFAULT_USAGE_DAYS = 30;

/** The `compute.usage` route. */
export async function usageReport(
  resources: Pick<Resources, 'db' | 'clock'>,
  workspaceId: string,
  query: { from?: string | undefined; to?: string | undefined },
): Promise<UsageReport> {
  const now = resources.clock.now().getTime();
  const to = query.to !== undefined ? new Date(query.to).getTime() : now;
  const from =
    query.from !== undefined
      ? new Date(query.from).getTime()
      : to - DEFAULT_USAGE_DAYS * 86_400_000;
  if (from >= to) {
    throw new ValidationError('query.from: must be before to', {
      details: [{ path: 'query.from', message: 'must be before to' }],
    });
  }
  const rows = await resources.db
    .selectFrom('cluster_nodes')
    .select(['launched_at', 'terminated_at', 'vcpus', 'memory_gib', 'storage_gib', 'usd_per_hour'])
    .where('workspace_id', '=', workspaceId)
    .where('launched_at', '<', new Date(to))
    .where((eb) =>
      eb.or([eb('terminated_at', 'is', null), eb('terminated_at', '>', new Date(from))]),
    )
    .execute();
  const usage = workspaceUsage(
    rows.map((r) => ({
      start: r.launched_at.getTime(),
      ...(r.terminated_at ? { end: r.terminated_at.getTime() } : {}),
      vcpus: r.vcpus,
      memoryGiB: r.memory_gib,
      storageGiB: r.storage_gib,
      usdPerHour: r.usd_per_hour,
    })),
    { from, to },
    now,
  );
  return {
    workspaceId,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    ...usage,
  };
}
