/**
 * Crash safety of compute. The control plane runs as its own process (`ferry server` on
 * PostgreSQL) against localcloud; while 36 clusters start and 30 of them stop through the
 * API, the process is killed with SIGKILL at random points and started again. After the
 * last restart, once the launches and stops it was running have been taken over and
 * finished, and one reconcile pass has run, EC2 and the API must agree:
 *
 * - every ferry-tagged instance belongs to exactly one live cluster, or is shutting down or
 *   terminated;
 * - no cluster has instances of two fleets running;
 * - no cluster the API reports Stopped has a running instance, none is left Stopping and
 *   none Failed (a crash is not an AWS error);
 * - every live cluster has exactly `clusterSize` active instances;
 * - exactly one cluster per start (retried starts carry their Idempotency-Key), and no
 *   cluster ever had more fleets than launch attempts.
 *
 * Each kill lands in the middle of the work, alternately under a request in flight and under
 * a running launch or stop; the test prints how many kills hit requests and jobs, how many
 * requests were retried and how many jobs ran again, and asserts a floor for each.
 *
 * The seed is printed; `FERRY_CRASH_SEED=<n>` replays a run's choices (not its timing).
 * Nodes run `sleep` (no worker), so clusters stay Starting — enough for launch and stop.
 */
import { randomInt } from 'node:crypto';
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { createResources, type OwnedResources } from '@ferry/control-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileJob } from '../../apps/control-plane/src/compute/compute-job-types.ts';
import {
  LIVE_EC2_STATES as ACTIVE_EC2,
  until as poll,
  type CloudInstance,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';
import { handOverToServer, type ServerHandover } from './fixtures/server-handover.ts';
import { WORKER_BUNDLE_DIR } from './fixtures/worker-bundle.ts';

const STARTS = 36;
const STOPS = 30;
const LANES = 4;
const MIN_KILLS = 4;
const MAX_KILLS = 6;
const LIVE = new Set(['Starting', 'Idle', 'Busy']);
/** EC2 states in which an instance still exists as a machine (not leaving, not gone). */
const PASSWORD = 'correct horse battery staple';

interface ClusterView {
  id: string;
  state: string;
  clusterSize: number;
  nodes: { instanceId: string; ec2State: string }[];
}

/** A small seeded generator (mulberry32): the same seed, the same choices. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const began = Date.now();
/** Phases with their time, so a slow or stuck run shows where it was. */
const progress = (line: string) =>
  console.log(`compute-crash +${((Date.now() - began) / 1000).toFixed(1)}s: ${line}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tagsOf = (i: CloudInstance): Record<string, string> =>
  Array.isArray(i.tags) ? Object.fromEntries(i.tags.map((t) => [t.Key, t.Value])) : i.tags;

const seed = Number(process.env['FERRY_CRASH_SEED'] ?? randomInt(2 ** 31));
const rng = seededRandom(seed);

let world: ServerHandover | undefined;
let fx: ConnectedWorkspace | undefined;
let db: OwnedResources | undefined;
let port = 0;
let session = { cookie: '', csrf: '' };

/** Requests in flight right now: the killer waits for one to kill the process under it. */
let inFlight = 0;

/**
 * Calls the API, riding out the process's deaths: connection errors and 5xx answers are
 * retried until the deadline with the same headers (a creating POST carries its
 * Idempotency-Key, so a retry answers the first request's cluster), and so is the 409 that
 * says the key's first request is still running.
 */
async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  deadlineMs = 120_000,
): Promise<{ status: number; body: T; retried: boolean }> {
  const deadline = Date.now() + deadlineMs;
  let retried = false;
  let last: string;
  for (;;) {
    inFlight++;
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: {
          cookie: session.cookie,
          'x-csrf-token': session.csrf,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await res.text();
      // A retry may find the killed request's claim on its Idempotency-Key: retry until the
      // claim lapses, as the API says.
      const claimed = res.status === 409 && text.includes('"idempotency_key_in_use"');
      if (res.status < 500 && !claimed) {
        return { status: res.status, body: (text ? JSON.parse(text) : {}) as T, retried };
      }
      last = `${res.status} ${text.slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    } finally {
      inFlight--;
    }
    if (Date.now() > deadline) throw new Error(`${method} ${path}: gave up (${last})`);
    retried = true;
    await sleep(150);
  }
}

