/**
 * The agent: find out which instance this is (IMDS), register with the control plane,
 * then heartbeat every `heartbeatSeconds` with activity, CPU/memory/disk samples and log
 * lines, and decide when the node should end — idle past its timeout, the control plane
 * answering `stop`, the control plane refusing the node, or a signal. `done` resolves with
 * that decision; the caller then shuts the node down (after `flush`, the last heartbeat).
 */
import { FerryApiError } from '@ferry/api';
import { createActivity, type Activity } from './activity.ts';
import type { WorkerConfig } from './config.ts';
import {
  describeError,
  isRetryable,
  registerWithRetry,
  type ControlPlaneClient,
  type HeartbeatAnswer,
  type RegisteredNode,
} from './control-plane-client.ts';
import { createIdleTimer, type IdleTimer } from './idle-timer.ts';
import type { InstanceIdentity } from './imds.ts';
import type { LogBuffer } from './log-buffer.ts';
import type { Sample, Sampler } from './samples.ts';

/** Why the agent stopped, and the exit status that goes with it. */
export interface AgentStop {
  readonly kind: 'idle' | 'stopped' | 'refused' | 'signal' | 'failed';
  readonly reason: string;
  /** 0 for a planned end (idle, stopped, signal), 1 for a failure. */
  readonly exitCode: number;
}

export type AgentSettings = Pick<
  WorkerConfig,
  | 'controlPlaneUrl'
  | 'clusterId'
  | 'bootstrapToken'
  | 'heartbeatSeconds'
  | 'idleTimeoutMins'
  | 'idleCheckMs'
  | 'minuteMs'
>;

export interface AgentOptions {
  readonly settings: AgentSettings;
  readonly identity: () => Promise<InstanceIdentity>;
  readonly client: ControlPlaneClient;
  readonly sampler: Sampler;
  readonly logs: LogBuffer;
  readonly now: () => number;
  readonly agentVersion: string;
  readonly activity?: Activity;
  /** How long registration may keep retrying (default 15 minutes). */
  readonly registerGiveUpAfterMs?: number;
  readonly rng?: () => number;
  /** Consecutive heartbeats refused as unauthenticated before the node gives up (default 3). */
  readonly maxAuthFailures?: number;
  /**
   * The node's query service: resolves with its API's port and certificate (reported at
   * registration) once it is up. The node registers only then, so a cluster is never Idle
   * with a node that cannot serve queries; if it rejects, the node fails without registering.
   */
  readonly query?: () => Promise<{ readonly port: number; readonly tlsFingerprint: string }>;
  /** The ids of the queries the node holds unfinished (sent with each heartbeat). */
  readonly queryIds?: () => string[];
  /** Called once registered (the query link starts here). */
  readonly onRegistered?: (registration: RegisteredNode, identity: InstanceIdentity) => void;
}

export interface Agent {
  readonly activity: Activity;
  /** Resolves once, with the reason the node should end. */
  readonly done: Promise<AgentStop>;
  /** Ends the agent from outside (a signal); no effect once it has stopped. */
  stop(reason: string): void;
  /** Sends a last heartbeat with the remaining logs (no-op before registration). */
  flush(): Promise<void>;
  /** The control plane's answer to registration, once registered. */
  readonly registration: RegisteredNode | undefined;
  readonly idleTimeoutMins: number;
}

/** The heartbeat contract's limits per call. */
const MAX_LOGS_PER_HEARTBEAT = 5000;
const MAX_SAMPLES = 1000;

