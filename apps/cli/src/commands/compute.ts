/**
 * `ferry compute start|stop|list|status|logs|usage` and `ferry compute manifest
 * put|list|get|delete`: clusters in a workspace through the control plane's API.
 */
import { Option, type Command } from 'commander';
import { CliError, type CliCommand, type CliContext } from '../cli-command.ts';
import {
  FINAL_STATES,
  followLogs,
  readLogs,
  STARTED_STATES,
  waitForState,
} from './compute-actions.ts';
import { apiAction } from '../api-connection.ts';
import { stopAll } from './compute-stop-all.ts';
import { registerComputeTelemetry } from './compute-telemetry.ts';
import {
  printJson,
  withConnection,
  type ConnectionFlags,
  type WorkspaceClient,
} from './compute-connection.ts';
import {
  collectLabel,
  contextFromFlags,
  decimal,
  integer,
  integerAtLeast,
  startBody,
  type ContextFlags,
} from './compute-flags.ts';
import {
  formatClusterList,
  formatLogLine,
  formatManifest,
  formatManifestList,
  formatNodes,
  formatStarted,
  formatStatus,
  usd,
  type Cluster,
  type Manifest,
} from './compute-format.ts';

type Flags<T> = T & ConnectionFlags;

const DEFAULT_WAIT_SECONDS = 600;

/** Adds the compute-context flags (start and manifest put). */
function withContextFlags(command: Command): Command {
  return command
    .option('--cpus <n>', 'at least this many vCPUs per node (default 2)', integer)
    .option('--memory <GiB>', 'at least this much memory per node, GiB (default 8)', decimal)
    .option('--instance-type <type>', 'this instance type instead of --cpus/--memory')
    .option('--storage <GiB>', 'root volume per node, GiB (default 32)', integer)
    .option('--cluster-size <n>', 'number of nodes (default 1)', integer)
    .addOption(
      new Option('--connection-mode <mode>', 'how clients reach it (default direct)').choices([
        'direct',
        'proxy',
      ]),
    )
    .option(
      '--idle-timeout <minutes>',
      'stop after this long with no query and no client (default: the workspace’s, else 60)',
      integer,
    )
    .option('--label <key=value>', 'a label (repeatable)', collectLabel)
    .addOption(
      new Option('--architecture <arch>', 'CPU architecture (default any)').choices([
        'x86_64',
        'arm64',
        'any',
      ]),
    );
}

function waitOption(command: Command, what: string): Command {
  return command
    .option('--wait', what)
    .option(
      '--timeout <seconds>',
      'with --wait, give up after this long',
      integerAtLeast(1),
      DEFAULT_WAIT_SECONDS,
    );
}

function stateLine(c: Cluster): string {
  const ended = c.reason !== null ? ` (${c.reason})` : '';
  const error = c.error !== null ? `: ${c.error.code}: ${c.error.message}` : '';
  return `  ${c.updatedAt}  ${c.state}${ended}${error}\n`;
}

/** Action wrapper: connect to the workspace, run, report failures. */
function action<T extends ConnectionFlags, A extends unknown[]>(
  context: CliContext,
  body: (wc: WorkspaceClient, flags: T, ...args: A) => Promise<void>,
) {
  return apiAction<T, A>(context, { workspace: true }, body);
}

function registerStart(compute: Command, context: CliContext) {
  const { io } = context;
  const start = withConnection(
    waitOption(
      withContextFlags(
        compute
          .command('start')
          .description(
            'Start a cluster: the cheapest instance type with at least --cpus and --memory (or --instance-type), or the spec of --manifest (its live cluster is returned if it has one). Prints the type chosen and why.',
          ),
      ).option('--manifest <name>', 'start from a registered manifest (no other context flag)'),
      'wait until the cluster is Idle (or Failed)',
    ),
  );
  start.action(
    action<Flags<ContextFlags & { manifest?: string; wait?: boolean; timeout: number }>, []>(
      context,
      async (wc, flags) => {
        const started = await wc.client.call('compute.start', {
          params: { workspaceId: wc.workspaceId },
          body: startBody(flags),
        });
        if (flags.json !== true) io.stdout(formatStarted(started));
        if (flags.wait !== true) {
          if (flags.json === true) printJson(context, started);
          return;
        }
        if (flags.json !== true) io.stdout('waiting for Idle:\n');
        const cluster = await waitForState(wc, started.id, STARTED_STATES, {
          timeoutMs: flags.timeout * 1000,
          onState: (c) => {
            if (flags.json !== true) io.stdout(stateLine(c));
          },
        });
        if (flags.json === true) printJson(context, { ...cluster, reused: started.reused });
        else io.stdout(formatNodes(cluster));
        if (cluster.state !== 'Idle' && cluster.state !== 'Busy') {
          throw new CliError(
            'cluster_failed',
            `cluster ${cluster.id} is ${cluster.state}${cluster.error !== null ? ` (${cluster.error.code}: ${cluster.error.message})` : ''}`,
          );
        }
      },
    ),
  );
}

