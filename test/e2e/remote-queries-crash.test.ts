/**
 * No query stays Running when what runs it dies. The control plane runs as its own process
 * (`ferry server` on PostgreSQL) and a direct-mode cluster runs queries sent through the
 * SDK: the control plane SIGKILLed mid-query and started again ends the query Failed with
 * the worker's reason (its report waited for the control plane to come back); the worker
 * SIGKILLed mid-query ends it Failed with the node's loss as the reason. At the end no
 * query of the workspace is Queued or Running.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComputeContext, remote } from '@ferry/sdk';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePostgresServer } from '../../apps/control-plane/src/testing/backends.ts';
import {
  createTestDatabase,
  dropTestDatabase,
  freePort,
  type PostgresServerInfo,
} from '../../apps/control-plane/src/testing/postgres-server.ts';
import {
  startConnectedWorkspace,
  until,
  workerCommand,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';
import {
  commandLine,
  cpuTicks,
  descendants,
  queryToken,
  writeQueryData,
} from './fixtures/query-helpers.ts';
import { spawnServer, type ServerProcess } from './fixtures/server-process.ts';

const ACTIVE_EC2 = new Set(['pending', 'running', 'stopping', 'stopped']);
const began = Date.now();
const progress = (line: string) =>
  console.log(`remote-queries-crash +${((Date.now() - began) / 1000).toFixed(1)}s: ${line}`);

let pgServer: PostgresServerInfo;
let databaseUrl = '';
let fx: ConnectedWorkspace | undefined;
let server: ServerProcess | undefined;
let dataDir = '';
let port = 0;
let serverEnv: Record<string, string> = {};
let token = '';
let trips = '';

async function startServer(): Promise<void> {
  server = await spawnServer({ port, databaseUrl, dataDir, env: serverEnv });
}

/** Calls the API with the token (the process may be down: the caller retries). */
async function api<T>(method: string, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface QueryView {
  id: string;
  state: string;
  error: { code: string; message: string } | null;
}

const sdkOptions = () => ({ url: `http://127.0.0.1:${port}`, token, workspace: fx!.workspaceId });

/** A plan that would take minutes of CPU (a 4·10¹⁰-row cross join). */
const longPlan = () => {
  const t = pl.scanParquet(trips);
  return t
    .join(t.select(pl.col('fare').alias('f2')), { how: 'cross' })
    .select(pl.col('fare').add(pl.col('f2')).sum());
};

async function waitFinished(queryId: string, timeoutMs: number): Promise<QueryView> {
  return until(
    `query ${queryId} to finish`,
    async () => {
      const res = await api<QueryView>(
        'GET',
        `/api/v1/workspaces/${fx!.workspaceId}/queries/${queryId}/wait?waitSeconds=5`,
      ).catch(() => undefined);
      return res?.status === 200 && !['Queued', 'Running'].includes(res.body.state)
        ? res.body
        : undefined;
    },
    timeoutMs,
    250,
  );
}

beforeAll(async () => {
  pgServer = await usePostgresServer();
  databaseUrl = await createTestDatabase(pgServer);
  const secretsKey = randomBytes(32).toString('base64');
  // Connected by an in-process control plane on the same database, which then hands over.
  fx = await startConnectedWorkspace({
    configure: (config) => {
      config.database.url = databaseUrl;
      config.secretsKey = secretsKey;
    },
  });
  trips = (await writeQueryData(fx)).trips;
  token = await queryToken(fx);
  await fx.controlPlane.stop();
  dataDir = await mkdtemp(join(tmpdir(), 'ferry-query-crash-'));
  port = await freePort();
  serverEnv = {
    FERRY_SECRETS_KEY: secretsKey,
    FERRY_AWS_REGION: 'us-east-1',
    FERRY_AWS_ENDPOINT_URL: fx.cloud.url,
    FERRY_AWS_ACCESS_KEY_ID: fx.platform.accessKeyId,
    FERRY_AWS_SECRET_ACCESS_KEY: fx.platform.secretAccessKey,
    FERRY_LOG_LEVEL: 'warn',
    FERRY_RATE_LIMIT_PER_MINUTE: '100000',
    FERRY_JOBS_POLL_INTERVAL_MS: '100',
    FERRY_JOBS_SHUTDOWN_GRACE_MS: '2000',
    FERRY_COMPUTE_WORKER_COMMAND: workerCommand(),
    FERRY_COMPUTE_MIN_IDLE_TIMEOUT_MINS: '1',
    FERRY_COMPUTE_HEARTBEAT_SECONDS: '1',
    FERRY_COMPUTE_RECONCILE_EVERY_MS: '2000',
    FERRY_COMPUTE_LAUNCH_GRACE_MS: '30000',
  };
  await startServer();
  progress('ferry server started');
}, 240_000);

afterAll(async () => {
  if (fx && server) {
    try {
      const list = await api<{ items: { id: string; state: string }[] }>(
        'GET',
        `/api/v1/workspaces/${fx.workspaceId}/clusters?limit=100`,
      );
      for (const c of list.body.items) {
        if (!['Stopped', 'Failed'].includes(c.state)) {
          const ctx = await ComputeContext.connect(c.id, sdkOptions());
          await ctx.stop().catch(() => undefined);
        }
      }
      await until(
        'every instance to terminate',
        async () =>
          (await fx!.instances()).every((i) => !ACTIVE_EC2.has(i.state)) ? true : undefined,
        60_000,
      );
    } catch (err) {
      console.error('remote-queries-crash cleanup failed:', err);
    }
  }
  await server?.stop();
  await fx?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  if (databaseUrl) await dropTestDatabase(pgServer, databaseUrl);
  progress('stopped');
}, 120_000);

describe('a query whose control plane or worker dies', () => {
  let ctx: ComputeContext;

  it('the control plane SIGKILLed mid-query: the query ends Failed with the reason', async () => {
    ctx = await new ComputeContext({
      ...sdkOptions(),
      cpus: 1,
      memory: 1,
      connectionMode: 'direct',
      startTimeoutSeconds: 120,
    }).start();
    progress(`cluster ${ctx.clusterId} Idle`);
    const handle = remote(longPlan(), ctx, { timeoutSeconds: 4 }).submit();
    const id = await handle.id();
    await until(
      'the query to run',
      async () => ((await handle.status()).state === 'Running' ? true : undefined),
      30_000,
    );
    await server!.kill();
    progress('control plane killed mid-query');
    // The worker ends the query (its timeout) while the control plane is down.
    const seen = await handle.wait({ timeoutSeconds: 30 });
    expect(seen.state).toBe('Failed');
    await new Promise((r) => setTimeout(r, 2000));
    await startServer();
    progress('control plane started again');
    const done = await waitFinished(id, 60_000);
    expect(done.state).toBe('Failed');
    expect(done.error?.code).toBe('timeout');
    expect(done.error?.message).toMatch(/ran longer than its timeout of 4 s/);
  }, 180_000);

  it('the worker SIGKILLed mid-query: the query ends Failed with the reason', async () => {
    const handle = remote(longPlan(), ctx).submit();
    const id = await handle.id();
    await until(
      'the query to run',
      async () => ((await handle.status()).state === 'Running' ? true : undefined),
      30_000,
    );
    await until(
      'the control plane to record it Running',
      async () => {
        const res = await api<QueryView>(
          'GET',
          `/api/v1/workspaces/${fx!.workspaceId}/queries/${id}`,
        );
        return res.body.state === 'Running' ? true : undefined;
      },
      30_000,
    );
    const status = await ctx.status();
    const instanceId = status.nodes[0]?.instanceId;
    const inst = (await fx!.instances()).find((i) => i.instanceId === instanceId);
    // The instance's process is the worker (its user-data runs it in place).
    const pid = inst?.pid ?? -1;
    expect(commandLine(pid)).toContain('app/main.js');
    const executors = descendants(pid).filter((p) => commandLine(p.pid).includes('executor-child'));
    expect(executors.length).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    progress('worker killed mid-query');
    const done = await waitFinished(id, 90_000);
    expect(done.state).toBe('Failed');
    expect(done.error?.code).toBe('node_lost');
    expect(done.error?.message).toContain(
      `Node ${instanceId} was terminated while the query was Running`,
    );
    progress(`query ended: ${done.error?.message}`);
    // Its executors went with the node: nothing still computes the query.
    await until(
      'the executors to end',
      () =>
        Promise.resolve(executors.every((p) => cpuTicks(p.pid) === undefined) ? true : undefined),
      30_000,
    );

    const left = await api<{ items: QueryView[] }>(
      'GET',
      `/api/v1/workspaces/${fx!.workspaceId}/queries?state=Queued,Running&limit=100`,
    );
    expect(left.body.items).toEqual([]);
  }, 180_000);
});
