/**
 * The reconcile benchmark: localcloud and the control plane in process, many workspaces
 * each connected to its own customer account (one stack each, as customers deploy them —
 * `--shared-account` puts them all in one account instead), live
 * clusters seeded with real tagged instances, then reconcile cycles measured — AWS calls
 * per cycle (from `ferry_aws_requests_total`, the control plane's own request counter)
 * and cycle time. Three scenarios in one run show what the calls follow: more clusters in
 * the same workspaces must not add calls; more workspaces must.
 *
 * Seeding bypasses the launcher on purpose (1,000 launches would measure the launcher):
 * each cluster row and node row is written as the launcher leaves them, and its instance
 * is launched by the customer's administrator with ferry's tags — what DescribeInstances
 * then shows is exactly what it shows for launched clusters (minus the fleet tag).
 */
import { EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { newId, normalizeComputeContext, tagSpecifications } from '@ferry/core';
import type { Resources } from '@ferry/control-plane';
import {
  driftJob,
  phoneHomeJob,
  verifyJob,
} from '../../apps/control-plane/src/aws/aws-setup-jobs.ts';
import { loadWorkspaceAws } from '../../apps/control-plane/src/compute/workspace-aws.ts';
import {
  startConnectedWorkspace,
  type ConnectedWorkspace,
} from '../../test/e2e/fixtures/connected-workspace.ts';
import { connectWorkspace } from './connect-workspace.ts';
import { runReconcileCycle } from './reconcile-cycle.ts';

/** Sizes of a run. */
export interface BenchOptions {
  /** The measured size: this many workspaces… */
  readonly workspaces: number;
  /** …holding this many clusters in total. */
  readonly clusters: number;
  /** Baseline: fewer workspaces, first with few clusters, then with `clusters`. */
  readonly baseWorkspaces: number;
  readonly baseClusters: number;
  /** Measured cycles per scenario (after one warm-up cycle). */
  readonly cycles: number;
  /** Workspaces connected at once (stacks deployed in parallel). */
  readonly connectConcurrency?: number;
  /** Every workspace in the fixture's one customer account (default: one account each). */
  readonly sharedAccount?: boolean;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** One measured reconcile cycle. */
export interface CycleMeasure {
  readonly ms: number;
  /** Every AWS request the cycle sent, by `service:Operation`. */
  readonly calls: Readonly<Record<string, number>>;
  readonly total: number;
  /** What the reconciler itself reported, if it reports a count. */
  readonly reported: number | undefined;
}

/** One scenario's figures. */
export interface ScenarioResult {
  readonly name: string;
  readonly workspaces: number;
  readonly clusters: number;
  readonly instances: number;
  readonly warmUp: CycleMeasure;
  readonly cycles: readonly CycleMeasure[];
  /** Median of the measured cycles. */
  readonly medianMs: number;
  /** Calls per measured cycle (the largest, should they differ). */
  readonly callsPerCycle: number;
  readonly describeInstancesPerCycle: number;
}

/** The whole run. */
export interface BenchResult {
  readonly scenarios: readonly ScenarioResult[];
  /** Setup timings (ms): connecting the workspaces, seeding each scenario. */
  readonly setup: Readonly<Record<string, number>>;
}

/** The issue's target for 1,000 workspaces and 10,000 clusters on a 2-core machine. */
const TARGET_CYCLE_S = 10;
const TARGET_WORKSPACES = 1000;
const TARGET_CLUSTERS = 10_000;
const IMAGE_ID = 'ami-0123456789abcdef0';
const INSTANCE_TYPE = 'm7i.large';
const SEED_CONCURRENCY = 16;

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T>(
  items: readonly T[],
  n: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** `ferry_aws_requests_total` by `service:Operation`, read from the registry's exposition. */
export function awsRequestCounts(resources: Resources): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of resources.metrics.render().split('\n')) {
    const m = /^ferry_aws_requests_total\{([^}]*)\}\s+(\d+(?:\.\d+)?)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1] ?? ''] = l[2] ?? '';
    const key = `${labels['service'] ?? '?'}:${labels['operation'] ?? '?'}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

function diff(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

async function measureCycle(resources: Resources): Promise<CycleMeasure> {
  const before = awsRequestCounts(resources);
  const t0 = performance.now();
  const reported = await runReconcileCycle(resources);
  const ms = performance.now() - t0;
  const calls = diff(awsRequestCounts(resources), before);
  return { ms, calls, total: Object.values(calls).reduce((a, b) => a + b, 0), reported };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] ?? 0) : 0;
};

/** How many clusters each workspace should hold: `clusters` spread evenly over `workspaces`. */
export function spread(workspaces: readonly string[], clusters: number): Map<string, number> {
  return new Map(
    workspaces.map((w, i) => [
      w,
      Math.floor(clusters / workspaces.length) + (i < clusters % workspaces.length ? 1 : 0),
    ]),
  );
}

type Account = ConnectedWorkspace['customer'];

/** The seeded world: live clusters per workspace, each with one running instance. */
class World {
  readonly live = new Map<string, { clusterId: string; instanceId: string }[]>();
  private readonly subnets = new Map<string, string>();
  private readonly fx: ConnectedWorkspace;
  /** The account of each workspace, and one administrator EC2 client per account. */
  private readonly accountOf: ReadonlyMap<string, Account>;
  private readonly clients = new Map<string, EC2Client>();

  constructor(fx: ConnectedWorkspace, accountOf: ReadonlyMap<string, Account>) {
    this.fx = fx;
    this.accountOf = accountOf;
  }

  private ec2(workspaceId: string): EC2Client {
    const account = this.accountOf.get(workspaceId) ?? this.fx.customer;
    let client = this.clients.get(account.accountId);
    if (client === undefined) {
      // localcloud under a thousand launches may drop a connection: let the SDK retry.
      client = new EC2Client({ ...this.fx.configFor(account), maxAttempts: 8 });
      this.clients.set(account.accountId, client);
    }
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.destroy();
  }

  get instances(): number {
    let n = 0;
    for (const l of this.live.values()) n += l.length;
    return n;
  }

  /** Adds or retires clusters until each workspace holds its target (others hold none). */
  async reshape(target: Map<string, number>): Promise<void> {
    const add: string[] = [];
    const retire: { workspaceId: string; clusterId: string; instanceId: string }[] = [];
    for (const ws of new Set([...target.keys(), ...this.live.keys()])) {
      const have = this.live.get(ws) ?? [];
      const want = target.get(ws) ?? 0;
      for (let i = have.length; i < want; i++) add.push(ws);
      retire.push(...have.splice(want).map((c) => ({ ...c, workspaceId: ws })));
      this.live.set(ws, have);
    }
    await this.retire(retire);
    await pool(add, SEED_CONCURRENCY, (ws) => this.seedCluster(ws));
  }

  private async subnetOf(workspaceId: string): Promise<string> {
    let subnet = this.subnets.get(workspaceId);
    if (subnet === undefined) {
      const ws = await loadWorkspaceAws(this.fx.resources, workspaceId);
      subnet = ws.subnetIds[0] ?? '';
      this.subnets.set(workspaceId, subnet);
    }
    return subnet;
  }

  /** A live cluster as the launcher leaves it: row, node, and a tagged running instance. */
  private async seedCluster(workspaceId: string): Promise<void> {
    const { resources, orgId, userId } = this.fx;
    const now = new Date();
    const clusterId = newId('cluster', now.getTime());
    const run = await this.ec2(workspaceId).send(
      new RunInstancesCommand({
        ImageId: IMAGE_ID,
        InstanceType: INSTANCE_TYPE,
        MinCount: 1,
        MaxCount: 1,
        SubnetId: await this.subnetOf(workspaceId),
        // No IMDS and no user-data: the instance is a record in EC2, not a process.
        MetadataOptions: { HttpEndpoint: 'disabled' },
        TagSpecifications: tagSpecifications(workspaceId, clusterId, ['instance', 'volume']),
      }),
    );
    const instance = run.Instances?.[0];
    if (!instance?.InstanceId)
      throw new Error(`RunInstances returned no instance for ${clusterId}`);
    const context = normalizeComputeContext(
      { instanceType: INSTANCE_TYPE },
      { minIdleTimeoutMins: 1 },
    );
    const db = resources.db;
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('clusters')
        .values({
          id: clusterId,
          workspace_id: workspaceId,
          org_id: orgId,
          manifest: null,
          region: 'us-east-1',
          context: JSON.stringify(context),
          state: 'Idle',
          instance_type: INSTANCE_TYPE,
          usd_per_hour: 0.1008,
          selection: null,
          launch_attempt: 1,
          launched_at: now,
          fleet_ids: JSON.stringify([]),
          started_by_kind: 'user',
          started_by_id: userId,
          last_activity_at: now,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await trx
        .insertInto('cluster_events')
        .values([
          {
            cluster_id: clusterId,
            at: now,
            from_state: null,
            to_state: 'Starting',
            event: 'start',
            message: 'seeded by the benchmark',
          },
          {
            cluster_id: clusterId,
            at: now,
            from_state: 'Starting',
            to_state: 'Idle',
            event: 'ready',
            message: null,
          },
        ])
        .execute();
      await trx
        .insertInto('cluster_nodes')
        .values({
          instance_id: instance.InstanceId!,
          cluster_id: clusterId,
          workspace_id: workspaceId,
          instance_type: INSTANCE_TYPE,
          availability_zone: instance.Placement?.AvailabilityZone ?? null,
          private_ip: instance.PrivateIpAddress ?? null,
          ec2_state: 'running',
          agent_state: 'idle',
          vcpus: 2,
          memory_gib: 8,
          storage_gib: context.storageGiB,
          usd_per_hour: 0.1008,
          node_token_hash: null,
          launched_at: now,
          registered_at: now,
          last_heartbeat_at: now,
          terminated_at: null,
        })
        .execute();
    });
    const list = this.live.get(workspaceId) ?? [];
    list.push({ clusterId, instanceId: instance.InstanceId });
    this.live.set(workspaceId, list);
  }

  /** Retires clusters as a finished stop leaves them, and waits until EC2 forgets them. */
  private async retire(
    clusters: readonly { workspaceId: string; clusterId: string; instanceId: string }[],
  ): Promise<void> {
    if (clusters.length === 0) return;
    const byWorkspace = new Map<string, string[]>();
    for (const c of clusters) {
      byWorkspace.set(c.workspaceId, [...(byWorkspace.get(c.workspaceId) ?? []), c.instanceId]);
    }
    await pool([...byWorkspace], SEED_CONCURRENCY, async ([workspaceId, ids]) => {
      for (let i = 0; i < ids.length; i += 1000) {
        await this.ec2(workspaceId).send(
          new TerminateInstancesCommand({ InstanceIds: ids.slice(i, i + 1000) }),
        );
      }
    });
    const now = new Date();
    const db = this.fx.resources.db;
    const ids = clusters.map((c) => c.clusterId);
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      await db
        .updateTable('clusters')
        .set({ state: 'Stopped', reason: 'StoppedByUser', stopped_at: now, updated_at: now })
        .where('id', 'in', batch)
        .execute();
      await db
        .updateTable('cluster_nodes')
        .set({ ec2_state: 'terminated', terminated_at: now })
        .where('cluster_id', 'in', batch)
        .execute();
    }
    const gone = new Set(clusters.map((c) => c.instanceId));
    await this.fx.until(
      'retired instances to leave EC2',
      async () =>
        (await this.fx.allInstances()).some((i) => gone.has(i.instanceId)) ? undefined : true,
      120_000,
    );
  }
}

const DAY_MS = 86_400_000;

/**
 * Every workspace is connected: the setup's periodic jobs (phone-home polling, drift
 * checks with their role probes) would only add their own AWS calls to the cycles
 * measured, so they pause, and any run already under way is waited out.
 */
async function quietOtherAwsJobs(resources: Resources): Promise<void> {
  resources.jobs.schedule(phoneHomeJob, { everyMs: DAY_MS, payload: {} });
  resources.jobs.schedule(driftJob, { everyMs: DAY_MS, payload: {} });
  await resources.db
    .updateTable('job_schedules')
    .set({ next_run_at: new Date(Date.now() + DAY_MS) })
    .where('name', 'in', [phoneHomeJob.name, driftJob.name])
    .execute();
  const names = [phoneHomeJob.name, driftJob.name, verifyJob.name];
  const deadline = Date.now() + 900_000;
  for (;;) {
    const busy = await resources.db
      .selectFrom('jobs')
      .select('id')
      .where('name', 'in', names)
      .where('status', 'in', ['queued', 'running'])
      .execute();
    if (busy.length === 0) return;
    if (Date.now() > deadline) throw new Error('the AWS setup jobs did not go quiet');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Runs the benchmark; everything it starts is stopped before it returns. */
export async function runReconcileBench(options: BenchOptions): Promise<BenchResult> {
  const log = options.log ?? (() => {});
  const setup: Record<string, number> = {};
  let t = performance.now();
  const fx = await startConnectedWorkspace({
    // Stacks are created as fast as localcloud can (its default paces resource events).
    cloudFormation: { resourceDelayMs: 0 },
    // Terminated instances leave quickly, so a retired cluster is out of every later page.
    ec2: { pendingMs: 0, shuttingDownMs: 200, terminatedRetentionMs: 1000, killGraceMs: 200 },
    // The scheduled reconciler and reaper run once at start and then stay out of the way:
    // the benchmark runs its cycles itself.
    jobs: { reconcileEveryMs: DAY_MS, reapEveryMs: DAY_MS },
  });
  try {
    setup['first workspace (platform + stack)'] = performance.now() - t;
    log(
      `connected the first workspace in ${Math.round(setup['first workspace (platform + stack)'] ?? 0)} ms`,
    );
    const total = Math.max(options.workspaces, options.baseWorkspaces);
    const workspaces = [fx.workspaceId];
    const accountOf = new Map<string, Account>([[fx.workspaceId, fx.customer]]);
    t = performance.now();
    const concurrency = options.connectConcurrency ?? 10;
    const names = Array.from({ length: total - 1 }, (_, i) => `bench-${i + 2}`);
    await pool(names, concurrency, async (name) => {
      // As in reality, each workspace in its own account (its own EC2 limits and instances).
      const account = options.sharedAccount ? fx.customer : await fx.customerAccount(name);
      const id = await connectWorkspace(fx, name, account);
      workspaces.push(id);
      accountOf.set(id, account);
      if (workspaces.length % 10 === 0) log(`connected ${workspaces.length}/${total} workspaces`);
    });
    setup[`${total - 1} more workspaces (${concurrency} stacks at a time)`] = performance.now() - t;
    workspaces.sort();
    await quietOtherAwsJobs(fx.resources);

    const world = new World(fx, accountOf);
    const base = workspaces.slice(0, options.baseWorkspaces);
    const all = workspaces.slice(0, options.workspaces);
    const plan = [
      { name: 'baseline', ws: base, clusters: options.baseClusters },
      { name: 'more clusters', ws: base, clusters: options.clusters },
      { name: 'more workspaces', ws: all, clusters: options.clusters },
    ];
    const scenarios: ScenarioResult[] = [];
    for (const s of plan) {
      t = performance.now();
      await world.reshape(spread(s.ws, s.clusters));
      setup[`seed ${s.name} (${s.ws.length} × ${s.clusters})`] = performance.now() - t;
      log(`seeded ${s.name}: ${s.ws.length} workspaces, ${s.clusters} clusters`);
      const warmUp = await measureCycle(fx.resources);
      const cycles: CycleMeasure[] = [];
      for (let i = 0; i < options.cycles; i++) cycles.push(await measureCycle(fx.resources));
      scenarios.push({
        name: s.name,
        workspaces: s.ws.length,
        clusters: s.clusters,
        instances: world.instances,
        warmUp,
        cycles,
        medianMs: median(cycles.map((c) => c.ms)),
        callsPerCycle: Math.max(0, ...cycles.map((c) => c.total)),
        describeInstancesPerCycle: Math.max(
          0,
          ...cycles.map((c) => c.calls['ec2:DescribeInstances'] ?? 0),
        ),
      });
      log(`measured ${s.name}`);
    }
    await world.reshape(new Map());
    world.close();
    await fx.stop();
    return { scenarios, setup };
  } catch (err) {
    // The original failure matters more than what the teardown finds left over.
    await fx.stop().catch(() => {});
    throw err;
  }
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** The result as a plain-text table with the ratios that matter. */
export function formatBench(result: BenchResult): string {
  const rows = [
    [
      'scenario',
      'workspaces',
      'clusters',
      'AWS calls/cycle',
      'reconcile() reports',
      'DescribeInstances',
      'cycle ms (median)',
      'warm-up calls',
      'warm-up ms',
    ],
    ...result.scenarios.map((s) => [
      s.name,
      String(s.workspaces),
      String(s.clusters),
      String(s.callsPerCycle),
      String(Math.max(0, ...s.cycles.map((c) => c.reported ?? 0))),
      String(s.describeInstancesPerCycle),
      s.medianMs.toFixed(0),
      String(s.warmUp.total),
      s.warmUp.ms.toFixed(0),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? pad(c, widths[i]!) : lpad(c, widths[i]!))).join('  ');
  const out = [
    line(rows[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ];
  const [a, b, c] = result.scenarios;
  if (a && b && c) {
    const ratio = (x: number, y: number) => (y === 0 ? 'n/a' : `${(x / y).toFixed(2)}×`);
    out.push(
      '',
      `clusters ×${(b.clusters / a.clusters).toFixed(0)}, same workspaces: calls ${ratio(b.callsPerCycle, a.callsPerCycle)}, time ${ratio(b.medianMs, a.medianMs)}`,
      `workspaces ×${(c.workspaces / b.workspaces).toFixed(0)}, same clusters: calls ${ratio(c.callsPerCycle, b.callsPerCycle)}, time ${ratio(c.medianMs, b.medianMs)}`,
    );
  }
  const calls = result.scenarios.map(
    (s) =>
      `${s.name}: ${
        Object.entries(s.cycles[0]?.calls ?? {})
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      }`,
  );
  const largest = result.scenarios.at(-1);
  if (largest) {
    const seconds = largest.medianMs / 1000;
    const atSize = largest.workspaces >= TARGET_WORKSPACES && largest.clusters >= TARGET_CLUSTERS;
    out.push(
      '',
      `target: cycle ≤ ${TARGET_CYCLE_S} s at ${TARGET_WORKSPACES} workspaces / ${TARGET_CLUSTERS} clusters — ${
        !atSize
          ? `not measured at that size (${seconds.toFixed(1)} s at ${largest.workspaces} / ${largest.clusters})`
          : seconds <= TARGET_CYCLE_S
            ? `met (${seconds.toFixed(1)} s)`
            : `missed by ${(seconds - TARGET_CYCLE_S).toFixed(1)} s (${seconds.toFixed(1)} s)`
      }`,
    );
  }
  out.push('', 'calls of one measured cycle by operation:', ...calls.map((c) => `  ${c}`));
  out.push(
    '',
    'setup:',
    ...Object.entries(result.setup).map(([k, v]) => `  ${k}: ${(v / 1000).toFixed(1)} s`),
  );
  return out.join('\n');
}
