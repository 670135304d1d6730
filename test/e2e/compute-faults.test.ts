/**
 * Compute under AWS faults, end to end on localcloud: with 30% of EC2 calls answered
 * RequestLimitExceeded, start, stop and the reconciler all still complete; with
 * InsufficientInstanceCapacity injected in the zone a launch would use, it lands in
 * another zone (or the next-cheapest type). A worker that cannot start fails its cluster:
 * at once when its node ends before registering, at the bootstrap timeout when it hangs;
 * either way the node's console output is in the cluster's events and `ferry compute
 * status`, and no instance is left running.
 */
import {
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { createBufferIo, runCli } from '@ferry/cli';
import { reconcile } from '@ferry/control-plane';
import { FERRY_TAGS } from '@ferry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cheapestFit,
  clusters,
  customerInstances,
  workspaceZones,
  type Cluster,
} from './fixtures/compute-helpers.ts';
import {
  REGION,
  startConnectedWorkspace,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';

let f: ConnectedWorkspace;
let api: ReturnType<typeof clusters>;
/** A customer client that rides out throttling, as a careful user's scripts do. */
let patient: EC2Client;

beforeAll(async () => {
  f = await startConnectedWorkspace({
    // The reconciler runs often; the reaper only once at start, so what the reconciler
    // does is its own.
    compute: { launchGraceMs: 3000 },
    jobs: { reconcileEveryMs: 1000, reapEveryMs: 3_600_000 },
  });
  api = clusters(f);
  patient = new EC2Client({ ...f.customerConfig(), maxAttempts: 20 });
}, 180_000);

afterAll(async () => {
  patient?.destroy();
  await f?.clearFaults();
  await f?.stop();
});

const CONTEXT = { cpus: 2, memory: 4 };

describe('compute under faults', () => {
  let throttled: Cluster;

  it('30% RequestLimitExceeded on EC2: start, stop and reconcile still complete', async () => {
    const throttle = await f.faults({ service: 'ec2', error: 'RequestLimitExceeded', rate: 0.3 });
    // The fault is live: a client that does not retry sees it.
    const impatient = f.customerEc2();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => impatient.send(new DescribeInstancesCommand({}))),
    );
    const refused = outcomes.filter(
      (o) =>
        o.status === 'rejected' && (o.reason as { name?: string }).name === 'RequestLimitExceeded',
    );
    expect(refused.length).toBeGreaterThan(0);
    expect(await f.faultFired(throttle.id)).toBeGreaterThanOrEqual(refused.length);

    const started = await api.start(CONTEXT);
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    throttled = await api.waitFor(started.body.id, ['Idle'], 60_000);
    expect(throttled.nodes).toHaveLength(1);

    // The reconciler, still throttled, terminates a straggler: an instance tagged as this
    // workspace's for a cluster it has no record of (once the launch grace has passed).
    // The workspace has a live cluster, so the reconciler watches it; the reaper ran only
    // at start.
    const run = await patient.send(
      new RunInstancesCommand({
        ImageId: 'ami-0abcdef1234567890',
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: FERRY_TAGS.managed, Value: 'true' },
              { Key: FERRY_TAGS.workspace, Value: f.workspaceId },
              { Key: FERRY_TAGS.cluster, Value: 'cl_00000000000000000000000000' },
            ],
          },
        ],
      }),
    );
    const stray = run.Instances?.[0]?.InstanceId ?? '';
    try {
      await f.until(
        'the reconciler to terminate the straggler',
        async () => {
          const [i] = (await f.instances()).filter((x) => x.instanceId === stray);
          return i && ['shutting-down', 'terminated'].includes(i.state) ? true : undefined;
        },
        40_000,
      );
    } finally {
      await patient.send(new TerminateInstancesCommand({ InstanceIds: [stray] }));
    }
    // The live cluster is untouched by all this.
    expect((await api.get(throttled.id)).state).toBe('Idle');

    const stopped = await api.stop(throttled.id);
    expect(stopped.status).toBe(200);
    const done = await api.waitFor(throttled.id, ['Stopped'], 60_000);
    expect(done.nodes.every((n) => n.ec2State === 'terminated')).toBe(true);
    const instanceId = throttled.nodes[0]?.instanceId ?? '';
    const [inst] = await customerInstances(patient, [
      { Name: 'instance-id', Values: [instanceId] },
    ]);
    expect(inst?.State?.Name).toBe('terminated');
    // The control plane's own calls met the throttling too (and retried through it).
    expect(await f.faultFired(throttle.id)).toBeGreaterThan(refused.length);
    await f.clearFaults();
  }, 90_000);

  it('InsufficientInstanceCapacity in the zone a launch uses → launched in another zone', async () => {
    const zones = await workspaceZones(f, patient);
    const fit = await cheapestFit(patient, REGION, zones, CONTEXT.cpus, CONTEXT.memory);
    const type = throttled.instanceType ?? '';
    const usedZone = throttled.nodes[0]?.availabilityZone ?? '';
    expect(zones).toContain(usedZone);
    const noCapacity = await f.faults({
      service: 'ec2',
      error: 'InsufficientInstanceCapacity',
      availabilityZone: usedZone,
    });
    try {
      const started = await api.start(CONTEXT);
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      // Same context, same selection: it would have gone to the same zone first.
      expect(started.body.instanceType).toBe(type);
      const idle = await api.waitFor(started.body.id, ['Idle'], 60_000);
      const node = idle.nodes[0];
      expect(node?.availabilityZone).not.toBe(usedZone);
      expect(zones).toContain(node?.availabilityZone);
      if ((fit.zones[type] ?? []).filter((z) => z !== usedZone).length > 0) {
        expect(node?.instanceType).toBe(type);
      } else {
        expect(fit.fitting.map((t) => t.instanceType)).toContain(node?.instanceType);
      }
      // The zone it would have gone to really refused it.
      expect(await f.faultFired(noCapacity.id)).toBeGreaterThanOrEqual(1);
      expect((await api.stop(idle.id)).status).toBe(200);
      await api.waitFor(idle.id, ['Stopped'], 60_000);
    } finally {
      await f.clearFaults();
    }
  }, 90_000);

  describe('a worker that cannot start', () => {
    const compute = () => f.resources.config.compute;
    let saved: { workerCommand: string; bootstrapTimeoutMs: number };
    beforeAll(() => {
      saved = { ...compute() };
    });
    afterAll(() => {
      Object.assign(compute(), saved);
    });

    async function failedWith(code: string, consoleText: RegExp) {
      const started = await api.start(CONTEXT);
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const id = started.body.id;
      const failed = await api.waitFor(id, ['Failed', 'Idle'], 120_000);
      expect(failed.state).toBe('Failed');
      expect(failed.reason).toBe('Failed');
      expect(failed.error?.code).toBe(code);
      const instanceId = failed.nodes[0]?.instanceId ?? '';
      expect(failed.error?.message).toContain(instanceId);

      const events = await api.events(id);
      const fail = events.find((e) => e.event === 'fail');
      expect(fail).toMatchObject({ from: 'Starting', to: 'Failed' });
      const output = events.find((e) => e.event === 'console_output');
      expect(output?.message).toMatch(new RegExp(`^console output of ${instanceId}:\n`));
      expect(output?.message).toMatch(consoleText);

      // Its instances end: EC2, asked as the customer, shows none of them running.
      await f.until(
        'the failed cluster’s instances terminated',
        async () => {
          const left = await customerInstances(patient, [
            { Name: `tag:${FERRY_TAGS.cluster}`, Values: [id] },
          ]);
          return left.every((i) => i.State?.Name === 'terminated') ? true : undefined;
        },
        60_000,
      );

      // `ferry compute status` shows the reason and the console output.
      const created = await f.api<{ secret: string }>('POST', '/api/v1/auth/tokens', {
        name: `status-${id}`,
        scopes: ['compute:read'],
        expiresInDays: 1,
      });
      expect(created.status).toBe(201);
      const io = createBufferIo();
      const exit = await runCli(
        [
          'compute',
          'status',
          id,
          '--url',
          f.controlPlane.url,
          '--token',
          created.body.secret,
          '--workspace',
          f.workspaceId,
        ],
        io,
      );
      expect(exit, io.err()).toBe(0);
      expect(io.out()).toContain(`Failed (Failed) — ${code}`);
      expect(io.out()).toContain(`  console output of ${instanceId}:\n`);
      expect(io.out()).toMatch(consoleText);
    }

    it('a command that does not exist: the node ends, the cluster fails at once', async () => {
      compute().workerCommand = '/opt/ferry/bin/no-such-worker --shutdown=exit';
      compute().bootstrapTimeoutMs = 3_600_000;
      await failedWith('NodeEndedBeforeRegistering', /no-such-worker.*not found/);
    }, 240_000);

    it('a worker that hangs: the cluster fails at the bootstrap timeout', async () => {
      compute().workerCommand = `sh -c 'echo "waiting for /dev/nvme1n1"; exec sleep 600'`;
      // Long enough for the boot script to install the bundle on a loaded machine first.
      compute().bootstrapTimeoutMs = 45_000;
      await failedWith('NodeBootstrapTimeout', /waiting for \/dev\/nvme1n1/);
    }, 240_000);
  });

  // Last: it deletes the fixture's workspace.
  it('deleting the workspace: 409 naming its live cluster; with stopClusters=true its instances end and its roles are no longer assumed', async () => {
    const started = await api.start(CONTEXT);
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const idle = await api.waitFor(started.body.id, ['Idle'], 60_000);
    const path = `/api/v1/workspaces/${f.workspaceId}`;

    const refused = await f.api<{ error: { code: string; message: string } }>('DELETE', path);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('workspace_has_clusters');
    expect(refused.body.error.message).toContain(`${idle.id} (Idle)`);

    const deleted = await f.api('DELETE', `${path}?stopClusters=true`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
    const left = await customerInstances(patient, [
      { Name: `tag:${FERRY_TAGS.workspace}`, Values: [f.workspaceId] },
    ]);
    expect(left.length).toBeGreaterThan(0);
    for (const i of left) expect(['shutting-down', 'terminated']).toContain(i.State?.Name);

    // Its setup is disconnected: a reconcile cycle for it acts nowhere and calls no AWS.
    const cycle = await reconcile(f.resources, { workspaceIds: [f.workspaceId] });
    expect(cycle).toMatchObject({ workspaces: 0, awsCalls: 0, failed: 0 });
  }, 120_000);
});
