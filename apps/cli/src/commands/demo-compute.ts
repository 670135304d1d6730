/**
 * The demo's compute part, on the workspace the connect part made Active: a personal access
 * token for the CLI's calls, a cluster of 2 vCPUs and 4 GiB started and awaited until Idle
 * (its instance type and why, $/hour, nodes, first log lines), stopped and awaited until
 * Stopped, then the customer's own DescribeInstances showing no instance left running.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { createFerryClient } from '@ferry/api';
import { shellQuote } from '@ferry/core';
import type { CliIo } from '../cli-io.ts';
import { FINAL_STATES, readLogs, STARTED_STATES, waitForState } from './compute-actions.ts';
import { connect, type WorkspaceClient } from './compute-connection.ts';
import {
  formatEvents,
  formatHeadline,
  formatNodes,
  formatStarted,
  usd,
  type Cluster,
} from './compute-format.ts';
import type { ConnectDemo } from './demo-connect.ts';

/** Where the demo keeps worker bundles (shared with the tests; rebuilt when the worker changes). */
const WORKER_BUNDLE_DIR = fileURLToPath(
  new URL('../../../../node_modules/.cache/ferry/worker-bundles', import.meta.url),
);

/**
 * Control-plane settings for compute on localcloud: a node's boot script installs the worker
 * bundle the control plane serves and runs it in the foreground (the instance is a process:
 * its exit is the instance shutting itself down), a low idle-timeout floor, fast heartbeats
 * and reconcile/reap cycles. No image id: the launcher looks the image up.
 */
export function demoComputeEnv(): Record<string, string> {
  return {
    FERRY_COMPUTE_WORKER_BUNDLE_DIR: WORKER_BUNDLE_DIR,
    FERRY_COMPUTE_MIN_IDLE_TIMEOUT_MINS: '1',
    FERRY_COMPUTE_HEARTBEAT_SECONDS: '1',
    FERRY_JOBS_RECONCILE_EVERY_MS: '2000',
    FERRY_JOBS_REAP_EVERY_MS: '3000',
    FERRY_COMPUTE_LAUNCH_GRACE_MS: '30000',
  };
}

/** The demo's cluster: small, labelled, and ending itself if the demo is killed. */
export const DEMO_CLUSTER = {
  cpus: 2,
  memory: 4,
  idleTimeoutMins: 5,
  labels: { purpose: 'demo' },
} as const;

const LIVE_EC2 = new Set(['pending', 'running', 'shutting-down', 'stopping', 'stopped']);

/** What the compute part leaves behind for a running demo: a CLI environment file. */
export interface ComputeDemo {
  /** FERRY_URL, FERRY_TOKEN and FERRY_WORKSPACE for `ferry compute` and `ferry query` (owner-only file). */
  envFile: string;
  /** The token's secret, for the SDK (queries). */
  token: string;
  stop(): Promise<void>;
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** Runs the compute part; throws with a clear message when a step fails. */
export async function runComputeDemo(
  io: CliIo,
  demo: ConnectDemo,
  timeoutMs = 120_000,
): Promise<ComputeDemo> {
  const dashboard = createFerryClient({
    baseUrl: demo.controlPlaneUrl,
    headers: { cookie: demo.session.cookie, 'x-csrf-token': demo.session.csrfToken },
  });
  const pat = await dashboard.call('tokens.create', {
    body: {
      name: 'demo cli',
      scopes: ['workspace:read', 'compute:read', 'compute:start', 'queries:run'],
      expiresInDays: 1,
    },
  });
  io.stdout(
    `personal access token ${pat.token.id} created (scopes ${pat.token.scopes.join(', ')})\n`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'ferry-demo-cli-'));
  const envFile = join(dir, 'ferry.env');
  await writeFile(
    envFile,
    `export FERRY_URL=${shellQuote(demo.controlPlaneUrl)}\nexport FERRY_TOKEN=${shellQuote(pat.secret)}\nexport FERRY_WORKSPACE=${shellQuote(demo.workspaceId)}\n`,
    { mode: 0o600 },
  );
  await chmod(envFile, 0o600);
  const stop = () => rm(dir, { recursive: true, force: true });

