/** What the S3 gateway's operation files share: the cloud, the bucket registry, s3rver, and the gateway's authorization and forwarding. */
import type { Cloud } from '../../core/contract.ts';
import type { BucketRegistry } from './bucket-registry.ts';
import type { S3Authorization } from './s3-authorization.ts';
import type { S3Forwarding } from './s3-forwarding.ts';
import type { S3rverBackend } from './s3rver-backend.ts';

export type { ForwardCall } from './s3-forward-call.ts';

export interface S3GatewayDeps {
  cloud: Cloud;
  registry: BucketRegistry;
  backend: S3rverBackend;
}

export type S3GatewayContext = S3GatewayDeps & S3Authorization & S3Forwarding;
