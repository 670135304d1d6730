/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   Response bodies are untyped JSON in these API tests. */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { injectCall, type TestCaller } from '../routes/api-test-kit.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { createLogCapture } from '../testing/log-capture.ts';
import { insertCluster, ownerWithWorkspace, recordNode } from './cluster-fixture.ts';
import { applyClusterEvent } from './cluster-transitions.ts';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const capture = createLogCapture();

describeEachBackend(
  'compute node intake',
  (ctx) => {
    let app: FastifyInstance;
    let owner: TestCaller;
    let workspaceId: string;
    let orgId: string;
    const secrets: string[] = [];

    beforeAll(async () => {
      app = await createApp(ctx().resources);
      ({ owner, workspaceId, orgId } = await ownerWithWorkspace(app, ctx().resources));
    });
    afterAll(async () => {
      await app?.close();
      // No token, bootstrap or node, ever reached a log line.
      expect(capture.lines.length).toBeGreaterThan(0);
      for (const s of secrets) expect(capture.text()).not.toContain(s);
    });

    const register = (body: Record<string, unknown>) =>
      injectCall(app, 'nodes.register', {}, { body });
    const heartbeat = (token: string | undefined, body: Record<string, unknown>) =>
      injectCall(
        app,
        'nodes.heartbeat',
        token === undefined ? {} : { 'x-ferry-node-token': token },
        {
          body,
        },
      );
    const beat = (state: 'idle' | 'busy', extra: Record<string, unknown> = {}) => ({
      state,
      activeQueries: state === 'busy' ? 1 : 0,
      connectedClients: 0,
      lastActivityAt: new Date().toISOString(),
      ...extra,
    });
    const cluster = async (clusterId: string) =>
      (await owner.call('compute.get', { params: { workspaceId, clusterId } })).body;

    it('registers every node of a cluster by its bootstrap token, then the cluster is Idle', async () => {
      const { resources } = ctx();
      const started = await insertCluster(resources, {
        workspaceId,
        orgId,
        context: { clusterSize: 2, idleTimeoutMins: 45 },
      });
      const id = started.cluster.id;
      secrets.push(started.bootstrapToken);
      const good = { bootstrapToken: started.bootstrapToken, clusterId: id };

      const early = await register({ ...good, instanceId: 'i-0aaaaaaaaaaaaaaa1' });
      expect(early.status).toBe(409);
      expect(early.body.error.code).toBe('node_not_recorded');

      const a = await recordNode(resources, started.cluster);
      const b = await recordNode(resources, started.cluster);

      const wrong = await register({
        ...good,
        bootstrapToken: `ferry_boot_${'x'.repeat(32)}`,
        instanceId: a,
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('bootstrap_token_invalid');
      const otherCluster = await register({
        ...good,
        clusterId: 'cl_00000000000000000000000000',
        instanceId: a,
      });
      expect(otherCluster.status).toBe(401);
      expect(otherCluster.body.error.code).toBe('bootstrap_token_invalid');

      const first = await register({ ...good, instanceId: a, privateIp: '10.0.1.5' });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        nodeToken: expect.stringMatching(/^ferry_node_[A-Za-z0-9_-]{40,}$/),
        heartbeatSeconds: resources.config.compute.heartbeatSeconds,
        idleTimeoutMins: 45,
        // What the worker needs to serve queries: the key that verifies query tokens.
        queryTokenPublicKey: expect.stringContaining('BEGIN PUBLIC KEY'),
        connectionMode: 'direct',
      });
      secrets.push(first.body.nodeToken);
      expect((await cluster(id)).state).toBe('Starting');

      const twice = await register({ ...good, instanceId: a });
      expect(twice.status).toBe(409);
      expect(twice.body.error.code).toBe('node_already_registered');

      const second = await register({ ...good, instanceId: b });
      expect(second.status).toBe(200);
      secrets.push(second.body.nodeToken);
      const ready = await cluster(id);
      expect(ready.state).toBe('Idle');
      expect(ready.nodes.map((n: any) => n.agentState)).toEqual(['idle', 'idle']);
      // Recorded as pending at launch; an agent calling in proves the instance runs.
      expect(ready.nodes.map((n: any) => n.ec2State)).toEqual(['running', 'running']);
      expect(ready.nodes.find((n: any) => n.instanceId === a).privateIp).toBe('10.0.1.5');

      // Only hashes are stored; the bootstrap token is used up.
      const row = await resources.db
        .selectFrom('clusters')
        .select('bootstrap_token_hash')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.bootstrap_token_hash).toBeNull();
      const nodes = await resources.db
        .selectFrom('cluster_nodes')
        .select(['instance_id', 'node_token_hash'])
        .where('cluster_id', '=', id)
        .orderBy('instance_id')
        .execute();
      expect(new Set(nodes.map((n) => n.node_token_hash))).toEqual(
        new Set([sha256(first.body.nodeToken), sha256(second.body.nodeToken)]),
      );
      const late = await recordNode(resources, started.cluster);
      const reused = await register({ ...good, instanceId: late });
      expect(reused.status).toBe(401);
      expect(reused.body.error.code).toBe('bootstrap_token_invalid');

      const events = await owner.call('compute.events', { params: { workspaceId, clusterId: id } });
      expect(events.body.items.map((e: any) => e.event)).toEqual(['start', 'ready']);
    });

    it('moves the cluster between Idle and Busy by heartbeats, stores samples and logs, and says stop', async () => {
      const { resources } = ctx();
      const started = await insertCluster(resources, {
        workspaceId,
        orgId,
        context: { clusterSize: 2 },
      });
      const id = started.cluster.id;
      secrets.push(started.bootstrapToken);
      const [a, b] = [
        await recordNode(resources, started.cluster),
        await recordNode(resources, started.cluster),
      ];
      const tokens: string[] = [];
      for (const instanceId of [a, b]) {
        const r = await register({
          bootstrapToken: started.bootstrapToken,
          clusterId: id,
          instanceId,
        });
        tokens.push(r.body.nodeToken);
        secrets.push(r.body.nodeToken);
      }
      const [ta, tb] = tokens as [string, string];

      const none = await heartbeat(undefined, beat('idle'));
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('node_token_invalid');
      const bad = await heartbeat(`ferry_node_${'y'.repeat(43)}`, beat('idle'));
      expect(bad.status).toBe(401);

      const t0 = new Date(Date.now() - 60_000).toISOString();
      const busy = await heartbeat(
        ta,
        beat('busy', {
          samples: [
            { at: t0, cpuPercent: 91.5, memoryPercent: 40, diskPercent: 12 },
            { at: new Date().toISOString(), cpuPercent: 80, memoryPercent: 41, diskPercent: 12 },
          ],
          logs: [
            { at: t0, stream: 'agent', line: 'registered' },
            { at: new Date().toISOString(), stream: 'stdout', line: 'query 1 started\u0000' },
          ],
        }),
      );
      expect(busy.status).toBe(200);
      expect(busy.body).toEqual({ stop: false, idleTimeoutMins: 60 });
      expect((await cluster(id)).state).toBe('Busy');

      // Another node idle: still Busy while one node works.
      await heartbeat(tb, beat('idle', { logs: [{ at: t0, stream: 'stderr', line: 'warn' }] }));
      expect((await cluster(id)).state).toBe('Busy');
      const back = await heartbeat(ta, beat('idle'));
      expect(back.body.stop).toBe(false);
      const idle = await cluster(id);
      expect(idle.state).toBe('Idle');
      expect(idle.nodes.every((n: any) => n.lastHeartbeatAt !== null)).toBe(true);
      const events = await owner.call('compute.events', { params: { workspaceId, clusterId: id } });
      expect(events.body.items.map((e: any) => e.to)).toEqual(['Starting', 'Idle', 'Busy', 'Idle']);

      const params = { workspaceId, clusterId: id };
      const logs = await owner.call('compute.logs', { params });
      expect(logs.status).toBe(200);
      expect(logs.body.items.map((l: any) => [l.instanceId, l.stream, l.line])).toEqual([
        [a, 'agent', 'registered'],
        [b, 'stderr', 'warn'],
        [a, 'stdout', 'query 1 started'],
      ]);
      const ofB = await owner.call('compute.logs', { params, query: { instanceId: b } });
      expect(ofB.body.items).toHaveLength(1);
      const recent = await owner.call('compute.logs', { params, query: { since: t0, limit: 5 } });
      expect(recent.body.items.map((l: any) => l.line)).toEqual(['query 1 started']);
      const metrics = await owner.call('compute.metrics', { params });
      expect(metrics.body.items).toEqual([
        { at: t0, instanceId: a, cpuPercent: 91.5, memoryPercent: 40, diskPercent: 12 },
        expect.objectContaining({ instanceId: a, cpuPercent: 80 }),
      ]);

      // Stopped by the user: the next heartbeat tells the node to stop (and is still stored).
      expect((await owner.call('compute.stop', { params })).body.state).toBe('Stopping');
      const told = await heartbeat(
        tb,
        beat('idle', { logs: [{ at: t0, stream: 'agent', line: 'bye' }] }),
      );
      expect(told.body).toEqual({ stop: true, idleTimeoutMins: 60 });
      expect((await cluster(id)).state).toBe('Stopping');
      const bye = await owner.call('compute.logs', { params, query: { instanceId: b } });
      expect(bye.body.items.map((l: any) => l.line)).toContain('bye');
    });

    it('stores nothing a node of a stopped cluster sends', async () => {
      const { resources } = ctx();
      const started = await insertCluster(resources, { workspaceId, orgId });
      secrets.push(started.bootstrapToken);
      const id = started.cluster.id;
      const node = await recordNode(resources, started.cluster);
      const r = await register({
        bootstrapToken: started.bootstrapToken,
        clusterId: id,
        instanceId: node,
      });
      const token = r.body.nodeToken as string;
      secrets.push(token);
      await owner.call('compute.stop', { params: { workspaceId, clusterId: id } });
      await applyClusterEvent(resources, id, { type: 'terminated' }, { message: 'test' });
      expect((await cluster(id)).state).toBe('Stopped');
      const late = await heartbeat(
        token,
        beat('busy', {
          samples: [
            { at: new Date().toISOString(), cpuPercent: 1, memoryPercent: 2, diskPercent: 3 },
          ],
          logs: [{ at: new Date().toISOString(), stream: 'stdout', line: 'after the end' }],
        }),
      );
      expect(late.body).toEqual({ stop: true, idleTimeoutMins: 60 });
      const params = { workspaceId, clusterId: id };
      expect((await owner.call('compute.logs', { params })).body.items).toEqual([]);
      expect((await owner.call('compute.metrics', { params })).body.items).toEqual([]);
    });

    it('refuses out-of-range samples and control characters in what a node says about itself', async () => {
      const { resources } = ctx();
      const started = await insertCluster(resources, { workspaceId, orgId });
      secrets.push(started.bootstrapToken);
      const id = started.cluster.id;
      const node = await recordNode(resources, started.cluster);
      const valid = { bootstrapToken: started.bootstrapToken, clusterId: id, instanceId: node };
      // Every text field of the registration, with every kind of control character.
      for (const field of ['privateIp', 'agentVersion']) {
        for (const bad of ['10.0.0.1\u0000', '10.0.0.1\n', '\u001b[31m', '1.2.3.4\u007f']) {
          const res = await register({ ...valid, [field]: bad });
          expect(res.status, `${field}=${JSON.stringify(bad)}: ${res.raw}`).toBe(400);
          expect(res.body.error.details.map((d: any) => d.path)).toContain(`body.${field}`);
        }
      }
      const r = await register({ ...valid, privateIp: '10.0.0.7', agentVersion: '1.2.3' });
      expect(r.status).toBe(200);
      secrets.push(r.body.nodeToken);
      for (const [key, value] of [
        ['cpuPercent', 101],
        ['memoryPercent', -1],
        ['diskPercent', 1e308],
      ] as const) {
        const sample = {
          at: new Date().toISOString(),
          cpuPercent: 1,
          memoryPercent: 1,
          diskPercent: 1,
        };
        const res = await heartbeat(
          r.body.nodeToken,
          beat('idle', { samples: [{ ...sample, [key]: value }] }),
        );
        expect(res.status, `${key}=${value}`).toBe(400);
        expect(res.body.error.details.map((d: any) => d.path)).toContain(`body.samples.0.${key}`);
      }
    });

    it('refuses registration for a cluster that is no longer live', async () => {
      const { resources } = ctx();
      const started = await insertCluster(resources, { workspaceId, orgId });
      secrets.push(started.bootstrapToken);
      const node = await recordNode(resources, started.cluster);
      await owner.call('compute.stop', { params: { workspaceId, clusterId: started.cluster.id } });
      const res = await register({
        bootstrapToken: started.bootstrapToken,
        clusterId: started.cluster.id,
        instanceId: node,
      });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('cluster_not_live');
    });

    it('keeps heartbeats out of the audit log, registrations in', async () => {
      const rows = await ctx()
        .resources.db.selectFrom('audit_log')
        .select('action')
        .where('action', 'in', ['nodes.register', 'nodes.heartbeat'])
        .execute();
      const actions = new Set(rows.map((r) => r.action));
      expect(actions.has('nodes.register')).toBe(true);
      expect(actions.has('nodes.heartbeat')).toBe(false);
    });
  },
  { env: { FERRY_LOG_LEVEL: 'debug' }, logDestination: capture },
);
