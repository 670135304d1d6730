import { FerryApiError } from '@ferry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createControlPlaneClient,
  registerWithRetry,
  RegistrationRefusedError,
  type RegisterBody,
} from './control-plane-client.ts';
import { startNodeRoutesServer, type NodeRoutesServer } from './testing/node-routes-server.ts';

const CLUSTER = 'cl_01jd8x9y7z6w5v4t3s2r1q0p9n';
const TOKEN = 'ferry_boot_abcdefghijklmnopqrstuvwxyz012345';
const INSTANCE = 'i-0123456789abcdef0';
const body: RegisterBody = { bootstrapToken: TOKEN, clusterId: CLUSTER, instanceId: INSTANCE };
const fast = { baseMs: 20, capMs: 80, maxRetries: 1000 };

let server: NodeRoutesServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(recorded: string[] = [INSTANCE]) {
  server = await startNodeRoutesServer({
    clusterId: CLUSTER,
    bootstrapToken: TOKEN,
    heartbeatSeconds: 5,
    idleTimeoutMins: 10,
    recorded,
  });
  const logged: string[] = [];
  const client = createControlPlaneClient({ baseUrl: `${server.url}/`, timeoutMs: 500 });
  const options = { log: (m: string) => logged.push(m), now: Date.now, policy: fast };
  return { server, client, logged, options };
}

describe('registration', () => {
  it('retries 409 node_not_recorded until the launcher has recorded the instance', async () => {
    const { server, client, logged, options } = await setup([]);
    setTimeout(() => server.record(INSTANCE), 300);
    const registered = await registerWithRetry(client, body, options);
    expect(registered).toEqual({
      nodeToken: server.nodeTokens.get(INSTANCE),
      heartbeatSeconds: 5,
      idleTimeoutMins: 10,
    });
    const statuses = server.registers.map((r) => r.status);
    expect(statuses.length).toBeGreaterThan(1);
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.slice(0, -1).every((s) => s === 409)).toBe(true);
    expect(logged[0]).toMatch(
      /^register attempt 1 failed \(409 node_not_recorded: .*\); retrying in \d+ ms$/,
    );
  });

  it('retries server errors, throttling and requests that time out', async () => {
    const { server, client, options } = await setup();
    server.inject('register', { status: 503, code: 'unavailable' });
    server.inject('register', { status: 429, code: 'rate_limited' });
    server.inject('register', 'hang');
    const registered = await registerWithRetry(client, body, options);
    expect(registered.nodeToken).toBe(server.nodeTokens.get(INSTANCE));
    expect(server.registers.map((r) => r.status)).toEqual([503, 429, 0, 200]);
  });

  it('a bad bootstrap token is refused at once, without retrying', async () => {
    const { server, client, options } = await setup();
    const err = await registerWithRetry(
      client,
      { ...body, bootstrapToken: 'ferry_boot_wrongwrongwrongwrongwrong' },
      options,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistrationRefusedError);
    expect((err as Error).message).toBe(
      'the control plane refused registration: 401 bootstrap_token_invalid: The bootstrap token is not valid for this cluster.',
    );
    expect((err as Error).message).not.toContain('wrongwrong');
    expect(server.registers).toHaveLength(1);
  });

  it('another conflict (already registered) is final', async () => {
    const { server, client, options } = await setup();
    await registerWithRetry(client, body, options);
    await expect(registerWithRetry(client, body, options)).rejects.toThrow(
      /409 node_already_registered/,
    );
    expect(server.registers).toHaveLength(2);
  });

  it('a cluster that is no longer live is final: the node should end', async () => {
    const { server, client, options } = await setup();
    server.answer({ stop: true });
    await expect(registerWithRetry(client, body, options)).rejects.toThrow(
      /^the control plane refused registration: 409 cluster_not_live/,
    );
    expect(server.registers).toHaveLength(1);
  });

  it('gives up when the time allowed has passed', async () => {
    const { server, client, options } = await setup([]);
    const started = Date.now();
    await expect(
      registerWithRetry(client, body, { ...options, giveUpAfterMs: 400 }),
    ).rejects.toThrow(/^registration did not succeed after \d+ attempts: 409 node_not_recorded/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.registers.length).toBeGreaterThan(1);
  });

  it('stops retrying when aborted', async () => {
    const { client, options } = await setup([]);
    const aborter = new AbortController();
    setTimeout(() => aborter.abort(), 150);
    await expect(
      registerWithRetry(client, body, { ...options, signal: aborter.signal }),
    ).rejects.toThrow(/aborted/i);
  });
});

describe('heartbeat', () => {
  it('sends the node token header and returns the answer; a wrong token is 401', async () => {
    const { server, client, options } = await setup();
    const { nodeToken } = await registerWithRetry(client, body, options);
    const beat = {
      state: 'idle' as const,
      activeQueries: 0,
      connectedClients: 0,
      lastActivityAt: new Date().toISOString(),
    };
    expect(await client.heartbeat(nodeToken, beat)).toEqual({ stop: false, idleTimeoutMins: 10 });
    server.answer({ stop: true, idleTimeoutMins: 20 });
    expect(await client.heartbeat(nodeToken, beat)).toEqual({ stop: true, idleTimeoutMins: 20 });
    const err = await client.heartbeat('ferry_node_not-the-token', beat).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryApiError);
    expect((err as FerryApiError).status).toBe(401);
    expect(server.heartbeats.map((h) => [h.status, h.token])).toEqual([
      [200, nodeToken],
      [200, nodeToken],
      [401, 'ferry_node_not-the-token'],
    ]);
  });
});
