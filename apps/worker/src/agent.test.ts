import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type Agent, type AgentSettings } from './agent.ts';
import { createControlPlaneClient } from './control-plane-client.ts';
import type { InstanceIdentity } from './imds.ts';
import { createLogBuffer } from './log-buffer.ts';
import { createSampler } from './samples.ts';
import { startNodeRoutesServer, type NodeRoutesServer } from './testing/node-routes-server.ts';

const CLUSTER = 'cl_01jd8x9y7z6w5v4t3s2r1q0p9n';
const TOKEN = 'ferry_boot_abcdefghijklmnopqrstuvwxyz012345';
const IDENTITY: InstanceIdentity = {
  instanceId: 'i-0123456789abcdef0',
  privateIp: '10.0.1.17',
  instanceType: 'm7i.large',
  availabilityZone: 'us-east-1b',
};

let dir: string;
let server: NodeRoutesServer | undefined;
let agent: Agent | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-agent-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  agent?.stop('test over');
  await agent?.done;
  await server?.close();
  agent = undefined;
  server = undefined;
});

interface Setup {
  /** What the register answer says. */
  heartbeatSeconds?: number;
  idleTimeoutMins?: number;
  minuteMs?: number;
  bootstrapToken?: string;
  identity?: () => Promise<InstanceIdentity>;
  query?: () => Promise<{ port: number; tlsFingerprint: string }>;
}

async function run(s: Setup = {}) {
  server = await startNodeRoutesServer({
    clusterId: CLUSTER,
    bootstrapToken: TOKEN,
    heartbeatSeconds: s.heartbeatSeconds ?? 1,
    idleTimeoutMins: s.idleTimeoutMins ?? 60,
    recorded: [IDENTITY.instanceId],
  });
  const echoed: string[] = [];
  const settings: AgentSettings = {
    controlPlaneUrl: server.url,
    clusterId: CLUSTER,
    bootstrapToken: s.bootstrapToken ?? TOKEN,
    // The bootstrap's values; the register answer replaces them.
    heartbeatSeconds: 30,
    idleTimeoutMins: 60,
    idleCheckMs: 50,
    minuteMs: s.minuteMs ?? 60_000,
  };
  agent = startAgent({
    settings,
    identity: s.identity ?? (() => Promise.resolve(IDENTITY)),
    client: createControlPlaneClient({ baseUrl: server.url, timeoutMs: 2000 }),
    sampler: createSampler({ dir, now: Date.now }),
    logs: createLogBuffer({ now: Date.now, echo: (t) => echoed.push(t) }),
    now: Date.now,
    agentVersion: '0.1.0-test',
    registerGiveUpAfterMs: 5000,
    ...(s.query === undefined ? {} : { query: s.query }),
  });
  return { server, agent, echoed };
}

