/**
 * The worker agent on a real localcloud instance: EC2 runs the user-data from
 * `workerUserData`, the agent reads who it is from the instance's IMDSv2 (tokens required),
 * registers with a server playing the control plane's node routes (retrying while the
 * instance is not recorded yet), heartbeats with samples and logs, and — idle past the
 * timeout the register answer set — ends its process, which EC2 reports as the instance
 * shutting itself down: terminated, Client.InstanceInitiatedShutdown. Terminated from
 * outside instead, it still delivers its last logs before its process ends.
 */
import { randomBytes } from 'node:crypto';
import {
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import {
  BUNDLE_CODECS,
  newId,
  workerBundleFile,
  workerUserData,
  type WorkerBundlePin,
} from '@ferry/core';
import { startLocalCloudHarness, type LocalCloudHarness } from '@ferry/localcloud/testing';
import { startNodeRoutesServer, type NodeRoutesServer } from '@ferry/worker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testWorkerBundles } from './fixtures/worker-bundle.ts';

const REGION = 'us-east-1';
/** One idle-timeout minute of the agent lasts this many seconds here. */
const MINUTE_SECONDS = 3;

let cloud: LocalCloudHarness;
let ec2: EC2Client;
let iam: IAMClient;
let pin: WorkerBundlePin;
const bundles: Record<string, string> = {};
const servers: NodeRoutesServer[] = [];

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A cluster of one: a server playing its node routes, and an instance booting the worker. */
async function launchWorker() {
  const clusterId = newId('cluster');
  const bootstrapToken = `ferry_boot_${randomBytes(24).toString('base64url')}`;
  const server = await startNodeRoutesServer({
    clusterId,
    bootstrapToken,
    // The register answer overrides the bootstrap's timings below.
    heartbeatSeconds: 1,
    idleTimeoutMins: 1,
    bundles,
  });
  servers.push(server);
  // The boot script installs the bundle and runs its worker; the instance's process gets a
  // minimal environment, so the test knobs ride on env(1).
  const workerCommand = [
    'env',
    `FERRY_IDLE_MINUTE_SECONDS=${MINUTE_SECONDS}`,
    'FERRY_IDLE_CHECK_SECONDS=0.25',
    'ferry-worker',
  ].join(' ');
  const userData = workerUserData({
    controlPlaneUrl: server.url,
    clusterId,
    bootstrapToken,
    workerCommand,
    heartbeatSeconds: 30,
    idleTimeoutMins: 60,
    bundle: pin,
  });
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-0abcdef1234567890',
      InstanceType: 'm7i.large',
      MinCount: 1,
      MaxCount: 1,
      IamInstanceProfile: { Name: 'ferry-worker' },
      InstanceInitiatedShutdownBehavior: 'terminate',
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
      UserData: Buffer.from(userData).toString('base64'),
    }),
  );
  const launched = run.Instances?.[0];
  const instanceId = launched?.InstanceId ?? '';
  expect(instanceId).toMatch(/^i-[0-9a-f]+$/);
  return { server, clusterId, bootstrapToken, launched, instanceId };
}

const describeInstance = async (instanceId: string) =>
  (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]
    ?.Instances?.[0];

beforeAll(async () => {
  const store = testWorkerBundles();
  pin = await store.pin();
  for (const [arch, p] of Object.entries(pin.architectures)) {
    if ('missing' in p) continue;
    for (const codec of BUNDLE_CODECS) {
      const file = workerBundleFile(pin.version, arch as keyof typeof pin.architectures, codec);
      bundles[file] = (await store.find(file)) ?? '';
    }
  }
  // A terminated instance's processes get 10 s between SIGTERM and SIGKILL here, not
  // localcloud's default 2 s: a real instance's shutdown gives services far longer
  // (systemd's default stop timeout is 90 s), and on a loaded machine the worker's stop
  // (executors killed, services closed, the last heartbeat sent) can pass 2 s.
  cloud = await startLocalCloudHarness({
    logLevel: 'warn',
    ec2: { timings: { killGraceMs: 10_000 } },
  });
  const config = cloud.clientConfig(await cloud.createAccount('customer'), REGION);
  ec2 = new EC2Client(config);
  iam = new IAMClient(config);
  // The node's role: only EC2 may assume it. The agent needs no permission to end itself.
  await iam.send(
    new CreateRoleCommand({
      RoleName: 'ferry-worker',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'ec2.amazonaws.com' },
            Action: 'sts:AssumeRole',
          },
        ],
      }),
    }),
  );
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'ferry-worker' }));
  await iam.send(
    new AddRoleToInstanceProfileCommand({
      InstanceProfileName: 'ferry-worker',
      RoleName: 'ferry-worker',
    }),
  );
}, 240_000);

