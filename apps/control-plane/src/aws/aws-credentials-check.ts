/**
 * Whether the platform has AWS credentials at all. A server without them still starts and
 * serves everything that needs no AWS; it says so once in its log and in `/readyz`, its
 * AWS routes answer 409 `aws_not_configured` naming the settings, and its periodic AWS jobs
 * wait quietly instead of failing with a stack trace every few seconds.
 */
import { ConflictError } from '@ferry/core';
import type { Logger } from 'pino';
import type { AwsClientFactory } from './aws-clients.ts';

export const AWS_CREDENTIALS_SETTINGS =
  'FERRY_AWS_ACCESS_KEY_ID and FERRY_AWS_SECRET_ACCESS_KEY (aws.accessKeyId and aws.secretAccessKey in the config file), or the AWS SDK’s own credential settings';

/** Raised (and answered with 409) when an AWS call finds no credentials to sign with. */
export class AwsNotConfiguredError extends ConflictError {
  constructor() {
    super(
      'aws_not_configured',
      `The control plane has no AWS credentials: set ${AWS_CREDENTIALS_SETTINGS}, then restart it.`,
    );
  }
}

/** The AWS SDK's error when its provider chain finds nothing. */
export function isMissingCredentials(err: unknown): boolean {
  return err instanceof Error && err.name === 'CredentialsProviderError';
}

export type AwsCredentialsState = 'ok' | 'missing' | 'unknown';

/** Resolves the platform's base credentials, remembering the answer for a while. */
export interface AwsCredentialsCheck {
  /** The last known state, without resolving ('unknown' before the first check). */
  readonly state: AwsCredentialsState;
  /** Resolves (at most once per interval) and answers whether credentials exist. */
  available(): Promise<boolean>;
}

const RECHECK_OK_MS = 5 * 60_000;
const RECHECK_MISSING_MS = 30_000;

export function createAwsCredentialsCheck(
  clients: Pick<AwsClientFactory, 'baseSts'>,
  log: Logger,
  now: () => number = Date.now,
): AwsCredentialsCheck {
  let state: AwsCredentialsState = 'unknown';
  let checkedAt = -Infinity;
  let pending: Promise<boolean> | undefined;

  async function resolve(): Promise<boolean> {
    const sts = clients.baseSts();
    try {
      await sts.config.credentials();
      if (state === 'missing') log.info('AWS credentials found: AWS features are on');
      state = 'ok';
    } catch (err) {
      // Only "none found" is this check's business; anything else is the call's to report.
      if (!isMissingCredentials(err)) return state !== 'missing';
      if (state !== 'missing')
        log.warn(
          `no AWS credentials: set ${AWS_CREDENTIALS_SETTINGS}. Until then workspaces cannot be connected and clusters cannot start (409 aws_not_configured).`,
        );
      state = 'missing';
    } finally {
      sts.destroy();
      checkedAt = now();
    }
    return state === 'ok';
  }

  return {
    get state() {
      return state;
    },
    available() {
      const ttl = state === 'missing' ? RECHECK_MISSING_MS : RECHECK_OK_MS;
      if (now() - checkedAt < ttl) return Promise.resolve(state !== 'missing');
      pending ??= resolve().finally(() => (pending = undefined));
      return pending;
    },
  };
}