export function startAgent(options: AgentOptions): Agent {
  const { settings, logs, now } = options;
  const activity = options.activity ?? createActivity(now);
  const maxAuthFailures = options.maxAuthFailures ?? 3;
  const aborter = new AbortController();
  logs.redact(settings.bootstrapToken);

  let finished = false;
  let resolveDone: (stop: AgentStop) => void = () => undefined;
  const done = new Promise<AgentStop>((resolve) => (resolveDone = resolve));
  let registration: RegisteredNode | undefined;
  let idleTimer: IdleTimer | undefined;
  let heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let samples: Sample[] = [];
  let authFailures = 0;
  /** Heartbeats failed in a row (network, 5xx): logged once per kind, not once per beat. */
  let failures = 0;
  let lastFailure = '';

  const finish = (stop: AgentStop) => {
    if (finished) return;
    finished = true;
    aborter.abort();
    idleTimer?.stop();
    clearTimeout(heartbeatTimer);
    logs.log(`stopping: ${stop.reason}`);
    resolveDone(stop);
  };

  const takeSample = async () => {
    try {
      samples.push(await options.sampler.sample());
      if (samples.length > MAX_SAMPLES) samples = samples.slice(samples.length - MAX_SAMPLES);
    } catch (e) {
      logs.log(`sampling failed: ${describeError(e)}`);
    }
  };

  const onAnswer = (answer: HeartbeatAnswer) => {
    if (idleTimer !== undefined && answer.idleTimeoutMins !== idleTimer.timeoutMins) {
      try {
        idleTimer.setTimeoutMins(answer.idleTimeoutMins);
        logs.log(`idle timeout is now ${answer.idleTimeoutMins} min (set by the control plane)`);
      } catch (e) {
        logs.log(`ignored an idle timeout from the control plane: ${describeError(e)}`);
      }
    }
    if (answer.stop)
      finish({ kind: 'stopped', reason: 'the control plane stopped the cluster', exitCode: 0 });
  };

  /** One heartbeat; what it carried is forgotten only once delivered. */
  const heartbeat = async () => {
    if (registration === undefined) return;
    const batch = logs.peek(MAX_LOGS_PER_HEARTBEAT);
    const sent = samples.length;
    try {
      const answer = await options.client.heartbeat(registration.nodeToken, {
        state: activity.state,
        activeQueries: activity.activeQueries,
        connectedClients: activity.connectedClients,
        lastActivityAt: new Date(activity.lastActivityAt).toISOString(),
        ...(options.queryIds === undefined ? {} : { queryIds: options.queryIds() }),
        samples: samples.slice(0, sent),
        logs: [...batch.lines],
      });
      logs.ack(batch);
      samples = samples.slice(sent);
      authFailures = 0;
      if (failures > 0) logs.log(`heartbeats delivered again after ${failures} failed`);
      failures = 0;
      lastFailure = '';
      onAnswer(answer);
    } catch (e) {
      const why = describeError(e);
      if (e instanceof FerryApiError && (e.status === 401 || e.status === 403)) {
        authFailures += 1;
        logs.log(`heartbeat refused (${why}) [${authFailures}/${maxAuthFailures}]`);
        if (authFailures >= maxAuthFailures)
          finish({
            kind: 'refused',
            reason: 'the control plane no longer accepts this node (heartbeats unauthenticated)',
            exitCode: 1,
          });
      } else if (!isRetryable(e)) {
        // The same payload would be refused again: drop it rather than block every later one.
        logs.ack(batch);
        samples = samples.slice(sent);
        logs.log(`heartbeat rejected (${why}); its logs and samples were dropped`);
      } else {
        failures += 1;
        // An outage must not fill the log buffer with one line per beat.
        const kind = e instanceof FerryApiError ? `${e.status} ${e.code}` : why;
        if (kind !== lastFailure || failures % 60 === 0)
          logs.log(`heartbeat failed (${why}); will retry [${failures} in a row]`);
        lastFailure = kind;
      }
    }
  };

  const tick = () => {
    if (finished || registration === undefined) return;
    const every = registration.heartbeatSeconds * 1000;
    inFlight = (async () => {
      await takeSample();
      if (!finished) await heartbeat();
    })();
    void inFlight.finally(() => {
      if (!finished) heartbeatTimer = setTimeout(tick, every);
    });
  };

  const run = async () => {
    logs.log(
      `starting: cluster ${settings.clusterId}, control plane ${settings.controlPlaneUrl}, agent ${options.agentVersion}`,
    );
    let identity: InstanceIdentity;
    try {
      identity = await options.identity();
    } catch (e) {
      finish({
        kind: 'failed',
        reason: `cannot tell which instance this is: ${describeError(e)}`,
        exitCode: 1,
      });
      return;
    }
    logs.log(
      `instance ${identity.instanceId} (${identity.instanceType}) in ${identity.availabilityZone}, ${identity.privateIp}`,
    );
    if (finished) return;
    let query: { port: number; tlsFingerprint: string } | undefined;
    try {
      query = await options.query?.();
    } catch (e) {
      if (!finished)
        finish({
          kind: 'failed',
          reason: `the query service did not start: ${describeError(e)}`,
          exitCode: 1,
        });
      return;
    }
    if (finished) return;
    try {
      registration = await registerWithRetry(
        options.client,
        {
          bootstrapToken: settings.bootstrapToken,
          clusterId: settings.clusterId,
          instanceId: identity.instanceId,
          privateIp: identity.privateIp,
          agentVersion: options.agentVersion,
          ...(query === undefined ? {} : { query }),
        },
        {
          log: (m) => logs.log(m),
          now,
          signal: aborter.signal,
          ...(options.registerGiveUpAfterMs !== undefined
            ? { giveUpAfterMs: options.registerGiveUpAfterMs }
            : {}),
          ...(options.rng !== undefined ? { rng: options.rng } : {}),
        },
      );
    } catch (e) {
      if (!finished)
        finish({
          kind: 'refused',
          reason: e instanceof Error ? e.message : String(e),
          exitCode: 1,
        });
      return;
    }
    if (finished) return;
    logs.redact(registration.nodeToken);
    if (!Number.isInteger(registration.heartbeatSeconds) || registration.heartbeatSeconds < 1)
      registration = { ...registration, heartbeatSeconds: 1 };
    if (!Number.isInteger(registration.idleTimeoutMins) || registration.idleTimeoutMins < 1)
      registration = { ...registration, idleTimeoutMins: 1 };
    // Ready only now: however long registration took, the idle timeout counts from here.
    activity.touch();
    logs.log(
      `registered: heartbeat every ${registration.heartbeatSeconds} s, idle timeout ${registration.idleTimeoutMins} min`,
    );
    try {
      options.onRegistered?.(registration, identity);
    } catch (e) {
      logs.log(`starting the query link failed: ${describeError(e)}`);
    }
    idleTimer = createIdleTimer({
      activity,
      now,
      timeoutMins: registration.idleTimeoutMins,
      minuteMs: settings.minuteMs,
      onIdle: (idleMs) =>
        finish({
          kind: 'idle',
          reason: `idle for ${formatDuration(idleMs)} with no query and no client (timeout ${idleTimer?.timeoutMins ?? '?'} min)`,
          exitCode: 0,
        }),
    });
    idleTimer.start(settings.idleCheckMs);
    tick();
  };

  void run().catch((e: unknown) =>
    finish({ kind: 'failed', reason: `agent error: ${describeError(e)}`, exitCode: 1 }),
  );

  return {
    activity,
    done,
    stop: (reason) => finish({ kind: 'signal', reason, exitCode: 0 }),
    async flush() {
      if (registration === undefined) return;
      await inFlight.catch(() => undefined);
      await takeSample();
      await heartbeat();
    },
    get registration() {
      return registration;
    },
    get idleTimeoutMins() {
      return idleTimer?.timeoutMins ?? settings.idleTimeoutMins;
    },
  };
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}
