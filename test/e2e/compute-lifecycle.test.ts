/**
 * Compute clusters end to end on localcloud, through the public API only (localcloud's
 * SDK clients and admin API observe): start → Idle with the cheapest fitting type and
 * why; a context nothing fits; logs, metrics and cost; manifest reuse; stop → Stopped only
 * once EC2 reports the instance terminated; the AssumeRole audit entries of the user.
 */
import {
  DescribeInstanceTypesCommand,
  type _InstanceType,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { FERRY_TAGS, roundUsd } from '@ferry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cheapestFit,
  clusters,
  customerInstances,
  tagOf,
  workspaceZones,
  type Cluster,
} from './fixtures/compute-helpers.ts';
import {
  REGION,
  startConnectedWorkspace,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';

let f: ConnectedWorkspace;
let ec2: EC2Client;
let api: ReturnType<typeof clusters>;

beforeAll(async () => {
  f = await startConnectedWorkspace();
  ec2 = f.customerEc2();
  api = clusters(f);
}, 180_000);

afterAll(async () => {
  await f?.stop();
});

describe('compute lifecycle', () => {
  let first: Cluster;

  it('start → Idle: the cheapest fitting type, explained; the worker registers and heartbeats', async () => {
    const zones = await workspaceZones(f, ec2);
    expect(zones.length).toBeGreaterThanOrEqual(2);
    const expected = await cheapestFit(ec2, REGION, zones, 2, 4);

    const started = await api.start({ cpus: 2, memory: 4, labels: { team: 'e2e' } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.reused).toBe(false);
    expect(['Starting', 'Idle']).toContain(started.body.state);
    // Selection ran before the answer: the type, its price and the explanation are there.
    const sel = started.body.selection;
    expect(sel).not.toBeNull();
    expect(expected.instanceTypes).toContain(started.body.instanceType);
    expect(sel?.instanceType).toBe(started.body.instanceType);
    expect(started.body.usdPerHour).toBe(expected.usdPerHour);
    expect(sel?.usdPerHour).toBe(expected.usdPerHour);
    expect(sel?.reason).toMatch(/cheapest/i);
    expect(sel?.zones.every((z) => zones.includes(z))).toBe(true);
    expect(sel?.zones.sort()).toEqual(expected.zones[started.body.instanceType ?? '']);
    // Every candidate considered is there; the fitting ones carry their rank and price.
    const chosen = sel?.candidates.find((c) => c.instanceType === started.body.instanceType);
    expect(chosen?.rejected).toEqual([]);
    const ranks = sel?.candidates.flatMap((c) => (c.rank === undefined ? [] : [c.rank])) ?? [];
    expect(chosen?.rank).toBe(Math.min(...ranks));
    const tooSmall = sel?.candidates.find((c) => c.instanceType === 't3.micro');
    expect(tooSmall?.rejected.length).toBeGreaterThan(0);
    // Fallbacks for capacity errors are the next-cheapest fitting types, cheapest first.
    const fallbackPrices = sel?.fallbacks.map((b) => b.usdPerHour) ?? [];
    expect(fallbackPrices).toEqual([...fallbackPrices].sort((a, b) => a - b));
    expect(fallbackPrices.every((p) => p >= expected.usdPerHour)).toBe(true);

    first = await api.waitFor(started.body.id, ['Idle'], 60_000);
    expect(first.nodes).toHaveLength(1);
    expect(first.nodes[0]?.registeredAt).not.toBeNull();
    // ec2State is EC2's state as last observed (at launch: pending); the reconciler's next
    // cycle sees it running.
    first = await f.until(
      'the reconciler to observe the node running',
      async () => {
        const c = await api.get(started.body.id);
        return c.nodes[0]?.ec2State === 'running' ? c : undefined;
      },
      15_000,
    );
    const node = first.nodes[0];
    expect(node?.instanceType).toBe(started.body.instanceType);
    expect(zones).toContain(node?.availabilityZone);
    expect(first.labels).toEqual({ team: 'e2e' });
    expect(first.startedBy).toEqual({ kind: 'user', id: f.userId });

    // The customer's EC2 shows the same instance, tagged as ferry's, IMDSv2 required.
    const [inst] = await customerInstances(ec2, [
      { Name: 'instance-id', Values: [node?.instanceId ?? ''] },
    ]);
    expect(inst?.State?.Name).toBe('running');
    expect(inst?.InstanceType).toBe(started.body.instanceType);
    expect(tagOf(inst ?? {}, FERRY_TAGS.managed)).toBe('true');
    expect(tagOf(inst ?? {}, FERRY_TAGS.workspace)).toBe(f.workspaceId);
    expect(tagOf(inst ?? {}, FERRY_TAGS.cluster)).toBe(first.id);
    expect(inst?.MetadataOptions?.HttpTokens).toBe('required');

    // Heartbeats keep arriving (heartbeatSeconds is 1 here).
    const hb = node?.lastHeartbeatAt ?? '';
    const later = await f.until(
      'a newer heartbeat',
      async () => {
        const c = await api.get(first.id);
        const at = c.nodes[0]?.lastHeartbeatAt ?? '';
        return at > hb ? c : undefined;
      },
      15_000,
    );
    expect(later.nodes[0]?.agentState).toBe('idle');
    const events = await api.events(first.id);
    expect(events.map((e) => `${e.from ?? '-'}→${e.to}`).slice(0, 2)).toEqual([
      '-→Starting',
      'Starting→Idle',
    ]);
  }, 90_000);

  it('a context nothing fits is a 400 naming memory, and starts nothing', async () => {
    const before = await api.list();
    const res = await api.start({ cpus: 2, memory: 4096 });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details?.map((d) => d.path.replace(/^body\./, ''))).toContain('memory');
    expect(res.body.error.message).toMatch(/4096 GiB/);
    const after = await api.list();
    expect(after.body.items.map((c) => c.id)).toEqual(before.body.items.map((c) => c.id));
  });

  it('logs, metrics and cost reach the API', async () => {
    const instanceId = first.nodes[0]?.instanceId ?? '';
    const logs = await f.until(
      'log lines',
      async () => {
        const res = await api.logs(first.id);
        return res.body.items.length > 0 ? res.body.items : undefined;
      },
      20_000,
    );
    expect(logs.every((l) => l.instanceId === instanceId)).toBe(true);
    const samples = await f.until(
      'metric samples',
      async () => {
        const res = await api.metrics(first.id, `?instanceId=${instanceId}`);
        return res.body.items.length > 0 ? res.body.items : undefined;
      },
      20_000,
    );
    for (const s of samples) {
      for (const v of [s.cpuPercent, s.memoryPercent, s.diskPercent]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(100);
      }
    }

    const c = await api.get(first.id);
    const launchedAt = Date.parse(c.nodes[0]?.launchedAt ?? '');
    const hours = (Date.now() - launchedAt) / 3_600_000;
    expect(c.runningCostUsd).toBeGreaterThan(0);
    // The API rounds costs to a millionth of a dollar: the bound is rounded the same way, as a
    // slack smaller than that rounding would fail whenever the cost rounds up.
    expect(c.runningCostUsd).toBeLessThanOrEqual(roundUsd((c.usdPerHour ?? 0) * hours * 1.01));

    const usage = await api.usage();
    expect(usage.status).toBe(200);
    expect(usage.body.instanceHours).toBeGreaterThan(0);
    const facts = await ec2.send(
      new DescribeInstanceTypesCommand({ InstanceTypes: [c.instanceType as _InstanceType] }),
    );
    const t = facts.InstanceTypes?.[0];
    // One node so far: every per-hour quantity is the instance's size times its hours.
    expect(usage.body.vcpuHours / usage.body.instanceHours).toBeCloseTo(
      t?.VCpuInfo?.DefaultVCpus ?? 0,
      1,
    );
    expect(usage.body.memoryGiBHours / usage.body.instanceHours).toBeCloseTo(
      (t?.MemoryInfo?.SizeInMiB ?? 0) / 1024,
      1,
    );
    expect(usage.body.storageGiBHours / usage.body.instanceHours).toBeCloseTo(c.storage, 1);
    expect(usage.body.costUsd).toBeGreaterThan(0);
  }, 60_000);

  it('a manifest: starting it again returns the live cluster; after stop, a new one', async () => {
    const put = await api.putManifest('etl', { cpus: 1, memory: 1, labels: { job: 'etl' } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const missing = await api.start({ manifest: 'nope' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('nope');
    const mixed = await api.start({ manifest: 'etl', cpus: 4 });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.details?.map((d) => d.path.replace(/^body\./, ''))).toContain('cpus');

    // Concurrent starts of one manifest end with one live cluster.
    const starts = await Promise.all([1, 2, 3].map(() => api.start({ manifest: 'etl' })));
    for (const s of starts) expect([200, 201], JSON.stringify(s.body)).toContain(s.status);
    const ids = new Set(starts.map((s) => s.body.id));
    expect(ids.size).toBe(1);
    expect(starts.filter((s) => !s.body.reused)).toHaveLength(1);
    const id = starts[0]?.body.id ?? '';
    const again = await api.start({ manifest: 'etl' });
    expect(again.body.id).toBe(id);
    expect(again.body.reused).toBe(true);
    expect(again.body.manifest).toBe('etl');
    expect((await api.getManifest('etl')).body.liveClusterId).toBe(id);

    await api.waitFor(id, ['Idle'], 60_000);
    const stopped = await api.stop(id);
    expect(stopped.status).toBe(200);
    await api.waitFor(id, ['Stopped'], 60_000);
    expect((await api.getManifest('etl')).body.liveClusterId).toBeNull();

    const fresh = await api.start({ manifest: 'etl' });
    expect(fresh.status).toBe(201);
    expect(fresh.body.reused).toBe(false);
    expect(fresh.body.id).not.toBe(id);
    await api.waitFor(fresh.body.id, ['Idle'], 60_000);
    expect((await api.stop(fresh.body.id)).status).toBe(200);
    await api.waitFor(fresh.body.id, ['Stopped'], 60_000);
  }, 90_000);

  it('stop → Stopped only once EC2 reports the instance terminated', async () => {
    const instanceId = first.nodes[0]?.instanceId ?? '';
    const stopped = await api.stop(first.id);
    expect(stopped.status).toBe(200);
    expect(['Stopping', 'Stopped']).toContain(stopped.body.state);

    // Observe both sides: the cluster first, then EC2, so a Stopped cluster is always
    // compared with an EC2 answer given after it.
    const seen: { cluster: string; ec2: string }[] = [];
    const deadline = Date.now() + 45_000;
    for (;;) {
      const c = await api.get(first.id);
      const [inst] = await customerInstances(ec2, [{ Name: 'instance-id', Values: [instanceId] }]);
      seen.push({ cluster: c.state, ec2: inst?.State?.Name ?? 'gone' });
      if (c.state === 'Stopped' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const s of seen) if (s.cluster === 'Stopped') expect(s.ec2).toBe('terminated');
    // It was Stopping while EC2 still had the instance shutting down (or running).
    expect(
      seen.some((s) => s.cluster === 'Stopping' && s.ec2 !== 'terminated'),
      JSON.stringify(seen),
    ).toBe(true);
    expect(seen.at(-1)?.cluster).toBe('Stopped');

    const done = await api.get(first.id);
    expect(done.reason).toBe('StoppedByUser');
    expect(done.stoppedAt).not.toBeNull();
    expect(done.nodes[0]?.ec2State).toBe('terminated');
    expect(done.nodes[0]?.terminatedAt).not.toBeNull();
    const events = await api.events(first.id);
    expect(events.slice(-2).map((e) => `${e.from ?? '-'}→${e.to}`)).toEqual([
      'Idle→Stopping',
      'Stopping→Stopped',
    ]);
    // Stopping again changes nothing.
    const twice = await api.stop(first.id);
    expect(twice.status).toBe(200);
    expect(twice.body.state).toBe('Stopped');
    expect(twice.body.revision).toBe(done.revision);
    // Listing by state finds it among the stopped ones.
    const list = await api.list('?state=Stopped');
    expect(list.body.items.map((c) => c.id)).toContain(first.id);
  }, 60_000);

  it("the audit log holds the AssumeRole calls made for the user's launch and stop", async () => {
    const audit = await f.api<{
      items: {
        action: string;
        outcome: string;
        awsSessionName: string | null;
        actorId: string | null;
      }[];
    }>('GET', `/api/v1/orgs/${f.orgId}/audit?action=aws.sts.*&limit=100`);
    expect(audit.status).toBe(200);
    const mine = audit.body.items.filter(
      (e) => e.action === 'aws.sts.AssumeRole' && e.awsSessionName === `user-${f.userId}`,
    );
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e) => e.outcome === 'success' && e.actorId === f.userId)).toBe(true);
  });
});
