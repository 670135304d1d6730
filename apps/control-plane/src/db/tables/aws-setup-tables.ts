/** Tables of the AWS connection: the platform's own AWS resources and each workspace's setup. */
import type { Timestamp } from '../platform-tables.ts';
import type { Json } from './identity-tables.ts';

/** What `ferry platform init` created: one row, id `default`. */
export interface AwsPlatformTable {
  id: string;
  principal_arn: string;
  account_id: string;
  region: string;
  topic_arn: string;
  queue_url: string;
  queue_arn: string;
  subscription_arn: string;
  template_bucket: string;
  updated_at: Timestamp;
}

/** Setup state of the AWS connection of a workspace. */
export type AwsSetupStatus =
  'pending' | 'connected' | 'verifying' | 'active' | 'degraded' | 'failed' | 'disconnected';

/** One phone-home stage as received. */
export interface AwsSetupStageRecord {
  stage: string;
  at: string;
  requestType: string;
}

/** One verification check, shown verbatim to admins. */
export interface AwsSetupCheckRecord {
  name: string;
  role: string | null;
  outcome: 'pass' | 'fail' | 'skipped';
  awsErrorCode: string | null;
  message: string;
  fixHint: string | null;
}

/** One workspace's AWS setup (the latest attempt). */
export interface AwsSetupsTable {
  workspace_id: string;
  org_id: string;
  external_id: string;
  region: string;
  /** `{ network, vpcId?, subnetIds?, allowedClientCidr, workerBuckets }` */
  request: Json<Record<string, unknown>>;
  status: AwsSetupStatus;
  reason: string | null;
  account_id: string | null;
  stages: Json<AwsSetupStageRecord[]>;
  outputs: Json<Record<string, unknown>>;
  checks: Json<AwsSetupCheckRecord[]>;
  setup_link_hash: string;
  setup_link_expires_at: Timestamp;
  connected_at: Timestamp | null;
  verified_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Every external ID ever issued: unique, never reused, even after a workspace is gone. */
export interface AwsExternalIdsTable {
  external_id: string;
  workspace_id: string;
  created_at: Timestamp;
}

/** The AWS tables by name. */
export interface AwsSetupTables {
  aws_platform: AwsPlatformTable;
  aws_setups: AwsSetupsTable;
  aws_external_ids: AwsExternalIdsTable;
}
