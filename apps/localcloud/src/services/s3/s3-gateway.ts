/**
 * The S3 gateway: given a request core has authenticated, it finds the operation, checks
 * bucket ownership and `ExpectedBucketOwner`, authorizes every permission the operation
 * needs (`s3-authorization.ts`), answers what s3rver cannot (bucket ownership, policies,
 * tags, configurations: `bucket-operations.ts`; multipart bookkeeping:
 * `multipart-operations.ts`; `delete-objects.ts`) and forwards the rest to s3rver, unsigned
 * (`s3-forwarding.ts`).
 */
import { AwsError } from '../../core/contract.ts';
import type { RawRequest, RawResponse } from '../../core/contract.ts';
import { S3Error, accessDenied, noSuchBucket, renderS3Error } from './s3-error.ts';
import { listPage, listingRequest, renderListing } from './object-listing.ts';
import { resolveS3Operation } from './s3-operation.ts';
import { xmlEscape } from './xml-escape.ts';
import { createS3Authorization } from './s3-authorization.ts';
import { createS3Forwarding } from './s3-forwarding.ts';
import {
  bucketConfiguration,
  bucketPolicy,
  bucketTagging,
  createBucket,
  listBuckets,
} from './bucket-operations.ts';
import { multipart } from './multipart-operations.ts';
import { deleteObjects } from './delete-objects.ts';
import { canonicalUserId, emptyResponse, xmlResponse } from './s3-responses.ts';
import type { ForwardCall, S3GatewayContext, S3GatewayDeps } from './s3-gateway-context.ts';

export type { ForwardCall, S3GatewayDeps };

export interface S3Gateway {
  handle(request: RawRequest, call: ForwardCall): Promise<RawResponse>;
}

export function createS3Gateway(deps: S3GatewayDeps): S3Gateway {
  const { cloud } = deps;
  const g: S3GatewayContext = {
    ...deps,
    ...createS3Authorization(deps),
    ...createS3Forwarding(deps),
  };

  const dispatch = async (request: RawRequest, call: ForwardCall): Promise<RawResponse> => {
    const operation = resolveS3Operation(request);
    cloud.faults.check('s3', operation.name);
    if (operation.name === 'ListBuckets') {
      for (const permission of operation.permissions)
        g.authorizeOne(call, operation, permission, undefined);
      return listBuckets(g, call);
    }
    if (operation.name === 'CreateBucket') return createBucket(g, request, call, operation);

    if (operation.name === 'DeleteObjects') {
      const bucket = g.registry.get(operation.bucket ?? '');
      const expected = request.headers['x-amz-expected-bucket-owner'];
      if (!bucket) throw noSuchBucket(operation.bucket ?? '');
      if (expected !== undefined && expected !== bucket.owner) throw accessDenied();
      return deleteObjects(g, request, call, operation, bucket);
    }

    g.authorizeAll(call, operation, request);
    const bucket = g.registry.get(operation.bucket ?? '');
    if (!bucket) throw noSuchBucket(operation.bucket ?? '');

    switch (operation.name) {
      case 'HeadBucket':
        return emptyResponse(200, { 'x-amz-bucket-region': bucket.region });
      case 'GetBucketLocation': {
        const location = bucket.region === 'us-east-1' ? '' : xmlEscape(bucket.region);
        return xmlResponse(
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${location}</LocationConstraint>`,
        );
      }
      case 'GetBucketPolicy':
      case 'PutBucketPolicy':
      case 'DeleteBucketPolicy':
      case 'GetBucketPolicyStatus':
        return bucketPolicy(g, request, call, operation, bucket);
      case 'GetBucketTagging':
      case 'PutBucketTagging':
      case 'DeleteBucketTagging':
        return bucketTagging(g, request, call, operation, bucket);
      case 'GetBucketEncryption':
      case 'PutBucketEncryption':
      case 'DeleteBucketEncryption':
      case 'GetPublicAccessBlock':
      case 'PutPublicAccessBlock':
      case 'DeletePublicAccessBlock':
      case 'GetBucketOwnershipControls':
      case 'PutBucketOwnershipControls':
      case 'DeleteBucketOwnershipControls':
      case 'GetBucketLifecycleConfiguration':
      case 'PutBucketLifecycleConfiguration':
      case 'DeleteBucketLifecycle':
        return bucketConfiguration(g, request, call, operation, bucket);
      case 'CreateMultipartUpload':
      case 'UploadPart':
      case 'CompleteMultipartUpload':
      case 'AbortMultipartUpload':
      case 'ListParts':
      case 'ListMultipartUploads':
        return multipart(g, request, call, operation, bucket);
      case 'UploadPartCopy':
        throw new S3Error(
          'NotImplemented',
          'A header you provided implies functionality that is not implemented',
          501,
          { Header: 'x-amz-copy-source' },
        );
      case 'DeleteBucket': {
        const response = await g.forward(request, call, operation, {
          body: Buffer.alloc(0),
          headers: {},
        });
        if (response.status < 300) g.registry.remove(bucket.name);
        return g.toRawResponse(response);
      }
      case 'ListObjects':
      case 'ListObjectsV2': {
        const listing = listingRequest(request.query);
        const objects = await g.backend.listObjects(bucket.name, listing.prefix);
        const page = listPage(objects, listing, bucket.name);
        return xmlResponse(
          200,
          renderListing(bucket.name, listing, page, {
            id: canonicalUserId(bucket.owner),
            displayName: bucket.owner,
          }),
        );
      }
      case 'GetObject':
      case 'HeadObject': {
        const response = await g.forward(request, call, operation);
        if (response.status === 404 && !g.allowed(call, operation, 's3:ListBucket', bucket)) {
          // Without s3:ListBucket, S3 does not reveal that a key is absent.
          throw accessDenied();
        }
        return g.toRawResponse(response, request.method);
      }
      default:
        return g.toRawResponse(await g.forward(request, call, operation), request.method);
    }
  };

  return {
    async handle(request, call) {
      let response: RawResponse;
      try {
        response = await dispatch(request, call);
      } catch (error) {
        if (error instanceof S3Error) {
          response = renderS3Error(error, call.requestId, request.method);
        } else if (error instanceof AwsError) {
          const denied = error.code === 'AccessDenied' || error.status === 403;
          response = renderS3Error(
            denied
              ? { code: 'AccessDenied', message: 'Access Denied', status: 403 }
              : { code: error.code, message: error.message, status: error.status },
            call.requestId,
            request.method,
          );
        } else {
          cloud.log.warn('s3 gateway failed', { error: String(error), path: request.path });
          response = renderS3Error(
            {
              code: 'InternalError',
              message: 'We encountered an internal error. Please try again.',
              status: 500,
            },
            call.requestId,
            request.method,
          );
        }
      }
      response.headers['x-amz-request-id'] = call.requestId;
      response.headers['x-amz-id-2'] = call.requestId;
      return response;
    },
  };
}
