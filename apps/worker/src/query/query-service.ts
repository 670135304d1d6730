/**
 * The node's query service, wired from the pieces: the TLS identity made at boot, the
 * Worker role's credentials from IMDS, the executor pool, the engine, the HTTPS API and
 * the link to the control plane (reports, head uploads, the work long-poll). Starts before
 * registration (the port and fingerprint go into it); the link starts once registered.
 */
import { cpus, totalmem } from 'node:os';
import { DEFAULT_WORKER_QUERY_PORT } from '@ferry/api';
import type { Activity } from '../activity.ts';
import type { RegisteredNode } from '../control-plane-client.ts';
import type { InstanceIdentity } from '../imds.ts';
import { executorAwsEnv, type RoleCredentials, type S3Access } from './cloud-options.ts';
import { createQueryReporter, pollWork, sendReport } from './control-plane-queries.ts';
import { createExecutorPool } from './executor-pool.ts';
import { fetchConnectionSessions } from './connection-sessions.ts';
import { createQueryEngine, type QueryEngine } from './query-engine.ts';
import { startQueryServer, type QueryServer } from './query-server.ts';
import { installedPolarsVersion } from './polars-version.ts';
import { imdsRoleCredentials } from './role-credentials.ts';
import { createTlsIdentity } from './self-signed-cert.ts';

export const QUERY_ENV = {
  port: 'FERRY_QUERY_PORT',
  host: 'FERRY_QUERY_HOST',
  executors: 'FERRY_EXECUTORS',
} as const;

export interface QueryServiceOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly imdsEndpoint: string;
  readonly identity: () => Promise<InstanceIdentity>;
  readonly controlPlaneUrl: string;
  readonly clusterId: string;
  readonly ferryVersion: string;
  readonly activity: Activity;
  readonly registration: () => RegisteredNode | undefined;
  readonly log: (message: string) => void;
  readonly now: () => number;
}

export interface QueryService {
  /** For the registration body. */
  readonly endpoint: { port: number; tlsFingerprint: string };
  onRegistered(registration: RegisteredNode, identity: InstanceIdentity): void;
  stop(): Promise<void>;
  readonly engine: QueryEngine;
}

export async function startQueryService(options: QueryServiceOptions): Promise<QueryService> {
  const { env, log, now } = options;
  const identity = await options.identity();
  const tls = createTlsIdentity({ commonName: 'ferry-worker', ips: [identity.privateIp] });
  const access: S3Access = {
    region: env.AWS_REGION?.trim() || identity.availabilityZone.replace(/[a-z]$/, ''),
    ...(env.AWS_ENDPOINT_URL?.trim() ? { endpoint: env.AWS_ENDPOINT_URL.trim() } : {}),
  };
  let current: RoleCredentials | undefined;
  const source = imdsRoleCredentials({
    endpoint: options.imdsEndpoint,
    now,
    onRotate: () => pool.recycle(),
  });
  const credentials = async () => (current = await source.get());
  try {
    await credentials();
  } catch (e) {
    log(`no Worker role credentials yet: ${e instanceof Error ? e.message : String(e)}`);
  }
  const size = Number(env[QUERY_ENV.executors]) || Math.max(1, cpus().length);
  const pool = createExecutorPool({
    size,
    env: () => ({
      PATH: env.PATH ?? '/usr/bin:/bin',
      ...(current === undefined ? {} : executorAwsEnv(current, access)),
    }),
    log,
  });
  // Not `await pool.polarsVersion`: the executors take a few hundred milliseconds to load
  // polars, and the node registers (its cluster turns Idle) meanwhile; a query that comes
  // first waits in the pool for an executor.
  const polarsVersion = installedPolarsVersion();
  const running = new Map<string, () => void>();
  let reporter: ReturnType<typeof createQueryReporter> | undefined;
  const link = {
    baseUrl: options.controlPlaneUrl,
    nodeToken: () => options.registration()?.nodeToken,
    clusterId: options.clusterId,
    instanceId: identity.instanceId,
    log,
  };
  const engine = createQueryEngine({
    pool,
    ferryVersion: options.ferryVersion,
    polarsVersion,
    credentials,
    access,
    resultsBucket: () => options.registration()?.resultsBucket,
    connectionSessions: (input) => fetchConnectionSessions(link, input),
    memoryBytes: totalmem(),
    now,
    log,
    onChange: (r) => {
      // The node is busy while a query is queued or running.
      if (!running.has(r.queryId) && (r.state === 'Queued' || r.state === 'Running'))
        running.set(r.queryId, options.activity.queryStarted());
      if (r.finishedAt !== null) {
        running.get(r.queryId)?.();
        running.delete(r.queryId);
      }
      reporter?.report(r);
    },
  });
  // A start that fails here leaves no executor behind (the caller may try again).
  const server: QueryServer = await startQueryServer({
    engine,
    tls,
    connectionSessions: (input) => fetchConnectionSessions(link, input),
    clusterId: options.clusterId,
    publicKey: () => options.registration()?.queryTokenPublicKey,
    now,
    // The node's private address: clients reach it there (several nodes may share a host's loopback).
    host: env[QUERY_ENV.host]?.trim() || identity.privateIp,
    port: Number(env[QUERY_ENV.port]) || DEFAULT_WORKER_QUERY_PORT,
    onClient: () => options.activity.clientConnected(),
    log,
    info: () => ({
      ferryVersion: options.ferryVersion,
      polarsVersion,
      clusterId: options.clusterId,
      nodeId: identity.instanceId,
      vcpus: cpus().length,
      memoryMiB: Math.round(totalmem() / 1024 / 1024),
    }),
  }).catch(async (e: unknown) => {
    await pool.stop();
    throw e;
  });
  log(
    `query API on port ${server.port}, certificate sha256 ${tls.fingerprint}, ${size} executors, polars ${polarsVersion}`,
  );
  pool.polarsVersion.then(
    (loaded) => log(`executors ready (polars ${loaded})`),
    () => undefined,
  );
  const aborter = new AbortController();
  let polling: Promise<void> | undefined;
  return {
    engine,
    endpoint: { port: server.port, tlsFingerprint: tls.fingerprint },
    onRegistered() {
      reporter = createQueryReporter(engine, link);
      polling = pollWork(engine, {
        ...link,
        signal: aborter.signal,
        reportRefused: (body) => {
          sendReport(link, body).catch((e: unknown) =>
            log(
              `query ${body.queryId}: report failed (${e instanceof Error ? e.message : String(e)})`,
            ),
          );
        },
      });
    },
    async stop() {
      aborter.abort();
      await engine.stop();
      await reporter?.drain(5000);
      await server.close();
      await Promise.race([polling, new Promise((r) => setTimeout(r, 100))]);
    },
  };
}
