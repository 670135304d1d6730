/**
 * The agent's configuration: the variables its bootstrap exports (WORKER_ENV), the testing
 * knobs, and the command-line flags. A bad value is a ValidationError naming the variable
 * or flag, so the node's console says exactly what to fix.
 */
import { clusterIdSchema, registerNodeBodySchema } from '@ferry/api';
import { ValidationError, WORKER_ENV, type ErrorDetail } from '@ferry/core';

/** How the agent ends the node: `exit` ends the process, `poweroff` powers the machine off. */
export type ShutdownMode = 'exit' | 'poweroff';
export const SHUTDOWN_MODES: readonly ShutdownMode[] = ['exit', 'poweroff'];

/** Variables beyond the bootstrap's: knobs for tests and demos, not set on production nodes. */
export const WORKER_TEST_ENV = {
  /** Seconds between idle checks (default: 30, or half an idle minute if that is shorter). */
  idleCheckSeconds: 'FERRY_IDLE_CHECK_SECONDS',
  /** The length of one idle-timeout minute in seconds (default 60); tests shrink it. */
  idleMinuteSeconds: 'FERRY_IDLE_MINUTE_SECONDS',
} as const;

export interface WorkerConfig {
  readonly controlPlaneUrl: string;
  readonly clusterId: string;
  readonly bootstrapToken: string;
  /** Until the register answer says otherwise. */
  readonly heartbeatSeconds: number;
  /** Until the control plane says otherwise. */
  readonly idleTimeoutMins: number;
  readonly idleCheckMs: number;
  readonly minuteMs: number;
  readonly shutdown: ShutdownMode;
}

const DEFAULT_HEARTBEAT_SECONDS = 30;
const DEFAULT_IDLE_TIMEOUT_MINS = 60;
const MAX_IDLE_CHECK_MS = 30_000;

/** Reads the configuration; throws a ValidationError listing every bad variable or flag. */
export function loadWorkerConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
): WorkerConfig {
  const details: ErrorDetail[] = [];
  const bad = (path: string, message: string) => details.push({ path, message });

  const required = (name: string): string => {
    const v = env[name];
    if (v === undefined || v.trim() === '') {
      bad(`env.${name}`, 'is required');
      return '';
    }
    return v.trim();
  };

  const controlPlaneUrl = required(WORKER_ENV.controlPlaneUrl).replace(/\/+$/, '');
  if (controlPlaneUrl !== '') {
    const protocol = URL.canParse(controlPlaneUrl) ? new URL(controlPlaneUrl).protocol : '';
    if (protocol !== 'http:' && protocol !== 'https:')
      bad(`env.${WORKER_ENV.controlPlaneUrl}`, 'must be an http(s) URL');
  }

  const clusterId = required(WORKER_ENV.clusterId);
  if (clusterId !== '' && !clusterIdSchema.safeParse(clusterId).success)
    bad(`env.${WORKER_ENV.clusterId}`, 'must be a cluster id (cl_…)');

  // Never echo the token: a malformed one may still be a real secret with a typo.
  const bootstrapToken = required(WORKER_ENV.bootstrapToken);
  if (
    bootstrapToken !== '' &&
    !registerNodeBodySchema.shape.bootstrapToken.safeParse(bootstrapToken).success
  )
    bad(`env.${WORKER_ENV.bootstrapToken}`, 'must be a bootstrap token (ferry_boot_…)');

  const number = (
    name: string,
    fallback: number,
    check: (n: number) => boolean,
    rule: string,
  ): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || !check(n)) {
      bad(`env.${name}`, `${rule}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return n;
  };
  const wholeAtLeastOne = (n: number) => Number.isInteger(n) && n >= 1;
  const heartbeatSeconds = number(
    WORKER_ENV.heartbeatSeconds,
    DEFAULT_HEARTBEAT_SECONDS,
    wholeAtLeastOne,
    'must be a whole number of seconds ≥ 1',
  );
  const idleTimeoutMins = number(
    WORKER_ENV.idleTimeoutMins,
    DEFAULT_IDLE_TIMEOUT_MINS,
    wholeAtLeastOne,
    'must be a whole number of minutes ≥ 1',
  );
  const positive = (n: number) => n >= 0.05;
  const minuteSeconds = number(
    WORKER_TEST_ENV.idleMinuteSeconds,
    60,
    positive,
    'must be a number of seconds ≥ 0.05',
  );
  const minuteMs = Math.round(minuteSeconds * 1000);
  const idleCheckMs = Math.round(
    number(
      WORKER_TEST_ENV.idleCheckSeconds,
      Math.min(MAX_IDLE_CHECK_MS, minuteMs / 2) / 1000,
      positive,
      'must be a number of seconds ≥ 0.05',
    ) * 1000,
  );

  let shutdown: ShutdownMode = 'poweroff';
  let shutdownSeen = false;
  for (const arg of argv) {
    const m = /^--shutdown(?:=(.*))?$/.exec(arg);
    if (m) {
      const value = m[1] ?? '';
      if ((SHUTDOWN_MODES as readonly string[]).includes(value)) shutdown = value as ShutdownMode;
      else
        bad(
          'flags.shutdown',
          `must be ${SHUTDOWN_MODES.join(' or ')}, got ${JSON.stringify(value)}`,
        );
      shutdownSeen = true;
    } else {
      bad('flags', `unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (!shutdownSeen) {
    // The boot script says how this machine ends (a service powers off; a foreground
    // process is the machine and exits); a flag given by hand wins.
    const fromEnv = env[WORKER_ENV.shutdown];
    if (fromEnv === undefined || fromEnv === '')
      bad(
        'flags.shutdown',
        `is required: --shutdown=${SHUTDOWN_MODES.join('|')} (or env.${WORKER_ENV.shutdown})`,
      );
    else if ((SHUTDOWN_MODES as readonly string[]).includes(fromEnv))
      shutdown = fromEnv as ShutdownMode;
    else
      bad(
        `env.${WORKER_ENV.shutdown}`,
        `must be ${SHUTDOWN_MODES.join(' or ')}, got ${JSON.stringify(fromEnv)}`,
      );
  }

  if (details.length > 0) {
    throw new ValidationError(
      `Bad worker configuration: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
      { details },
    );
  }
  return {
    controlPlaneUrl,
    clusterId,
    bootstrapToken,
    heartbeatSeconds,
    idleTimeoutMins,
    idleCheckMs,
    minuteMs,
    shutdown,
  };
}