function registerStop(compute: Command, context: CliContext) {
  const { io } = context;
  withConnection(
    waitOption(
      compute
        .command('stop')
        .argument('[clusterId]', 'the cluster (cl_…)')
        .option('--all', 'stop every cluster of the workspace that is not Stopped or Failed')
        .description(
          'Stop a cluster (or --all): its instances are terminated; it is Stopped once EC2 reports every one terminated. Stopping a stopped cluster does nothing.',
        ),
      'wait until the cluster is Stopped',
    ),
  ).action(
    action<Flags<{ wait?: boolean; timeout: number; all?: boolean }>, [string | undefined]>(
      context,
      async (wc, flags, clusterId) => {
        if (flags.all === true && clusterId !== undefined)
          throw new CliError('usage', 'give a cluster id or --all, not both');
        if (flags.all === true) return stopAll(context, wc, flags);
        if (clusterId === undefined)
          throw new CliError('usage', 'missing the cluster id (or --all for every live cluster)');
        const stopped = await wc.client.call('compute.stop', {
          params: { workspaceId: wc.workspaceId, clusterId },
        });
        if (flags.wait !== true) {
          if (flags.json === true) printJson(context, stopped);
          else io.stdout(`cluster ${stopped.id}  ${stopped.state}\n`);
          return;
        }
        if (flags.json !== true) io.stdout(`cluster ${stopped.id}: waiting for Stopped:\n`);
        const cluster = await waitForState(wc, clusterId, FINAL_STATES, {
          timeoutMs: flags.timeout * 1000,
          onState: (c) => {
            if (flags.json !== true) io.stdout(stateLine(c));
          },
        });
        if (flags.json === true) printJson(context, cluster);
        else io.stdout(`  running cost: ${usd(cluster.runningCostUsd)}\n`);
        if (cluster.state !== 'Stopped')
          throw new CliError('cluster_failed', `cluster ${cluster.id} is ${cluster.state}`);
      },
    ),
  );
}

function registerList(compute: Command, context: CliContext) {
  withConnection(
    compute
      .command('list')
      .description("List the workspace's clusters, newest first.")
      .option('--state <states>', 'only these states, comma-separated (e.g. Idle,Busy)')
      .option('--label <key=value>', 'only clusters with this label')
      .option('--limit <n>', 'at most this many', integerAtLeast(1), 50),
  ).action(
    action<Flags<{ state?: string; label?: string; limit: number }>, []>(
      context,
      async (wc, flags) => {
        const clusters: Cluster[] = [];
        let cursor: string | undefined;
        do {
          const page = await wc.client.call('compute.list', {
            params: { workspaceId: wc.workspaceId },
            query: {
              limit: Math.min(100, Math.max(1, flags.limit - clusters.length)),
              ...(flags.state !== undefined ? { state: flags.state } : {}),
              ...(flags.label !== undefined ? { label: flags.label } : {}),
              ...(cursor !== undefined ? { cursor } : {}),
            },
          });
          clusters.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined && clusters.length < flags.limit);
        const shown = clusters.slice(0, flags.limit);
        if (flags.json === true) printJson(context, shown);
        else context.io.stdout(formatClusterList(shown));
      },
    ),
  );
}

function registerStatus(compute: Command, context: CliContext) {
  withConnection(
    compute
      .command('status')
      .argument('<clusterId>', 'the cluster (cl_…)')
      .description(
        'Show a cluster: state, instance type and why, $/hour, running cost, nodes and recent events.',
      )
      .option('--events <n>', 'how many recent events (default 10)', integerAtLeast(0), 10),
  ).action(
    action<Flags<{ events: number }>, [string]>(context, async (wc, flags, clusterId) => {
      const params = { workspaceId: wc.workspaceId, clusterId };
      const [cluster, events] = await Promise.all([
        wc.client.call('compute.get', { params }),
        wc.client.call('compute.events', { params }),
      ]);
      const recent = flags.events > 0 ? events.items.slice(-flags.events) : [];
      if (flags.json === true) printJson(context, { ...cluster, events: recent });
      else context.io.stdout(formatStatus(cluster, recent));
    }),
  );
}

function registerLogs(compute: Command, context: CliContext) {
  withConnection(
    compute
      .command('logs')
      .argument('<clusterId>', 'the cluster (cl_…)')
      .description("Print the log lines of a cluster's nodes, oldest first.")
      .option('--since <time>', 'only lines after this ISO 8601 time')
      .option('--instance <id>', 'only this node (i-…)')
      .option('--follow', 'keep printing new lines until the cluster is Stopped or Failed')
      .option(
        '--poll <ms>',
        'with --follow, time between polls (default 1000)',
        integerAtLeast(100),
        1000,
      ),
  ).action(
    action<Flags<{ since?: string; instance?: string; follow?: boolean; poll: number }>, [string]>(
      context,
      async (wc, flags, clusterId) => {
        const query = {
          ...(flags.since !== undefined ? { since: flags.since } : {}),
          ...(flags.instance !== undefined ? { instanceId: flags.instance } : {}),
        };
        const print =
          flags.json === true
            ? (l: Parameters<typeof formatLogLine>[0]) =>
                context.io.stdout(`${JSON.stringify(l)}\n`)
            : (l: Parameters<typeof formatLogLine>[0]) => context.io.stdout(formatLogLine(l));
        if (flags.follow === true) {
          // JSON Lines, so a script can read lines as they come.
          await followLogs(wc, clusterId, { ...query, pollMs: flags.poll, onLine: print });
          return;
        }
        const lines = await readLogs(wc, clusterId, query);
        if (flags.json === true) printJson(context, lines);
        else for (const l of lines) print(l);
      },
    ),
  );
}

