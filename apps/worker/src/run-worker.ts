/**
 * Wires the agent to the real world: configuration from the environment and flags, IMDS,
 * the control plane over HTTP, samples of this machine, stdout, signals, and the shutdown.
 */
import packageJson from '../package.json' with { type: 'json' };
import { startAgent } from './agent.ts';
import { loadWorkerConfig } from './config.ts';
import { createActivity } from './activity.ts';
import { createControlPlaneClient, type RegisteredNode } from './control-plane-client.ts';
import { imdsEndpoint, readInstanceIdentity } from './imds.ts';
import { startIngestService, type IngestService } from './ingest/ingest-service.ts';
import { imdsRoleCredentials } from './query/role-credentials.ts';
import { createLogBuffer } from './log-buffer.ts';
import { startQueryService, type QueryService } from './query/query-service.ts';
import { createSampler } from './samples.ts';
import { shutdownNode } from './shutdown.ts';
import { startWithRetry } from './start-with-retry.ts';

/** Tries to start the query service this many times (waiting 1 + 2 + 4 + 8 s between) before failing. */
const QUERY_START_ATTEMPTS = 5;

/** Runs the agent until the node should end; returns the exit status (unless powered off). */
export async function runWorker(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
): Promise<number> {
  const config = loadWorkerConfig(env, argv);
  const now = () => Date.now();
  const logs = createLogBuffer({ now });
  const endpoint = imdsEndpoint(env);
  let identity: ReturnType<typeof readInstanceIdentity> | undefined;
  const readIdentity = () => (identity ??= readInstanceIdentity({ endpoint }));
  const activity = createActivity(now);
  let query: QueryService | undefined;
  let registration: RegisteredNode | undefined;
  // The node registers only once its query service is up: a slow moment (instance metadata
  // timing out under load) is retried; a service that cannot start fails the node instead.
  const startQuery = async () => {
    query = await startWithRetry(
      () =>
        startQueryService({
          env,
          imdsEndpoint: endpoint,
          identity: readIdentity,
          controlPlaneUrl: config.controlPlaneUrl,
          clusterId: config.clusterId,
          ferryVersion: packageJson.version,
          activity,
          registration: () => registration,
          log: (m) => logs.log(m),
          now,
        }),
      {
        attempts: QUERY_START_ATTEMPTS,
        onFailure: (e, attempt) => {
          identity = undefined; // read again: a failed read is not kept
          logs.log(
            `the query service did not start (attempt ${attempt} of ${QUERY_START_ATTEMPTS}): ${e instanceof Error ? e.message : String(e)}`,
          );
        },
      },
    );
    return query.endpoint;
  };
  let ingest: IngestService | undefined;
  let ingestStarted = false;
  const startIngest = async () => {
    const id = await readIdentity();
    const source = imdsRoleCredentials({ endpoint, now });
    ingest = startIngestService({
      controlPlaneUrl: config.controlPlaneUrl,
      nodeToken: () => registration?.nodeToken,
      credentials: () => source.get(),
      access: {
        region: env.AWS_REGION?.trim() || id.availabilityZone.replace(/[a-z]$/, ''),
        ...(env.AWS_ENDPOINT_URL?.trim() ? { endpoint: env.AWS_ENDPOINT_URL.trim() } : {}),
      },
      activity,
      log: (m) => logs.log(m),
    });
  };
  const agent = startAgent({
    settings: config,
    identity: readIdentity,
    activity,
    query: startQuery,
    queryIds: () => query?.engine.activeIds() ?? [],
    onRegistered: (r, id) => {
      registration = r;
      query?.onRegistered(r, id);
      // Kinesis landing: the node claims its cluster's ingestions once registered.
      if (!ingestStarted) {
        ingestStarted = true;
        startIngest().catch((e: unknown) =>
          logs.log(`ingestion did not start: ${e instanceof Error ? e.message : String(e)}`),
        );
      }
    },
    client: createControlPlaneClient({ baseUrl: config.controlPlaneUrl }),
    sampler: createSampler({ dir: process.cwd(), now }),
    logs,
    now,
    agentVersion: packageJson.version,
  });

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled = true;
    agent.stop(`received ${signal}`);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  const stop = await agent.done;
  await ingest?.stop();
  await query?.stop();
  let exitCode = stop.exitCode;
  await shutdownNode({
    // A signal means the machine (or its operator) is already ending the agent.
    mode: signalled ? 'exit' : config.shutdown,
    reason: stop.reason,
    exitCode: stop.exitCode,
    flush: () => agent.flush(),
    log: (m) => logs.log(m),
    exit: (code) => {
      exitCode = code;
    },
  });
  return exitCode;
}
