/**
 * The compute engine against localcloud: launch (launch template, instant fleet, tags,
 * idempotent repeats, capacity fallback, throttling), stop, the reconciler and the reaper —
 * each through the real AWS SDK, the credential broker's role sessions and localcloud's IAM.
 * Instances run `sleep` (the worker is not the point here) from a pinned image id.
 */
import { createHash } from 'node:crypto';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DetachRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  applyClusterEvent,
  chooseInstanceType,
  clearInstanceChoiceCache,
  ec2As,
  launchCluster,
  loadPlacement,
  loadWorkspaceAws,
  reap,
  reconcile,
  stopClusterInstances,
  tokenHash,
  type WorkspaceAws,
} from '@ferry/control-plane';
import { newId, normalizeComputeContext, type ComputeContextInput } from '@ferry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startConnectedWorkspace,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';

const IMAGE = 'ami-0123456789abcdef0';
let fx: ConnectedWorkspace;
let ws: WorkspaceAws;

const db = () => fx.resources.db;
const user = () => ({ kind: 'user' as const, id: fx.userId });

/** Inserts a Starting cluster as the start route does (selection run synchronously). */
async function newCluster(input: ComputeContextInput): Promise<string> {
  const context = normalizeComputeContext(input, { minIdleTimeoutMins: 1 });
  const selection = await chooseInstanceType(fx.resources, ws, context, user());
  const id = newId('cluster');
  const now = new Date();
  await db()
    .insertInto('clusters')
    .values({
      id,
      workspace_id: fx.workspaceId,
      org_id: fx.orgId,
      manifest: null,
      region: ws.region,
      context: JSON.stringify(context),
      state: 'Starting',
      instance_type: selection.instanceType,
      usd_per_hour: selection.usdPerHour,
      selection: JSON.stringify(selection),
      started_by_kind: 'user',
      started_by_id: fx.userId,
      last_activity_at: now,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

const cluster = (id: string) =>
  db().selectFrom('clusters').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const nodes = (id: string) =>
  db().selectFrom('cluster_nodes').selectAll().where('cluster_id', '=', id).execute();
const cloudInstances = async (clusterId: string) =>
  (await fx.instances()).filter((i) => tagsOf(i.tags)['ferry:cluster'] === clusterId);

function tagsOf(
  tags: Record<string, string> | { Key: string; Value: string }[],
): Record<string, string> {
  return Array.isArray(tags) ? Object.fromEntries(tags.map((t) => [t.Key, t.Value])) : tags;
}

/** Stops a cluster the way the stop route does, then runs its stop job's work. */
async function stop(id: string, role: 'UserInitiated' | 'Unattended' = 'UserInitiated') {
  await applyClusterEvent(fx.resources, id, { type: 'stop', reason: 'StoppedByUser' });
  return stopClusterInstances(fx.resources, id, { role, pollMs: 200, waitMs: 30_000 });
}

beforeAll(async () => {
  fx = await startConnectedWorkspace({
    // Cycles run by hand here, so background ones cannot race the assertions.
    compute: {
      imageId: IMAGE,
      workerCommand: 'sleep 600',
      launchGraceMs: 1500,
    },
    jobs: { reconcileEveryMs: 0, reapEveryMs: 0 },
    configure: (config) => {
      config.jobs.telemetryPurgeEveryMs = 0;
    },
  });
  ws = await loadWorkspaceAws(fx.resources, fx.workspaceId);
}, 180_000);

afterAll(async () => {
  await fx?.stop();
}, 30_000);

describe('compute engine against localcloud', () => {
  it('selection reads the catalog once per account and region (single-flight, cached) and names memory when nothing fits', async () => {
    clearInstanceChoiceCache(fx.resources);
    const counters = Array.from({ length: 5 }, () => ({ calls: 0 }));
    const placements = await Promise.all(
      counters.map((c) => loadPlacement(fx.resources, ws, user(), c)),
    );
    const total = counters.reduce((n, c) => n + c.calls, 0);
    // Instance types (paged by 100), AZ offerings, subnets: sent once for all five callers.
    expect(total).toBeGreaterThanOrEqual(3);
    expect(counters.filter((c) => c.calls > 0)).toHaveLength(1);
    expect(placements[0]?.catalog.length).toBeGreaterThan(50);
    expect(placements[0]?.subnets.map((p) => p.subnetId)).toEqual(ws.subnetIds);
    const again = { calls: 0 };
    await loadPlacement(fx.resources, ws, user(), again);
    expect(again.calls).toBe(0);

    const context = normalizeComputeContext({ memory: 4096 }, { minIdleTimeoutMins: 1 });
    await expect(chooseInstanceType(fx.resources, ws, context, user())).rejects.toMatchObject({
      details: [{ path: 'memory' }],
    });
    const fits = await chooseInstanceType(
      fx.resources,
      ws,
      normalizeComputeContext({ cpus: 2, memory: 4 }),
      user(),
    );
    expect(fits.reason).toContain(fits.instanceType);
    expect(fits.candidates.find((c) => c.rank === 0)?.instanceType).toBe(fits.instanceType);
  }, 30_000);

  it('launches one template and one fleet, tagged, IMDSv2 only, terminate on shutdown, the Worker profile; a repeated run launches nothing twice', async () => {
    const id = await newCluster({ cpus: 2, memory: 4 });
    const out = await launchCluster(fx.resources, id);
    expect(out.status).toBe('launched');
    expect(out.instanceIds).toHaveLength(1);

    const row = await cluster(id);
    expect(row.state).toBe('Starting');
    expect(row.fleet_ids).toHaveLength(1);
    expect(row.launch_attempt).toBe(0);
    expect(row.launched_at).not.toBeNull();
    expect(row.bootstrap_token_hash).toMatch(/^[0-9a-f]{64}$/);
    const [node] = await nodes(id);
    expect(node?.instance_id).toBe(out.instanceIds[0]);
    expect(node?.instance_type).toBe(row.instance_type);
    expect(node?.vcpus).toBeGreaterThanOrEqual(2);
    expect(node?.memory_gib).toBeGreaterThanOrEqual(4);
    expect(node?.storage_gib).toBe(32);
    expect(node?.private_ip).toMatch(/^127\.\d+\.\d+\.\d+$/);

    const ec2 = fx.customerEc2();
    const lt = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: row.launch_template_id ?? '' }),
    );
    const data = lt.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    expect(lt.LaunchTemplateVersions?.[0]?.LaunchTemplateName).toBe(`ferry-${id}`);
    expect(data?.MetadataOptions?.HttpTokens).toBe('required');
    expect(data?.InstanceInitiatedShutdownBehavior).toBe('terminate');
    expect(data?.IamInstanceProfile?.Arn).toBe(ws.workerInstanceProfileArn);
    expect(data?.SecurityGroupIds).toEqual([ws.securityGroups.direct]);
    expect(data?.ImageId).toBe(IMAGE);
    expect(data?.BlockDeviceMappings?.[0]?.Ebs?.VolumeSize).toBe(32);
    const userData = Buffer.from(data?.UserData ?? '', 'base64').toString('utf8');
    expect(userData).toContain(`FERRY_CLUSTER_ID='${id}'`);
    expect(userData).toContain('exec sleep 600');
    // Only the token's hash is stored; the user-data carries the token itself.
    const token = /FERRY_BOOTSTRAP_TOKEN='(ferry_boot_[^']+)'/.exec(userData)?.[1] ?? '';
    expect(token).not.toBe('');
    expect(tokenHash(token)).toBe(row.bootstrap_token_hash);
    expect(createHash('sha256').update(token).digest('hex')).toBe(row.bootstrap_token_hash);
    const templates = await ec2.send(
      new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [row.launch_template_id ?? ''] }),
    );
    expect(tagsOf(templates.LaunchTemplates?.[0]?.Tags as never)).toMatchObject({
      'ferry:managed': 'true',
      'ferry:workspace': fx.workspaceId,
      'ferry:cluster': id,
    });

    const described = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [...out.instanceIds] }),
    );
    const instance = described.Reservations?.[0]?.Instances?.[0];
    expect(tagsOf(instance?.Tags as never)).toMatchObject({
      'ferry:managed': 'true',
      'ferry:workspace': fx.workspaceId,
      'ferry:cluster': id,
      'aws:ec2:fleet-id': row.fleet_ids[0],
    });
    expect(instance?.MetadataOptions?.HttpTokens).toBe('required');
    expect(instance?.IamInstanceProfile?.Arn).toBe(ws.workerInstanceProfileArn);

    // A crash after CreateFleet, before the database write: the rerun resends the same
    // ClientToken and records the same fleet and instance.
    await db().deleteFrom('cluster_nodes').where('cluster_id', '=', id).execute();
    await db().updateTable('clusters').set({ fleet_ids: '[]' }).where('id', '=', id).execute();
    const again = await launchCluster(fx.resources, id);
    expect(again.status).toBe('launched');
    expect(again.fleetIds).toEqual(row.fleet_ids);
    expect(again.instanceIds).toEqual(out.instanceIds);
    expect((await cluster(id)).fleet_ids).toEqual(row.fleet_ids);
    expect(await cloudInstances(id)).toHaveLength(1);
    // And a plain repeat (everything recorded) sends no CreateFleet at all.
    const third = await launchCluster(fx.resources, id);
    expect(third.attempts).toBe(0);

    const stopped = await stop(id);
    expect(stopped.status).toBe('stopped');
    const after = await cluster(id);
    expect(after.state).toBe('Stopped');
    expect(after.reason).toBe('StoppedByUser');
    expect((await cloudInstances(id)).map((i) => i.state)).toEqual(['terminated']);
    expect((await nodes(id))[0]?.terminated_at).not.toBeNull();
    // Its launch template is gone too.
    const left = await ec2.send(
      new DescribeLaunchTemplatesCommand({
        Filters: [{ Name: 'tag:ferry:cluster', Values: [id] }],
      }),
    );
    expect(left.LaunchTemplates ?? []).toEqual([]);
  }, 30_000);

  it('a launch template left by a crash before its id was recorded is replaced, not reused blindly', async () => {
    const id = await newCluster({ cpus: 2, memory: 4 });
    await launchCluster(fx.resources, id);
    const first = await cluster(id);
    // Forget everything the first run recorded, as if it crashed right after
    // CreateLaunchTemplate; its instance is still there, tagged for the cluster.
    await db().deleteFrom('cluster_nodes').where('cluster_id', '=', id).execute();
    await db()
      .updateTable('clusters')
      .set({ launch_template_id: null, bootstrap_token_hash: null, fleet_ids: '[]' })
      .where('id', '=', id)
      .execute();
    await launchCluster(fx.resources, id);
    const second = await cluster(id);
    expect(second.launch_template_id).not.toBe(first.launch_template_id);
    expect(second.bootstrap_token_hash).not.toBe(first.bootstrap_token_hash);
    // The new template changed the fleet's parameters: EC2 refused the old token and the
    // launcher recorded the instance it found instead of launching a second one.
    expect(await cloudInstances(id)).toHaveLength(1);
    expect((await nodes(id)).map((n) => n.instance_id)).toEqual(
      (await cloudInstances(id)).map((i) => i.instanceId),
    );
    expect((await stop(id)).status).toBe('stopped');
  }, 30_000);

  it('without a pinned image, launches the region newest Amazon Linux 2023 image of the type architecture', async () => {
    const compute = fx.resources.config.compute;
    const pinned = compute.imageId;
    compute.imageId = undefined;
    try {
      const id = await newCluster({ cpus: 2, memory: 4, architecture: 'arm64' });
      expect((await launchCluster(fx.resources, id)).status).toBe('launched');
      const ec2 = fx.customerEc2();
      const images = await ec2.send(
        new DescribeImagesCommand({
          Owners: ['amazon'],
          Filters: [{ Name: 'name', Values: ['al2023-ami-2023.6.20241212.0-kernel-6.1-arm64'] }],
        }),
      );
      const expected = images.Images?.[0]?.ImageId;
      expect(expected).toMatch(/^ami-/);
      const row = await cluster(id);
      const lt = await ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: row.launch_template_id ?? '',
        }),
      );
      expect(lt.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.ImageId).toBe(expected);
      expect((await stop(id)).status).toBe('stopped');
    } finally {
      compute.imageId = pinned;
    }
  }, 30_000);

  it('InsufficientInstanceCapacity in one zone: launched in another; in every zone: the next-cheapest type', async () => {
    const id = await newCluster({ cpus: 2, memory: 4 });
    const sel = (await cluster(id)).selection as unknown as {
      instanceType: string;
      zones: string[];
      fallbacks: { instanceType: string }[];
    };
    expect(sel.zones.length).toBeGreaterThanOrEqual(2);
    const fault = await fx.faults({
      service: 'ec2',
      error: 'InsufficientInstanceCapacity',
      instanceType: sel.instanceType,
      availabilityZone: sel.zones[0],
    });
    try {
      const out = await launchCluster(fx.resources, id);
      expect(out.status).toBe('launched');
      const [node] = await nodes(id);
      expect(node?.instance_type).toBe(sel.instanceType);
      expect(node?.availability_zone).not.toBe(sel.zones[0]);
      expect(sel.zones).toContain(node?.availability_zone);
    } finally {
      await fx.clearFaults();
    }
    // The first zone really refused: the fault fired (once per try of that pool).
    expect(await fx.faultFired(fault.id)).toBeGreaterThanOrEqual(1);
    expect((await stop(id)).status).toBe('stopped');

    const id2 = await newCluster({ cpus: 2, memory: 4 });
    const everyZone = await fx.faults({
      service: 'ec2',
      error: 'InsufficientInstanceCapacity',
      instanceType: sel.instanceType,
    });
    try {
      const out = await launchCluster(fx.resources, id2);
      expect(out.status).toBe('launched');
      expect(out.attempts).toBe(2);
      const row = await cluster(id2);
      expect(row.launch_attempt).toBe(1);
      expect(row.instance_type).not.toBe(sel.instanceType);
      expect(sel.fallbacks.map((f) => f.instanceType)).toContain(row.instance_type);
      expect((await nodes(id2))[0]?.instance_type).toBe(row.instance_type);
    } finally {
      await fx.clearFaults();
    }
    // Every zone of the first type refused before the fallback was tried.
    expect(await fx.faultFired(everyZone.id)).toBeGreaterThanOrEqual(sel.zones.length);
    expect((await stop(id2)).status).toBe('stopped');
  }, 30_000);

  it('an explicit type no zone can host fails the cluster with AWS error', async () => {
    const id = await newCluster({ instanceType: 'm7i.large' });
    const noCapacity = await fx.faults({
      service: 'ec2',
      error: 'InsufficientInstanceCapacity',
      instanceType: 'm7i.large',
    });
    try {
      const out = await launchCluster(fx.resources, id);
      expect(out.status).toBe('failed');
      const row = await cluster(id);
      expect(row.state).toBe('Failed');
      expect(row.error_code).toBe('InsufficientInstanceCapacity');
      expect(row.error_message).toMatch(/capacity/i);
    } finally {
      await fx.clearFaults();
    }
    expect(await fx.faultFired(noCapacity.id)).toBeGreaterThanOrEqual(1);
    expect(await cloudInstances(id)).toHaveLength(0);
  }, 30_000);

  it('with 30% RequestLimitExceeded on EC2, launch, stop and reconcile still complete', async () => {
    const throttle = await fx.faults({ service: 'ec2', error: 'RequestLimitExceeded', rate: 0.3 });
    try {
      const id = await newCluster({ cpus: 2, memory: 4, clusterSize: 2 });
      const out = await launchCluster(fx.resources, id);
      expect(out.status).toBe('launched');
      expect(await nodes(id)).toHaveLength(2);
      expect((await cluster(id)).fleet_ids).toHaveLength(1);
      for (let i = 0; i < 3; i++) {
        const report = await reconcile(fx.resources, { workspaceIds: [fx.workspaceId] });
        expect(report.failed).toBe(0);
        expect(report.actions.terminate).toBe(0);
      }
      expect((await stop(id)).status).toBe('stopped');
      expect((await cluster(id)).state).toBe('Stopped');
      expect((await cloudInstances(id)).every((i) => i.state === 'terminated')).toBe(true);
      // The throttling really happened along the way, and was retried through.
      expect(await fx.faultFired(throttle.id)).toBeGreaterThan(0);
    } finally {
      await fx.clearFaults();
    }
  }, 45_000);

  it('the reconciler adopts what was launched but never recorded, terminates what a stopped cluster left, and marks Stopped only after EC2 shows terminated — in one DescribeInstances per workspace', async () => {
    const live = await newCluster({ cpus: 2, memory: 4 });
    const ending = await newCluster({ cpus: 2, memory: 4 });
    await launchCluster(fx.resources, live);
    await launchCluster(fx.resources, ending);
    const fleet = (await cluster(live)).fleet_ids;
    // The crash between CreateFleet and the database write, for `live`.
    await db().deleteFrom('cluster_nodes').where('cluster_id', '=', live).execute();
    await db().updateTable('clusters').set({ fleet_ids: '[]' }).where('id', '=', live).execute();
    // `ending` was asked to stop but its stop job never ran.
    await applyClusterEvent(fx.resources, ending, { type: 'stop', reason: 'StoppedByUser' });

    const first = await reconcile(fx.resources, { workspaceIds: [fx.workspaceId] });
    expect(first.actions.adopt).toBe(1);
    expect(first.actions.terminate).toBe(1);
    expect(first.actions.markStopped).toBe(0);
    // One DescribeInstances and one batched TerminateInstances.
    expect(first.awsCalls).toBe(2);
    expect((await cluster(live)).fleet_ids).toEqual(fleet);
    expect((await nodes(live)).map((n) => n.instance_id)).toEqual(
      (await cloudInstances(live)).map((i) => i.instanceId),
    );
    expect((await cluster(ending)).state).toBe('Stopping');

    const stoppedAt = await fx.until('the stopped cluster to be marked Stopped', async () => {
      await reconcile(fx.resources, { workspaceIds: [fx.workspaceId] });
      const row = await cluster(ending);
      if (row.state === 'Stopping') return undefined;
      return row;
    });
    expect(stoppedAt.state).toBe('Stopped');
    expect((await cloudInstances(ending)).map((i) => i.state)).toEqual(['terminated']);
    expect((await nodes(ending))[0]?.terminated_at).not.toBeNull();

    // A quiet cycle: nothing to do, still one call for the workspace however many clusters.
    const quiet = await reconcile(fx.resources, { workspaceIds: [fx.workspaceId] });
    expect(quiet.awsCalls).toBe(1);
    expect(quiet.actions).toEqual({ adopt: 0, terminate: 0, markStopped: 0, bootFailed: 0 });
    expect((await stop(live)).status).toBe('stopped');
  }, 45_000);

  it('the reaper, with the Unattended role only, stops an idle cluster and terminates an orphan while UserInitiated is broken; IAM denies it an untagged instance', async () => {
    const idle = await newCluster({ cpus: 2, memory: 4, idleTimeoutMins: 1 });
    await launchCluster(fx.resources, idle);
    await applyClusterEvent(fx.resources, idle, { type: 'ready' });
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await db()
      .updateTable('clusters')
      .set({ last_activity_at: longAgo, last_heartbeat_at: longAgo, created_at: longAgo })
      .where('id', '=', idle)
      .execute();

    const admin = fx.customerEc2();
    const launch = (tags: { Key: string; Value: string }[]) =>
      admin.send(
        new RunInstancesCommand({
          ImageId: IMAGE,
          InstanceType: 'm7i.large',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: ws.subnetIds[0],
          UserData: Buffer.from('#!/bin/sh\nexec sleep 600\n').toString('base64'),
          ...(tags.length ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] } : {}),
        }),
      );
    const orphan = (
      await launch([
        { Key: 'ferry:managed', Value: 'true' },
        { Key: 'ferry:workspace', Value: fx.workspaceId },
        { Key: 'ferry:cluster', Value: 'cl_nobody_knows' },
      ])
    ).Instances?.[0]?.InstanceId;
    const untagged = (await launch([])).Instances?.[0]?.InstanceId;
    expect(orphan).toBeDefined();
    expect(untagged).toBeDefined();

    // Break UserInitiated: detach its policy.
    const iam = new IAMClient(fx.customerConfig());
    try {
      const roleName = ws.roleArns.UserInitiated.split('/').pop() ?? '';
      const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
      for (const p of attached.AttachedPolicies ?? []) {
        await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: p.PolicyArn }));
      }
    } finally {
      iam.destroy();
    }
    // The orphan must be older than the launch grace before it counts as one.
    await new Promise((r) => setTimeout(r, 1600));

    const report = await reap(fx.resources, { workspaceIds: [fx.workspaceId] });
    expect(report.failed).toBe(0);
    expect(report.actions.stopCluster).toBe(1);
    expect(report.actions.terminate).toBe(2);
    const row = await cluster(idle);
    expect(row.state).toBe('Stopping');
    expect(row.reason).toBe('StoppedInactive');
    // The reaper's stop job (Unattended, as system:reaper) finishes the stop.
    await fx.until('the idle cluster to be Stopped', async () => {
      await fx.resources.jobs.runDue();
      const r = await cluster(idle);
      return r.state === 'Stopped' ? r : undefined;
    });
    const all = await fx.instances();
    expect(all.find((i) => i.instanceId === orphan)?.state).toMatch(/shutting-down|terminated/);
    expect(all.find((i) => i.instanceId === untagged)?.state).toBe('running');

    // Fleets and templates of the gone clusters are deleted on a later cycle.
    const later = await reap(fx.resources, { workspaceIds: [fx.workspaceId] });
    expect(later.failed).toBe(0);
    expect(later.actions.deleteFleet).toBeGreaterThanOrEqual(1);

    // The Unattended role cannot terminate what is not tagged as ferry's.
    const unattended = await ec2As(fx.resources, ws, 'Unattended', {
      kind: 'system',
      name: 'reaper',
    });
    try {
      await expect(
        unattended.send(new TerminateInstancesCommand({ InstanceIds: [untagged ?? ''] })),
      ).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    } finally {
      unattended.destroy();
    }
    await admin.send(new TerminateInstancesCommand({ InstanceIds: [untagged ?? ''] }));
  }, 45_000);
});