const until = async (what: string, fn: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const shipped = (s: NodeRoutesServer) =>
  s.heartbeats.flatMap((h) => h.body?.logs.map((l) => l.line) ?? []);

describe('the agent', () => {
  it('registers as its instance, heartbeats with samples and logs, and ends itself when idle', async () => {
    const { server, agent, echoed } = await run({ idleTimeoutMins: 2, minuteMs: 1000 });
    const registeredAt = Date.now();
    const stop = await agent.done;
    const idleFor = Date.now() - registeredAt;
    expect(stop).toEqual({
      kind: 'idle',
      reason: expect.stringMatching(
        /^idle for 2 s with no query and no client \(timeout 2 min\)$/,
      ) as unknown,
      exitCode: 0,
    });
    expect(idleFor).toBeGreaterThanOrEqual(1900);
    await agent.flush();

    expect(server.registers.map((r) => r.body)).toEqual([
      {
        bootstrapToken: TOKEN,
        clusterId: CLUSTER,
        instanceId: IDENTITY.instanceId,
        privateIp: IDENTITY.privateIp,
        agentVersion: '0.1.0-test',
      },
    ]);
    const nodeToken = server.nodeTokens.get(IDENTITY.instanceId);
    // One right after registering, one a second, one at shutdown.
    expect(server.heartbeats.length).toBeGreaterThanOrEqual(3);
    for (const h of server.heartbeats) {
      expect(h.status).toBe(200);
      expect(h.token).toBe(nodeToken);
      expect(h.body).toMatchObject({ state: 'idle', activeQueries: 0, connectedClients: 0 });
      expect(h.body?.samples).toHaveLength(1);
      const s = h.body?.samples[0];
      for (const v of [s?.cpuPercent, s?.memoryPercent, s?.diskPercent]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(100);
      }
    }
    const lines = shipped(server);
    expect(lines[0]).toMatch(/^starting: cluster cl_\w+, control plane http:\/\/127\.0\.0\.1:\d+/);
    expect(lines).toContain(`instance ${IDENTITY.instanceId} (m7i.large) in us-east-1b, 10.0.1.17`);
    expect(lines).toContain('registered: heartbeat every 1 s, idle timeout 2 min');
    expect(lines.at(-1)).toMatch(/^stopping: idle for 2 s/);
    // Each line is shipped exactly once.
    expect(new Set(lines).size).toBe(lines.length);
    // No token anywhere: not in what was shipped, not on the console.
    const everything = JSON.stringify(server.heartbeats.map((h) => h.raw)) + echoed.join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(nodeToken);
  });

  it('a running query or a connected client keeps the node up; idleness counts from when they end', async () => {
    const { server, agent } = await run({ idleTimeoutMins: 1, minuteMs: 500 });
    await until('registered', () => agent.registration !== undefined);
    const endQuery = agent.activity.queryStarted();
    const leave = agent.activity.clientConnected();
    await until('a busy heartbeat', () => server.heartbeats.some((h) => h.body?.state === 'busy'));
    const busy = server.heartbeats.find((h) => h.body?.state === 'busy')?.body;
    expect(busy).toMatchObject({ activeQueries: 1, connectedClients: 1 });
    await new Promise((r) => setTimeout(r, 1200));
    endQuery();
    await new Promise((r) => setTimeout(r, 700));
    let ended = false;
    void agent.done.then(() => (ended = true));
    await new Promise((r) => setImmediate(r));
    expect(ended).toBe(false);
    const leftAt = Date.now();
    leave();
    const stop = await agent.done;
    expect(stop.kind).toBe('idle');
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(450);
    const last = server.heartbeats.at(-1)?.body;
    expect(Date.parse(last?.lastActivityAt ?? '')).toBeGreaterThanOrEqual(leftAt - 5);
  });

  it('stops when a heartbeat answer says so', async () => {
    const { server, agent } = await run();
    await until('a heartbeat', () => server.heartbeats.length > 0);
    server.answer({ stop: true });
    expect(await agent.done).toEqual({
      kind: 'stopped',
      reason: 'the control plane stopped the cluster',
      exitCode: 0,
    });
  });

  it('follows an idle timeout the control plane changes in a heartbeat answer', async () => {
    const { server, agent } = await run({ idleTimeoutMins: 60, minuteMs: 200 });
    await until('a heartbeat', () => server.heartbeats.length > 0);
    expect(agent.idleTimeoutMins).toBe(60);
    server.answer({ idleTimeoutMins: 1 });
    const stop = await agent.done;
    expect(stop.kind).toBe('idle');
    expect(stop.reason).toMatch(/\(timeout 1 min\)$/);
    await agent.flush();
    expect(shipped(server)).toContain('idle timeout is now 1 min (set by the control plane)');
  });

  it('keeps logs and samples while the control plane is unreachable and delivers them after', async () => {
    const { server } = await run();
    await until('a heartbeat', () => server.heartbeats.length > 0);
    server.inject('heartbeat', { status: 503, code: 'unavailable' }, 3);
    await until(
      'a heartbeat after the outage',
      () => server.heartbeats.filter((h) => h.status === 200).length >= 2,
    );
    const [first, second] = server.heartbeats.filter((h) => h.status === 200);
    expect(server.heartbeats.filter((h) => h.status === 503)).toHaveLength(3);
    // The samples of the three failed beats and this one, in order.
    expect(second?.body?.samples).toHaveLength(4);
    const ats = second?.body?.samples.map((s) => Date.parse(s.at)) ?? [];
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);
    const lines = second?.body?.logs.map((l) => l.line) ?? [];
    // One line for the outage, not one per beat, and one when it ends.
    expect(lines.filter((l) => /^heartbeat failed \(503 unavailable/.test(l))).toEqual([
      'heartbeat failed (503 unavailable: Injected.); will retry [1 in a row]',
    ]);
    await until(
      'the heartbeat after',
      () => server.heartbeats.filter((h) => h.status === 200).length >= 3,
    );
    expect(shipped(server)).toContain('heartbeats delivered again after 3 failed');
    expect(first?.body?.logs.map((l) => l.line)).toContain(
      'registered: heartbeat every 1 s, idle timeout 60 min',
    );
  });

  it('a bad bootstrap token ends the node without retrying', async () => {
    const { server, agent } = await run({
      bootstrapToken: 'ferry_boot_notthetokennotthetoken0000',
    });
    const stop = await agent.done;
    expect(stop).toEqual({
      kind: 'refused',
      reason:
        'the control plane refused registration: 401 bootstrap_token_invalid: The bootstrap token is not valid for this cluster.',
      exitCode: 1,
    });
    expect(server.registers).toHaveLength(1);
    expect(server.heartbeats).toHaveLength(0);
  });

  it('ends the node when the control plane stops accepting its node token', async () => {
    const { server, agent } = await run();
    await until('a heartbeat', () => server.heartbeats.length > 0);
    server.nodeTokens.clear();
    const stop = await agent.done;
    expect(stop).toEqual({
      kind: 'refused',
      reason: 'the control plane no longer accepts this node (heartbeats unauthenticated)',
      exitCode: 1,
    });
    expect(server.heartbeats.map((h) => h.status).slice(-3)).toEqual([401, 401, 401]);
  });

  it('ends the node when it cannot tell which instance it is', async () => {
    const { server, agent } = await run({
      identity: () => Promise.reject(new Error('no metadata service')),
    });
    expect(await agent.done).toEqual({
      kind: 'failed',
      reason: 'cannot tell which instance this is: Error: no metadata service',
      exitCode: 1,
    });
    expect(server.registers).toHaveLength(0);
  });

  it('registers only once its query service is up, with its port and certificate', async () => {
    let up: (e: { port: number; tlsFingerprint: string }) => void = () => undefined;
    const { server } = await run({ query: () => new Promise((r) => (up = r)) });
    await new Promise((r) => setTimeout(r, 300));
    expect(server.registers).toEqual([]);
    up({ port: 5051, tlsFingerprint: 'ab'.repeat(32) });
    await until('registration', () => server.registers.length === 1);
    expect(server.registers[0]?.body).toMatchObject({
      query: { port: 5051, tlsFingerprint: 'ab'.repeat(32) },
    });
  });

  it('fails without registering when its query service cannot start', async () => {
    const { server, agent } = await run({
      query: () => Promise.reject(new Error('instance metadata timed out')),
    });
    const stop = await agent.done;
    expect(stop).toEqual({
      kind: 'failed',
      reason: 'the query service did not start: Error: instance metadata timed out',
      exitCode: 1,
    });
    expect(server.registers).toEqual([]);
  });
});
