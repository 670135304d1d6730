/**
 * Authorization of S3 requests: identity policies plus the bucket policy, cross-account rules
 * through `cloud.authorize`; a missing bucket is revealed only to callers allowed to act on
 * its name, and `ExpectedBucketOwner` is checked against the bucket's owner.
 */
import { parsePolicy } from '@ferry/iam';
import type { NamedPolicy } from '@ferry/iam';
import { AwsError } from '../../core/contract.ts';
import type { Call, Cloud, RawRequest } from '../../core/contract.ts';
import type { BucketRecord, BucketRegistry } from './bucket-registry.ts';
import { S3Error, accessDenied, noSuchBucket } from './s3-error.ts';
import type { S3Operation, S3Permission } from './s3-operation.ts';
import type { ForwardCall } from './s3-forward-call.ts';

export type S3Authorization = ReturnType<typeof createS3Authorization>;

export function createS3Authorization({
  cloud,
  registry,
}: {
  cloud: Cloud;
  registry: BucketRegistry;
}) {
  const authorizeOne = (
    call: ForwardCall,
    operation: S3Operation,
    permission: S3Permission,
    bucket: BucketRecord | undefined,
  ): void => {
    const owner = bucket?.owner ?? call.caller.accountId;
    let resourcePolicy: NamedPolicy | undefined;
    if (bucket?.policy !== undefined) {
      const parsed = parsePolicy(bucket.policy, 'resource');
      if (parsed.ok) {
        resourcePolicy = { name: `bucket-policy:${bucket.name}`, document: parsed.policy };
      }
    }
    const fullCall: Call<unknown> = { ...call, action: operation.name, input: {} };
    cloud.authorize(fullCall, permission.action, permission.resource, {
      context: { ...permission.context, 's3:ResourceAccount': owner },
      ...(resourcePolicy ? { resourcePolicy } : {}),
      resourceAccount: owner,
    });
  };

  /** Whether `action` on the bucket itself would be allowed, without failing the request. */
  const allowed = (
    call: ForwardCall,
    operation: S3Operation,
    action: string,
    bucket: BucketRecord,
  ): boolean => {
    try {
      authorizeOne(
        call,
        operation,
        { action, resource: `arn:aws:s3:::${bucket.name}`, bucket: bucket.name, context: {} },
        bucket,
      );
      return true;
    } catch (error) {
      if (error instanceof AwsError || error instanceof S3Error) return false;
      throw error;
    }
  };

  /** Authorizes all of the operation's permissions; a missing bucket is NoSuchBucket. */
  const authorizeAll = (call: ForwardCall, operation: S3Operation, request: RawRequest): void => {
    for (const permission of operation.permissions) {
      const bucket = permission.bucket === undefined ? undefined : registry.get(permission.bucket);
      const isSource =
        operation.copySource !== undefined &&
        permission.bucket === operation.copySource.bucket &&
        permission.action === 's3:GetObject';
      const expectedHeader = isSource
        ? 'x-amz-source-expected-bucket-owner'
        : 'x-amz-expected-bucket-owner';
      const expected = request.headers[expectedHeader];
      if (permission.bucket !== undefined && bucket === undefined) {
        // S3 reveals a missing bucket only to callers allowed to act on that name.
        authorizeOne(call, operation, permission, undefined);
        throw noSuchBucket(permission.bucket);
      }
      if (expected !== undefined && bucket !== undefined && expected !== bucket.owner) {
        throw accessDenied();
      }
      authorizeOne(call, operation, permission, bucket);
    }
  };

  return { authorizeOne, allowed, authorizeAll };
}
