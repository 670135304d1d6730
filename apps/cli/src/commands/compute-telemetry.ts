/** `ferry compute events|metrics`: a cluster's state changes, and its nodes' samples. */
import type { Command } from 'commander';
import type { CliContext } from '../cli-command.ts';
import { apiAction, printJson } from '../api-connection.ts';
import { withConnection, type ConnectionFlags } from './compute-connection.ts';
import { integerAtLeast } from './compute-flags.ts';
import { table } from './compute-format.ts';

function registerEvents(compute: Command, context: CliContext) {
  withConnection(
    compute
      .command('events')
      .argument('<clusterId>', 'the cluster (cl_…)')
      .description("A cluster's state changes with their reasons, oldest first."),
  ).action(
    apiAction<ConnectionFlags, [string]>(
      context,
      { workspace: true },
      async (api, flags, clusterId) => {
        const { items } = await api.client.call('compute.events', {
          params: { workspaceId: api.workspaceId, clusterId },
        });
        if (flags.json === true) return printJson(context, items);
        if (items.length === 0) return context.io.stdout('no events\n');
        context.io.stdout(
          table(
            ['AT', 'FROM', 'TO', 'EVENT', 'MESSAGE'],
            items.map((e) => [e.at, e.from ?? '-', e.to, e.event, e.message ?? '']),
          ),
        );
      },
    ),
  );
}

interface MetricsFlags extends ConnectionFlags {
  since?: string;
  instance?: string;
  limit?: number;
}

function registerMetrics(compute: Command, context: CliContext) {
  withConnection(
    compute
      .command('metrics')
      .argument('<clusterId>', 'the cluster (cl_…)')
      .description("CPU, memory and disk use of a cluster's nodes, sample by sample, oldest first.")
      .option('--since <time>', 'only samples after this ISO 8601 time')
      .option('--instance <id>', 'only this node (i-…)')
      .option('--limit <n>', 'at most this many samples, 1-1000', integerAtLeast(1)),
  ).action(
    apiAction<MetricsFlags, [string]>(
      context,
      { workspace: true },
      async (api, flags, clusterId) => {
        const { items } = await api.client.call('compute.metrics', {
          params: { workspaceId: api.workspaceId, clusterId },
          query: {
            ...(flags.since !== undefined ? { since: flags.since } : {}),
            ...(flags.instance !== undefined ? { instanceId: flags.instance } : {}),
            ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
          },
        });
        if (flags.json === true) return printJson(context, items);
        if (items.length === 0) return context.io.stdout('no samples\n');
        const pct = (n: number) => `${n.toFixed(1)}%`;
        context.io.stdout(
          table(
            ['AT', 'INSTANCE', 'CPU', 'MEMORY', 'DISK'],
            items.map((s) => [
              s.at,
              s.instanceId,
              pct(s.cpuPercent),
              pct(s.memoryPercent),
              pct(s.diskPercent),
            ]),
          ),
        );
      },
    ),
  );
}

/** Adds `events` and `metrics` under `ferry compute`. */
export function registerComputeTelemetry(compute: Command, context: CliContext): void {
  registerEvents(compute, context);
  registerMetrics(compute, context);
}
