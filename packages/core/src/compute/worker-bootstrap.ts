/**
 * The worker's bootstrap, carried in each node's user-data: a POSIX shell script that
 * exports what the worker needs to find its control plane and prove which cluster it
 * belongs to, then execs the worker command the operator configured (on ferry's worker
 * image, the agent baked into it). The bootstrap token is one-time: the first register
 * call trades it for a node token, so reading the user-data later gains nothing.
 */

/** What a node's bootstrap carries. */
export interface WorkerBootstrap {
  readonly controlPlaneUrl: string;
  readonly clusterId: string;
  readonly bootstrapToken: string;
  readonly workerCommand: string;
  readonly heartbeatSeconds: number;
  readonly idleTimeoutMins: number;
}

/** The environment variables the worker reads, by name. */
export const WORKER_ENV = {
  controlPlaneUrl: 'FERRY_CONTROL_PLANE_URL',
  clusterId: 'FERRY_CLUSTER_ID',
  bootstrapToken: 'FERRY_BOOTSTRAP_TOKEN',
  heartbeatSeconds: 'FERRY_HEARTBEAT_SECONDS',
  idleTimeoutMins: 'FERRY_IDLE_TIMEOUT_MINS',
} as const;

/** Single-quotes a value for sh (`'` becomes `'\''`). */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The user-data script (plain text; EC2 wants it base64-encoded in the launch template). */
export function workerUserData(b: WorkerBootstrap): string {
  const env: [string, string][] = [
    [WORKER_ENV.controlPlaneUrl, b.controlPlaneUrl],
    [WORKER_ENV.clusterId, b.clusterId],
    [WORKER_ENV.bootstrapToken, b.bootstrapToken],
    [WORKER_ENV.heartbeatSeconds, String(b.heartbeatSeconds)],
    [WORKER_ENV.idleTimeoutMins, String(b.idleTimeoutMins)],
  ];
  return [
    '#!/bin/sh',
    '# ferry worker bootstrap',
    ...env.map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    // The command is the operator's, verbatim: it may carry its own arguments.
    `exec ${b.workerCommand}`,
    '',
  ].join('\n');
}
