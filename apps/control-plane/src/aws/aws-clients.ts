/**
 * AWS SDK v3 clients of the control plane, all built here: the configured region and
 * endpoint override (the same code reaches AWS or any compatible endpoint), and either the
 * platform's own credentials — its base credentials, or a session of its role when
 * `aws.roleArn` is set — or a session the credential broker issued. Every request is
 * counted in `ferry_aws_requests_total` and names ferry in its User-Agent.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { Config } from '../config/config-schema.ts';
import { loadEc2Sdk } from './ec2-sdk.ts';
import type { Counter, MetricsRegistry } from '../ops/metrics-registry.ts';

/** Credentials an SDK client signs with. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials stop working. */
  expiration?: Date;
}

/** Builds SDK clients for one set of credentials (undefined: the platform's own). */
export interface AwsClientFactory {
  readonly region: string;
  sts(credentials?: AwsCredentials, region?: string): STSClient;
  sns(credentials?: AwsCredentials, region?: string): SNSClient;
  sqs(credentials?: AwsCredentials, region?: string): SQSClient;
  s3(credentials?: AwsCredentials, region?: string): S3Client;
  /** Async: the EC2 SDK is loaded on the first call (`ec2-sdk.ts`). */
  ec2(credentials?: AwsCredentials, region?: string): Promise<EC2Client>;
  cloudformation(credentials?: AwsCredentials, region?: string): CloudFormationClient;
  kinesis(credentials?: AwsCredentials, region?: string): KinesisClient;
  /**
   * STS with the platform's base credentials, never its role: only the credential broker
   * uses it, to assume the platform role itself.
   */
  baseSts(region?: string): STSClient;
}

/** Options of {@link createAwsClientFactory}. */
export interface AwsClientFactoryOptions {
  /** The platform role's session (set when `aws.roleArn` is): every platform-side call uses it. */
  platformSession?: () => Promise<AwsCredentials>;
  /** Where `ferry_aws_requests_total` is counted. */
  metrics?: MetricsRegistry;
}

type ClientOptions = {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  maxAttempts: number;
  userAgentAppId: string;
};

/**
 * Sent in every request's User-Agent (`app/ferry`), so the customer's CloudTrail tells
 * ferry's calls from anyone else's under the same role.
 */
export const USER_AGENT_APP_ID = 'ferry';

/** The smallest view of an SDK client the request counter needs. */
interface CountableClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/**
 * Counts each call (one per `send`, after the SDK's own retries) by service, operation and
 * outcome (`success` or AWS's error code).
 */
function counted<C>(client: C, service: string, counter: Counter | undefined): C {
  if (counter === undefined) return client;
  (client as unknown as CountableClient).middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      try {
        const out = await next(args);
        counter.inc({ service, operation, outcome: 'success' });
        return out;
      } catch (err) {
        counter.inc({ service, operation, outcome: awsErrorCode(err) });
        throw err;
      }
    },
    { step: 'initialize', name: 'ferryRequestCounter' },
  );
  return client;
}

/** Creates the factory from the `aws` section of the configuration. */
export function createAwsClientFactory(
  aws: Config['aws'],
  factoryOptions: AwsClientFactoryOptions = {},
): AwsClientFactory {
  const counter = factoryOptions.metrics?.counter(
    'ferry_aws_requests_total',
    'AWS API calls made by the control plane, by service, operation and outcome.',
  );
  const platform: AwsCredentials | undefined =
    aws.accessKeyId !== undefined && aws.secretAccessKey !== undefined
      ? {
          accessKeyId: aws.accessKeyId,
          secretAccessKey: aws.secretAccessKey,
          ...(aws.sessionToken !== undefined ? { sessionToken: aws.sessionToken } : {}),
        }
      : undefined;
  const base = (
    creds: AwsCredentials | (() => Promise<AwsCredentials>) | undefined,
    region?: string,
  ): ClientOptions => ({
    region: region ?? aws.region,
    ...(aws.endpointUrl !== undefined ? { endpoint: aws.endpointUrl } : {}),
    // Without explicit credentials the SDK's default provider chain applies (instance role…).
    ...(creds !== undefined ? { credentials: creds } : {}),
    maxAttempts: 3,
    userAgentAppId: USER_AGENT_APP_ID,
  });
  const options = (credentials?: AwsCredentials, region?: string): ClientOptions =>
    base(credentials ?? factoryOptions.platformSession ?? platform, region);
  return {
    region: aws.region,
    sts: (c, r) => counted(new STSClient(options(c, r)), 'sts', counter),
    sns: (c, r) => counted(new SNSClient(options(c, r)), 'sns', counter),
    sqs: (c, r) => counted(new SQSClient(options(c, r)), 'sqs', counter),
    s3: (c, r) =>
      counted(
        new S3Client({ ...options(c, r), forcePathStyle: aws.endpointUrl !== undefined }),
        's3',
        counter,
      ),
    ec2: async (c, r) => {
      const { EC2Client } = await loadEc2Sdk();
      return counted(new EC2Client(options(c, r)), 'ec2', counter);
    },
    cloudformation: (c, r) =>
      counted(new CloudFormationClient(options(c, r)), 'cloudformation', counter),
    // HTTP/1.1: the SDK's default HTTP/2 handler is needed only by SubscribeToShard, which
    // ferry never calls, and not every Kinesis-compatible endpoint speaks HTTP/2.
    kinesis: (c, r) =>
      counted(
        new KinesisClient({ ...options(c, r), requestHandler: new NodeHttpHandler() }),
        'kinesis',
        counter,
      ),
    baseSts: (r) => counted(new STSClient(base(platform, r)), 'sts', counter),
  };
}

/** The AWS error code of an SDK failure (`name`, or `Code` for older shapes). */
export function awsErrorCode(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const e = err as { name?: unknown; Code?: unknown };
    if (typeof e.Code === 'string') return e.Code;
    if (typeof e.name === 'string') return e.name;
  }
  return 'Unknown';
}