afterAll(async () => {
  ec2?.destroy();
  iam?.destroy();
  for (const server of servers) await server.close();
  await cloud?.stop();
});

describe('the worker agent on a localcloud instance', () => {
  it('registers as its instance, heartbeats, and terminates the instance when idle', async () => {
    const { server, clusterId, bootstrapToken, launched, instanceId } = await launchWorker();

    // As the real launcher may: the node asks before its record exists, and is told to retry.
    await until('a first registration attempt', () => Promise.resolve(server.registers[0]), 30_000);
    expect(server.registers[0]?.status).toBe(409);
    server.record(instanceId);

    const registered = await until(
      'the registration',
      () => Promise.resolve(server.registers.find((r) => r.status === 200)),
      20_000,
    );
    const registeredAt = registered.at;
    expect(registered.body).toEqual({
      bootstrapToken,
      clusterId,
      instanceId,
      privateIp: launched?.PrivateIpAddress,
      agentVersion: '0.1.0',
      // The query API, served on the node's private address with a certificate made at boot.
      query: { port: 5051, tlsFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown },
    });
    const nodeToken = server.nodeTokens.get(instanceId);

    const gone = await until(
      'the instance to terminate itself',
      async () => {
        const i = await describeInstance(instanceId);
        return i?.State?.Name === 'terminated' ? i : undefined;
      },
      30_000,
    );
    expect(gone.StateReason?.Code).toBe('Client.InstanceInitiatedShutdown');

    // Heartbeats every second (the register answer, not the bootstrap's 30 s), each with a sample.
    const beats = server.heartbeats;
    expect(beats.length).toBeGreaterThanOrEqual(MINUTE_SECONDS);
    for (const h of beats) {
      expect(h.status).toBe(200);
      expect(h.token).toBe(nodeToken);
      expect(h.body).toMatchObject({ state: 'idle', activeQueries: 0, connectedClients: 0 });
      expect(h.body?.samples.length).toBeGreaterThanOrEqual(1);
      for (const s of h.body?.samples ?? []) {
        for (const v of [s.cpuPercent, s.memoryPercent, s.diskPercent]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(100);
        }
      }
    }
    const gaps = beats.slice(1).map((h, i) => h.at - (beats[i]?.at ?? 0));
    expect(Math.max(...gaps.slice(0, -1))).toBeLessThan(4000);

    // The idle timeout of the register answer (1 minute of 3 s) was honoured: not earlier.
    const lastBeat = beats.at(-1);
    expect((lastBeat?.at ?? 0) - registeredAt).toBeGreaterThanOrEqual(MINUTE_SECONDS * 1000 - 300);

    const lines = beats.flatMap((h) => h.body?.logs.map((l) => l.line) ?? []);
    expect(lines).toContain(
      `instance ${instanceId} (m7i.large) in ${launched?.Placement?.AvailabilityZone}, ${launched?.PrivateIpAddress}`,
    );
    expect(lines.some((l) => /^register attempt 1 failed \(409 node_not_recorded/.test(l))).toBe(
      true,
    );
    expect(lines).toContain('registered: heartbeat every 1 s, idle timeout 1 min');
    // The last heartbeat, flushed before the process ended, says why.
    expect(lastBeat?.body?.logs.map((l) => l.line)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^shutting down \(exit\): idle for \d+ s with no query and no client \(timeout 1 min\)$/,
        ),
      ]),
    );
    const everything = JSON.stringify(beats.map((h) => h.raw));
    expect(everything).not.toContain(bootstrapToken);
    expect(everything).not.toContain(nodeToken);
  }, 60_000);

  it('terminated from outside, it sends its last logs and exits (SIGTERM)', async () => {
    const { server, instanceId } = await launchWorker();
    server.record(instanceId);
    await until('a heartbeat', () => Promise.resolve(server.heartbeats[0]), 30_000);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    const last = await until(
      'the last logs',
      () =>
        Promise.resolve(
          server.heartbeats.find((h) =>
            h.body?.logs.some((l) => l.line === 'shutting down (exit): received SIGTERM'),
          ),
        ),
      15_000,
    );
    expect(last.status).toBe(200);
    expect(last.body?.logs.map((l) => l.line)).toContain('stopping: received SIGTERM');
    const gone = await until(
      'the instance to be terminated',
      async () => {
        const i = await describeInstance(instanceId);
        return i?.State?.Name === 'terminated' ? i : undefined;
      },
      15_000,
    );
    expect(gone.StateReason?.Code).toBe('Client.UserInitiatedShutdown');
  }, 40_000);
});