async function listClusters(workspaceId: string): Promise<ClusterView[]> {
  const out: ClusterView[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await call<{ items: ClusterView[]; nextCursor: string | null }>(
      'GET',
      `/api/v1/workspaces/${workspaceId}/clusters${q}`,
    );
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    out.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return out;
}

const until = <T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> =>
  poll(what, fn, ms, 250);

beforeAll(async () => {
  console.log(`compute-crash: seed ${seed} (replay with FERRY_CRASH_SEED=${seed})`);
  // The workspace is connected by an in-process control plane on the same database; then
  // that one stops and the process under test takes over.
  world = await handOverToServer({
    workspace: {
      ec2: { pendingMs: 200, shuttingDownMs: 300, killGraceMs: 300 },
      compute: { workerCommand: 'sleep 600' },
    },
    env: {
      FERRY_JOBS_CONCURRENCY: '8',
      FERRY_COMPUTE_WORKER_COMMAND: 'sleep 600',
      FERRY_COMPUTE_WORKER_BUNDLE_DIR: WORKER_BUNDLE_DIR,
      FERRY_JOBS_RECONCILE_EVERY_MS: '3000',
      FERRY_COMPUTE_LAUNCH_GRACE_MS: '5000',
    },
  });
  fx = world.fx;
  port = world.port;
  progress('workspace connected; starting ferry server');
  db = await createResources({ ...fx.config, jobs: { ...fx.config.jobs, enabled: false } });
  await world.start();
  const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@example.com', password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  // Sessions live in the database: this one outlives every restart.
  session = {
    cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    csrf: ((await login.json()) as { csrfToken: string }).csrfToken,
  };
}, 180_000);

afterAll(async () => {
  // Leave nothing running: stop what is live through the API, then make sure as the customer.
  if (fx && world?.server) {
    try {
      for (const c of await listClusters(fx.workspaceId)) {
        if (LIVE.has(c.state))
          await call('POST', `/api/v1/workspaces/${fx.workspaceId}/clusters/${c.id}/stop`);
      }
      await until(
        'every instance to terminate',
        async () =>
          (await fx!.instances()).every((i) => !ACTIVE_EC2.has(i.state)) ? true : undefined,
        30_000,
      );
    } catch (err) {
      console.error('compute-crash cleanup through the API failed:', err);
    }
  }
  await world?.server?.stop();
  await db?.close();
  if (fx) {
    const left = (await fx.instances()).filter((i) => ACTIVE_EC2.has(i.state));
    if (left.length) {
      const ec2 = fx.customerEc2();
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: left.map((i) => i.instanceId) }));
      await until(
        'leftover instances to terminate',
        async () =>
          (await fx!.instances()).every((i) => !ACTIVE_EC2.has(i.state)) ? true : undefined,
        30_000,
      ).catch(() => undefined);
    }
  }
  await world?.close();
}, 120_000);

