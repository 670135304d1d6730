/**
 * The AWS side of one control-plane process: client factory, credential broker and the
 * timings of setup and verification (the jobs' intervals are in `config.jobs`). Built with
 * the resources object (`resources.aws`); tests and the demo change the timings with
 * {@link configureAwsServices}.
 */
import type { PermissionEntry } from '@ferry/aws-template';
import type { Resources } from '../resources.ts';
import { createAwsClientFactory, type AwsClientFactory } from './aws-clients.ts';
import { createAwsCredentialsCheck, type AwsCredentialsCheck } from './aws-credentials-check.ts';
import { createCredentialBroker, type CredentialBroker } from './credential-broker.ts';

/** Timings and limits of the AWS connection (all configurable for tests and demos). */
export interface AwsSetupOptions {
  /** How long AccessDenied on a fresh role is retried, and failing checks re-run (default 120 s). */
  propagationWindowMs: number;
  /** First AssumeRole retry delay (default 1 s). */
  retryDelayMs: number;
  /** Delay between verification rounds inside the propagation window (default 5 s). */
  verifyRetryMs: number;
  /** How long a setup link stays valid (default 7 days). */
  setupLinkTtlMs: number;
  /**
   * The permission registry templates are built from (default: the current one). Tests
   * build an older release's template with it, to exercise stack updates.
   */
  templatePermissions?: readonly PermissionEntry[];
  /**
   * `false` builds templates without the results bucket (release 1.0.0's shape, with
   * `permissionsBeforeResultsBucket()` as `templatePermissions`), to exercise the update
   * that adds it.
   */
  templateResultsBucket?: boolean;
}

export const DEFAULT_AWS_SETUP_OPTIONS: AwsSetupOptions = {
  propagationWindowMs: 120_000,
  retryDelayMs: 1000,
  verifyRetryMs: 5000,
  setupLinkTtlMs: 7 * 24 * 3600_000,
};

/** What AWS code of the control plane uses. */
export interface AwsServices {
  readonly options: AwsSetupOptions;
  readonly clients: AwsClientFactory;
  readonly broker: CredentialBroker;
  /** Whether the platform has credentials at all (see aws-credentials-check.ts). */
  readonly credentialsCheck: AwsCredentialsCheck;
}

/** Sets timings and template options on these resources' AWS services (tests, the demo). */
export function configureAwsServices(
  resources: Pick<Resources, 'aws'>,
  options: Partial<AwsSetupOptions>,
): AwsServices {
  Object.assign(resources.aws.options, options);
  return resources.aws;
}

/**
 * Builds the AWS services of one resources object (called once, by `createResources`):
 * every SDK client comes from its factory, so that is the one place clients are made.
 */
export function createAwsServices(
  resources: Pick<Resources, 'config' | 'db' | 'clock' | 'log' | 'metrics'>,
  options: Partial<AwsSetupOptions> = {},
): AwsServices {
  const opts: AwsSetupOptions = { ...DEFAULT_AWS_SETUP_OPTIONS, ...options };
  const roleArn = resources.config.aws.roleArn;
  // The factory signs platform-side calls with the broker's platform session (when the
  // platform is a role); the broker assumes that role with the factory's base credentials.
  const clients = createAwsClientFactory(resources.config.aws, {
    metrics: resources.metrics,
    ...(roleArn !== undefined ? { platformSession: () => broker.platformSession() } : {}),
  });
  const broker: CredentialBroker = createCredentialBroker(resources, {
    clients,
    ...(roleArn !== undefined ? { platformRoleArn: roleArn } : {}),
    get propagationWindowMs() {
      return opts.propagationWindowMs;
    },
    get retryDelayMs() {
      return opts.retryDelayMs;
    },
  });
  return {
    options: opts,
    clients,
    broker,
    credentialsCheck: createAwsCredentialsCheck(clients, resources.log),
  };
}