function registerUsage(compute: Command, context: CliContext) {
  withConnection(
    compute
      .command('usage')
      .description(
        "The workspace's usage over a period: instance-, vCPU-, memory- and storage-hours and cost.",
      )
      .option('--from <time>', 'start of the period (ISO 8601)')
      .option('--to <time>', 'end of the period (ISO 8601; default now)'),
  ).action(
    action<Flags<{ from?: string; to?: string }>, []>(context, async (wc, flags) => {
      const u = await wc.client.call('compute.usage', {
        params: { workspaceId: wc.workspaceId },
        query: {
          ...(flags.from !== undefined ? { from: flags.from } : {}),
          ...(flags.to !== undefined ? { to: flags.to } : {}),
        },
      });
      if (flags.json === true) return printJson(context, u);
      context.io.stdout(
        [
          `usage of ${u.workspaceId} from ${u.from} to ${u.to}`,
          `  instance-hours:    ${u.instanceHours.toFixed(3)}`,
          `  vCPU-hours:        ${u.vcpuHours.toFixed(3)}`,
          `  memory GiB-hours:  ${u.memoryGiBHours.toFixed(3)}`,
          `  storage GiB-hours: ${u.storageGiBHours.toFixed(3)}`,
          `  cost:              ${usd(u.costUsd)}`,
          '',
        ].join('\n'),
      );
    }),
  );
}

function registerManifests(compute: Command, context: CliContext) {
  const manifest = compute
    .command('manifest')
    .description(
      'Named compute specs: at most one live cluster per manifest; starting it again returns that cluster.',
    );
  const show = (flags: ConnectionFlags, m: Manifest) =>
    flags.json === true ? printJson(context, m) : context.io.stdout(formatManifest(m));
  withConnection(
    withContextFlags(
      manifest
        .command('put')
        .argument('<name>', 'lower-case letters, digits and -')
        .description('Register or replace a manifest with the context the flags give.'),
    ),
  ).action(
    action<Flags<ContextFlags>, [string]>(context, async (wc, flags, name) => {
      const m = await wc.client.call('manifests.put', {
        params: { workspaceId: wc.workspaceId, name },
        body: contextFromFlags(flags),
      });
      show(flags, m);
    }),
  );
  withConnection(manifest.command('list').description("List the workspace's manifests.")).action(
    action<Flags<object>, []>(context, async (wc, flags) => {
      const all: Manifest[] = [];
      let cursor: string | undefined;
      do {
        const page = await wc.client.call('manifests.list', {
          params: { workspaceId: wc.workspaceId },
          query: { limit: 100, ...(cursor !== undefined ? { cursor } : {}) },
        });
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      if (flags.json === true) printJson(context, all);
      else context.io.stdout(formatManifestList(all));
    }),
  );
  withConnection(
    manifest.command('get').argument('<name>').description('Show a manifest and its live cluster.'),
  ).action(
    action<Flags<object>, [string]>(context, async (wc, flags, name) => {
      show(
        flags,
        await wc.client.call('manifests.get', { params: { workspaceId: wc.workspaceId, name } }),
      );
    }),
  );
  withConnection(
    manifest
      .command('delete')
      .argument('<name>')
      .description('Delete a manifest (its live cluster keeps running).'),
  ).action(
    action<Flags<object>, [string]>(context, async (wc, flags, name) => {
      await wc.client.call('manifests.delete', { params: { workspaceId: wc.workspaceId, name } });
      if (flags.json === true) printJson(context, { deleted: name });
      else context.io.stdout(`manifest ${name} deleted\n`);
    }),
  );
}

export const computeCommand: CliCommand = {
  name: 'compute',
  register(program, context) {
    const compute = program
      .command('compute')
      .description(
        'Start, stop and inspect compute clusters in a workspace (--url, --token, --workspace; else FERRY_URL, FERRY_TOKEN, FERRY_WORKSPACE; else the profile `ferry login` saved). See docs/compute.md.',
      );
    registerStart(compute, context);
    registerStop(compute, context);
    registerList(compute, context);
    registerStatus(compute, context);
    registerLogs(compute, context);
    registerUsage(compute, context);
    registerManifests(compute, context);
    registerComputeTelemetry(compute, context);
  },
};