describe('compute survives SIGKILL of the control plane', () => {
  it('launches and stops under random kills converge to one fleet per live cluster and no stray instance', async () => {
    const f = fx!;
    const base = `/api/v1/workspaces/${f.workspaceId}/clusters`;
    const started: { id: string; size: number }[] = [];
    const stoppable: string[] = [];
    let startsLeft = STARTS;
    let stopsLeft = STOPS;
    let retriedStarts = 0;
    let retriedStops = 0;
    let opsDone = false;
    let startNumber = 0;

    const lane = async () => {
      while (startsLeft > 0 || stopsLeft > 0) {
        // Paced, so the operations span the kills instead of finishing before the first.
        await sleep(150 + rng() * 450);
        const stopNow = stopsLeft > 0 && stoppable.length > 0 && (startsLeft === 0 || rng() < 0.45);
        if (stopNow) {
          stopsLeft--;
          const [id] = stoppable.splice(Math.floor(rng() * stoppable.length), 1);
          const res = await call<{ state: string }>('POST', `${base}/${id}/stop`);
          if (res.retried) retriedStops++;
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          expect(['Stopping', 'Stopped']).toContain(res.body.state);
        } else if (startsLeft > 0) {
          startsLeft--;
          const size = rng() < 0.3 ? 2 : 1;
          const res = await call<{ id: string; state: string }>(
            'POST',
            base,
            { cpus: 2, memory: 4, clusterSize: size, labels: { suite: 'crash' } },
            { 'idempotency-key': `crash-${seed}-${startNumber++}` },
          );
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          if (res.retried) retriedStarts++;
          started.push({ id: res.body.id, size });
          stoppable.push(res.body.id);
        } else {
          await sleep(100); // the remaining stops wait for starts in flight
        }
      }
    };

    const kills: number[] = [];
    let killsDuringRequests = 0;
    let killsDuringJobs = 0;
    const runningJobs = async (): Promise<number> =>
      (
        await db!.resources.db
          .selectFrom('jobs')
          .select('id')
          .where('name', 'in', ['compute.launch', 'compute.stop'])
          .where('status', '=', 'running')
          .execute()
      ).length;
    const killer = async () => {
      while (kills.length < MAX_KILLS && (!opsDone || kills.length < MIN_KILLS)) {
        await sleep(200 + rng() * 1300);
        // Land the kill in the middle of the work: alternately under a request in flight and
        // under a running launch or stop (waiting a little for one, then killing anyway).
        const wantRequest = kills.length % 2 === 0;
        const waitUntil = Date.now() + 5000;
        let jobs = await runningJobs();
        while (Date.now() < waitUntil && (wantRequest ? inFlight === 0 : jobs === 0)) {
          await sleep(wantRequest ? 5 : 20);
          if (!wantRequest) jobs = await runningJobs();
        }
        if (inFlight > 0) killsDuringRequests++;
        if (jobs > 0 || (await runningJobs()) > 0) killsDuringJobs++;
        const at = Date.now();
        await world!.server!.kill();
        kills.push(at);
        progress(
          `killed the control plane (${kills.length}); ${STARTS - startsLeft} starts, ${STOPS - stopsLeft} stops issued`,
        );
        await sleep(rng() * 400);
        await world!.start();
      }
    };

    const t0 = Date.now();
    const killing = killer();
    await Promise.all(Array.from({ length: LANES }, lane));
    opsDone = true;
    await killing;
    const opsMs = Date.now() - t0;
    progress(`every start and stop answered, ${kills.length} kills`);

    // Launches and stops the killed processes held resume once their leases expire.
    const settled = Date.now();
    await until(
      'every launch and stop job to finish',
      async () => {
        const open = await db!.resources.db
          .selectFrom('jobs')
          .select(['name', 'status'])
          .where('name', 'in', ['compute.launch', 'compute.stop'])
          .where('status', 'in', ['queued', 'running'])
          .execute();
        return open.length === 0 ? true : undefined;
      },
      200_000,
    );
    const settleMs = Date.now() - settled;
    progress('every launch and stop job finished');
    // Jobs a kill interrupted ran again: more than one attempt.
    const rerun = await db!.resources.db
      .selectFrom('jobs')
      .select(['name'])
      .where('name', 'in', ['compute.launch', 'compute.stop'])
      .where('attempts', '>', 1)
      .execute();
    const rerunLaunches = rerun.filter((j) => j.name === 'compute.launch').length;
    const rerunStops = rerun.filter((j) => j.name === 'compute.stop').length;

    // One reconcile pass after everything settled, run by the process under test.
    const { id: jobId } = await db!.resources.jobs.enqueue(reconcileJob, {});
    const pass = await until(
      'the reconcile pass',
      async () => {
        const row = await db!.resources.db
          .selectFrom('jobs')
          .select(['status', 'last_error'])
          .where('id', '=', jobId)
          .executeTakeFirstOrThrow();
        return row.status === 'queued' || row.status === 'running' ? undefined : row;
      },
      60_000,
    );
    expect(pass.status, String(pass.last_error)).toBe('succeeded');
    progress('reconcile pass done');

    const clusters = await listClusters(f.workspaceId);
    const byId = new Map(clusters.map((c) => [c.id, c]));
    const instances = (await f.instances()).filter((i) => tagsOf(i)['ferry:managed'] === 'true');
    const problems: string[] = [];
    for (const i of instances) {
      if (!ACTIVE_EC2.has(i.state)) continue;
      const clusterId = tagsOf(i)['ferry:cluster'] ?? '(none)';
      const owner = byId.get(clusterId);
      if (!owner || !LIVE.has(owner.state)) {
        problems.push(
          `${i.instanceId} is ${i.state} but its cluster ${clusterId} is ${owner?.state ?? 'unknown'}`,
        );
      }
      const recordedBy = clusters.filter((c) => c.nodes.some((n) => n.instanceId === i.instanceId));
      if (recordedBy.length !== 1 || recordedBy[0]?.id !== clusterId) {
        problems.push(
          `${i.instanceId} (${i.state}, tagged ${clusterId}) is recorded by [${recordedBy.map((c) => c.id).join(', ')}]`,
        );
      }
    }
    // At most one fleet ever per launch attempt of a cluster (terminated instances included).
    const attempts = new Map(
      (
        await db!.resources.db.selectFrom('clusters').select(['id', 'launch_attempt']).execute()
      ).map((r) => [r.id, r.launch_attempt]),
    );
    for (const c of clusters) {
      const everFleets = new Set(
        instances
          .filter((i) => tagsOf(i)['ferry:cluster'] === c.id)
          .map((i) => tagsOf(i)['aws:ec2:fleet-id'])
          .filter((id) => id !== undefined),
      );
      const allowed = Math.max(1, attempts.get(c.id) ?? 1);
      if (everFleets.size > allowed)
        problems.push(`${c.id} had ${everFleets.size} fleets in ${allowed} launch attempts`);
    }
    for (const c of clusters) {
      const active = instances.filter(
        (i) => tagsOf(i)['ferry:cluster'] === c.id && ACTIVE_EC2.has(i.state),
      );
      const fleets = new Set(active.map((i) => tagsOf(i)['aws:ec2:fleet-id'] ?? '(no fleet)'));
      if (fleets.size > 1)
        problems.push(`${c.id} has instances of ${fleets.size} fleets: ${[...fleets].join(', ')}`);
      if (c.state === 'Stopped' && active.length > 0) {
        problems.push(
          `${c.id} is Stopped with ${active.map((i) => `${i.instanceId} ${i.state}`).join(', ')}`,
        );
      }
      if (LIVE.has(c.state) && active.length !== c.clusterSize) {
        problems.push(
          `${c.id} is ${c.state} with ${active.length} active instances, size ${c.clusterSize}`,
        );
      }
      if (c.state === 'Stopping' || c.state === 'Failed') {
        problems.push(`${c.id} is ${c.state} after everything settled`);
      }
    }

    const live = clusters.filter((c) => LIVE.has(c.state));
    console.log(
      `compute-crash: seed ${seed}, ${kills.length} kills, ${started.length} starts ` +
        `(${retriedStarts} retried across a kill), ${STOPS} stops in ${opsMs} ms; ` +
        `${clusters.length} clusters (${live.length} live, ` +
        `${clusters.filter((c) => c.state === 'Stopped').length} stopped), ` +
        `${instances.length} ferry instances; jobs settled in ${settleMs} ms; ` +
        `kills during requests ${killsDuringRequests}, during jobs ${killsDuringJobs}; ` +
        `interrupted requests: ${retriedStarts} starts, ${retriedStops} stops; ` +
        `interrupted jobs (attempts > 1): ${rerunLaunches} launches, ${rerunStops} stops`,
    );
    expect(problems, `seed ${seed}`).toEqual([]);
    expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS);
    // Each kill counts: some landed under requests and some under jobs, and work was redone.
    expect(killsDuringRequests, 'kills during requests').toBeGreaterThanOrEqual(1);
    expect(killsDuringJobs, 'kills during jobs').toBeGreaterThanOrEqual(1);
    expect(retriedStarts + retriedStops, 'requests a kill interrupted').toBeGreaterThanOrEqual(1);
    expect(rerunLaunches + rerunStops, 'jobs a kill interrupted').toBeGreaterThanOrEqual(1);
    expect(started).toHaveLength(STARTS);
    // Retried starts carried their Idempotency-Key: exactly one cluster per start.
    expect(clusters).toHaveLength(STARTS);
    expect(new Set(started.map((s) => s.id)).size).toBe(STARTS);
    // What the test asked to stop is stopped; what it left running is live.
    const stopped = new Set(started.map((s) => s.id).filter((id) => !stoppable.includes(id)));
    expect(stopped.size).toBe(STOPS);
    for (const id of stopped) expect(byId.get(id)?.state, id).toBe('Stopped');
    for (const id of stoppable) expect(LIVE.has(byId.get(id)?.state ?? ''), id).toBe(true);
    for (const s of started) expect(byId.get(s.id)?.clusterSize).toBe(s.size);
  }, 240_000);
});
