/**
 * No query stays Running when what runs it dies. The control plane runs as its own process
 * (`ferry server` on PostgreSQL) and a direct-mode cluster runs queries sent through the
 * SDK: the control plane SIGKILLed mid-query and started again ends the query Failed with
 * the worker's reason (its report waited for the control plane to come back); the worker
 * SIGKILLed mid-query ends it Failed with the node's loss as the reason. At the end no
 * query of the workspace is Queued or Running.
 */
import { ComputeContext, remote } from '@ferry/sdk';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_EC2_STATES, until, workerCommand } from './fixtures/connected-workspace.ts';
import {
  commandLine,
  cpuTicks,
  descendants,
  queryToken,
  writeQueryData,
} from './fixtures/query-helpers.ts';
import { handOverToServer, type ServerHandover } from './fixtures/server-handover.ts';

const began = Date.now();
const progress = (line: string) =>
  console.log(`remote-queries-crash +${((Date.now() - began) / 1000).toFixed(1)}s: ${line}`);

let world: ServerHandover | undefined;
let port = 0;
let token = '';
let trips = '';

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

const sdkOptions = () => ({
  url: `http://127.0.0.1:${port}`,
  token,
  workspace: world!.fx.workspaceId,
});

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
        `/api/v1/workspaces/${world!.fx.workspaceId}/queries/${queryId}/wait?waitSeconds=5`,
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
  world = await handOverToServer({
    before: async (fx) => {
      trips = (await writeQueryData(fx)).trips;
      token = await queryToken(fx);
    },
    env: {
      FERRY_COMPUTE_WORKER_COMMAND: workerCommand(),
      FERRY_JOBS_RECONCILE_EVERY_MS: '2000',
      FERRY_COMPUTE_LAUNCH_GRACE_MS: '30000',
    },
  });
  port = world.port;
  await world.start();
  progress('ferry server started');
}, 240_000);

afterAll(async () => {
  const fx = world?.fx;
  if (fx && world?.server) {
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
          (await fx.instances()).every((i) => !LIVE_EC2_STATES.has(i.state)) ? true : undefined,
        60_000,
      );
    } catch (err) {
      console.error('remote-queries-crash cleanup failed:', err);
    }
  }
  await world?.close();
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
    await world!.server!.kill();
    progress('control plane killed mid-query');
    // The worker ends the query (its timeout) while the control plane is down.
    const seen = await handle.wait({ timeoutSeconds: 30 });
    expect(seen.state).toBe('Failed');
    await new Promise((r) => setTimeout(r, 2000));
    await world!.start();
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
          `/api/v1/workspaces/${world!.fx.workspaceId}/queries/${id}`,
        );
        return res.body.state === 'Running' ? true : undefined;
      },
      30_000,
    );
    const status = await ctx.status();
    const instanceId = status.nodes[0]?.instanceId;
    const inst = (await world!.fx.instances()).find((i) => i.instanceId === instanceId);
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
      `/api/v1/workspaces/${world!.fx.workspaceId}/queries?state=Queued,Running&limit=100`,
    );
    expect(left.body.items).toEqual([]);
  }, 180_000);
});
