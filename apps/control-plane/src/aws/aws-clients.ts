/**
 * AWS SDK v3 clients of the control plane, all built here: the configured region and
 * endpoint override (the same code reaches AWS or any compatible endpoint), and either the
 * platform's own credentials or a session the credential broker issued.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { Config } from '../config/config-schema.ts';

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
  ec2(credentials?: AwsCredentials, region?: string): EC2Client;
  cloudformation(credentials?: AwsCredentials, region?: string): CloudFormationClient;
}

type ClientOptions = {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentials;
  maxAttempts: number;
};

/** Creates the factory from the `aws` section of the configuration. */
export function createAwsClientFactory(aws: Config['aws']): AwsClientFactory {
  const platform: AwsCredentials | undefined =
    aws.accessKeyId !== undefined && aws.secretAccessKey !== undefined
      ? {
          accessKeyId: aws.accessKeyId,
          secretAccessKey: aws.secretAccessKey,
          ...(aws.sessionToken !== undefined ? { sessionToken: aws.sessionToken } : {}),
        }
      : undefined;
  const options = (credentials?: AwsCredentials, region?: string): ClientOptions => {
    const creds = credentials ?? platform;
    return {
      region: region ?? aws.region,
      ...(aws.endpointUrl !== undefined ? { endpoint: aws.endpointUrl } : {}),
      // Without explicit credentials the SDK's default provider chain applies (instance role…).
      ...(creds !== undefined ? { credentials: creds } : {}),
      maxAttempts: 3,
    };
  };
  return {
    region: aws.region,
    sts: (c, r) => new STSClient(options(c, r)),
    sns: (c, r) => new SNSClient(options(c, r)),
    sqs: (c, r) => new SQSClient(options(c, r)),
    s3: (c, r) => new S3Client({ ...options(c, r), forcePathStyle: aws.endpointUrl !== undefined }),
    ec2: (c, r) => new EC2Client(options(c, r)),
    cloudformation: (c, r) => new CloudFormationClient(options(c, r)),
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