  const wc = connect({ url: demo.controlPlaneUrl, token: pat.secret, workspace: demo.workspaceId });
  let cluster: Cluster | undefined;
  try {
    io.stdout(
      `\n$ ferry compute start --cpus ${DEMO_CLUSTER.cpus} --memory ${DEMO_CLUSTER.memory} --idle-timeout ${DEMO_CLUSTER.idleTimeoutMins} --label purpose=demo --wait\n`,
    );
    const t0 = Date.now();
    const started = await wc.client.call('compute.start', {
      params: { workspaceId: wc.workspaceId },
      body: { ...DEMO_CLUSTER, labels: { ...DEMO_CLUSTER.labels } },
    });
    cluster = started;
    io.stdout(formatStarted(started));
    cluster = await waitForState(wc, started.id, STARTED_STATES, {
      timeoutMs,
      onState: (c) => io.stdout(`  ${c.state} after ${seconds(t0)}\n`),
    });
    if (cluster.state !== 'Idle' && cluster.state !== 'Busy') {
      throw new Error(`the cluster did not become Idle: ${formatHeadline(cluster).trim()}`);
    }
    io.stdout(
      `cluster ${cluster.id} is ${cluster.state}: ${cluster.instanceType ?? '?'} at ${usd(cluster.usdPerHour)}/hour, running cost so far ${usd(cluster.runningCostUsd)}\n`,
    );
    io.stdout(formatNodes(cluster));
    await printFirstLogs(io, wc, cluster.id);

    io.stdout(`\n$ ferry compute stop ${cluster.id} --wait\n`);
    const t1 = Date.now();
    const stopping = await wc.client.call('compute.stop', {
      params: { workspaceId: wc.workspaceId, clusterId: cluster.id },
    });
    io.stdout(`  ${stopping.state}: terminating ${stopping.nodes.length} instance(s)\n`);
    cluster = await waitForState(wc, cluster.id, FINAL_STATES, {
      timeoutMs,
      onState: (c) =>
        io.stdout(`  ${c.state}${c.reason ? ` (${c.reason})` : ''} after ${seconds(t1)}\n`),
    });
    if (cluster.state !== 'Stopped') throw new Error(formatHeadline(cluster).trim());
    const events = await wc.client.call('compute.events', {
      params: { workspaceId: wc.workspaceId, clusterId: cluster.id },
    });
    io.stdout(formatEvents(events.items));
    io.stdout(`  running cost: ${usd(cluster.runningCostUsd)}\n`);
    await checkNothingRunning(io, demo, cluster);
    return { envFile, token: pat.secret, stop };
  } catch (err) {
    // Leave nothing running: the cluster is stopped whatever failed.
    if (cluster !== undefined && !FINAL_STATES.includes(cluster.state)) {
      await wc.client
        .call('compute.stop', { params: { workspaceId: wc.workspaceId, clusterId: cluster.id } })
        .then((c) => waitForState(wc, c.id, FINAL_STATES, { timeoutMs: 30_000 }))
        .catch(() => {});
    }
    await stop();
    throw err;
  }
}

/** The first lines the worker sent (they come with its heartbeats). */
async function printFirstLogs(io: CliIo, wc: WorkspaceClient, clusterId: string) {
  const deadline = Date.now() + 10_000;
  let lines = await readLogs(wc, clusterId);
  while (lines.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    lines = await readLogs(wc, clusterId);
  }
  io.stdout(`  first log lines (${lines.length} so far):\n`);
  for (const l of lines.slice(0, 5))
    io.stdout(`    ${l.at} ${l.instanceId} ${l.stream} ${l.line}\n`);
}

/** Asks EC2 as the customer: every instance of the account, none may still be running. */
async function checkNothingRunning(io: CliIo, demo: ConnectDemo, cluster: Cluster) {
  const ec2 = new EC2Client(demo.customerConfig);
  try {
    const instances = [];
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeInstancesCommand({ NextToken: token }));
      for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
      token = page.NextToken;
    } while (token !== undefined);
    const live = instances.filter((i) => LIVE_EC2.has(i.State?.Name ?? ''));
    const ours = new Set(cluster.nodes.map((n) => n.instanceId));
    io.stdout(
      `customer account (DescribeInstances as the customer): ${instances.length} instance(s), ${live.length} not terminated\n`,
    );
    for (const i of instances) {
      io.stdout(
        `  ${i.InstanceId ?? '?'} ${i.InstanceType ?? '?'} ${i.State?.Name ?? '?'}${ours.has(i.InstanceId ?? '') ? ` (cluster ${cluster.id})` : ''}\n`,
      );
    }
    if (live.length > 0)
      throw new Error(`instances left running: ${live.map((i) => i.InstanceId).join(', ')}`);
    io.stdout('no instance is left running in the customer account\n');
  } finally {
    ec2.destroy();
  }
}
