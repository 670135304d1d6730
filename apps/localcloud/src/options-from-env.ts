/**
 * The `localcloud` command's settings from the environment: EC2 instance timings
 * (`LOCALCLOUD_EC2_PENDING_MS`, …), Kinesis stream transitions and CloudFormation's pacing.
 * Only the command reads the environment; `start()` takes options.
 */
import type { StartOptions } from './index.ts';

type Ec2Timings = NonNullable<NonNullable<StartOptions['ec2']>['timings']>;

const EC2_TIMINGS: Record<string, keyof Ec2Timings> = {
  LOCALCLOUD_EC2_PENDING_MS: 'pendingMs',
  LOCALCLOUD_EC2_STOPPING_MS: 'stoppingMs',
  LOCALCLOUD_EC2_SHUTTING_DOWN_MS: 'shuttingDownMs',
  LOCALCLOUD_EC2_TERMINATED_RETENTION_MS: 'terminatedRetentionMs',
  LOCALCLOUD_EC2_KILL_GRACE_MS: 'killGraceMs',
};

/** A number ≥ 0 from `name`, undefined when unset; a bad value names its variable. */
function number(env: NodeJS.ProcessEnv, name: string, integer = false): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))
    throw new Error(`${name} must be a ${integer ? 'whole ' : ''}number ≥ 0, got "${raw}"`);
  return n;
}

/** Start options set by the environment (only those present). */
export function optionsFromEnv(
  env: NodeJS.ProcessEnv,
): Pick<StartOptions, 'ec2' | 'kinesis' | 'cloudFormation'> {
  const timings: Ec2Timings = {};
  for (const [name, key] of Object.entries(EC2_TIMINGS)) {
    const n = number(env, name);
    if (n !== undefined) timings[key] = n;
  }
  const transitionMs = number(env, 'LOCALCLOUD_KINESIS_TRANSITION_MS', true);
  const resourceDelayMs = number(env, 'LOCALCLOUD_CFN_RESOURCE_DELAY_MS');
  const customResourceTimeoutSeconds = number(
    env,
    'LOCALCLOUD_CFN_CUSTOM_RESOURCE_TIMEOUT_SECONDS',
  );
  return {
    ec2: { timings },
    kinesis: transitionMs === undefined ? {} : { transitionMs },
    cloudFormation: {
      ...(resourceDelayMs === undefined ? {} : { resourceDelayMs }),
      ...(customResourceTimeoutSeconds === undefined ? {} : { customResourceTimeoutSeconds }),
    },
  };
}
