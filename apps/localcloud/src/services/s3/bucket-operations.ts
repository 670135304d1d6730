/**
 * The bucket operations the gateway answers itself: list and create buckets (the name is
 * claimed before s3rver creates it), policies, tags, encryption, public access block,
 * ownership controls and lifecycle rules.
 */
import type { RawRequest, RawResponse } from '../../core/contract.ts';
import type { BucketRecord } from './bucket-registry.ts';
import { S3Error } from './s3-error.ts';
import type { S3Operation } from './s3-operation.ts';
import { validateBucketName, validateBucketPolicy } from './s3-validation.ts';
import type { BackendResponse } from './s3rver-backend.ts';
import {
  el,
  parseCreateBucketLocation,
  parseTagging,
  renderTagging,
  xmlDocument,
} from './s3-xml.ts';
import {
  noLifecycle,
  noOwnershipControls,
  noPublicAccessBlock,
  parseEncryption,
  parseLifecycle,
  parseOwnershipControls,
  parsePublicAccessBlock,
  renderEncryption,
  renderLifecycle,
  renderOwnershipControls,
  renderPublicAccessBlock,
  type ObjectOwnership,
} from './bucket-configuration.ts';
import { canonicalUserId, emptyResponse, xmlResponse } from './s3-responses.ts';
import type { ForwardCall, S3GatewayContext } from './s3-gateway-context.ts';

/** S3 answers both lifecycle Put and Get with the default minimum size of transitions. */
const TRANSITION_MINIMUM = {
  'x-amz-transition-default-minimum-object-size': 'all_storage_classes_128K',
};

export function listBuckets(g: S3GatewayContext, call: ForwardCall): RawResponse {
  const owner = call.caller.accountId;
  const buckets = g.registry
    .ownedBy(owner)
    .map(
      (b) =>
        `<Bucket>${el('Name', b.name)}${el('CreationDate', b.created)}${el('BucketRegion', b.region)}</Bucket>`,
    )
    .join('');
  const ownerXml = `<Owner>${el('ID', canonicalUserId(owner))}${el('DisplayName', owner)}</Owner>`;
  return xmlResponse(
    200,
    xmlDocument('ListAllMyBucketsResult', `${ownerXml}<Buckets>${buckets}</Buckets>`),
  );
}

export async function createBucket(
  g: S3GatewayContext,
  request: RawRequest,
  call: ForwardCall,
  operation: S3Operation,
): Promise<RawResponse> {
  const name = operation.bucket ?? '';
  validateBucketName(name);
  const existing = g.registry.get(name);
  if (existing) {
    throw existing.owner === call.caller.accountId
      ? new S3Error(
          'BucketAlreadyOwnedByYou',
          'Your previous request to create the named bucket succeeded and you already own it.',
          409,
          { BucketName: name },
        )
      : new S3Error(
          'BucketAlreadyExists',
          'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
          409,
          { BucketName: name },
        );
  }
  for (const permission of operation.permissions)
    g.authorizeOne(call, operation, permission, undefined);
  const region = parseCreateBucketLocation(g.payloadOf(request, call).body) ?? call.region;
  // Claim the name before the asynchronous create, so a concurrent CreateBucket sees it.
  const ownership = request.headers['x-amz-object-ownership'];
  if (
    ownership !== undefined &&
    !['BucketOwnerPreferred', 'ObjectWriter', 'BucketOwnerEnforced'].includes(ownership)
  ) {
    throw new S3Error('InvalidArgument', 'Invalid x-amz-object-ownership header', 400, {
      ArgumentName: 'x-amz-object-ownership',
    });
  }
  // New buckets block public access and disable ACLs, as S3's defaults have since 2023.
  g.registry.add({
    name,
    owner: call.caller.accountId,
    region,
    created: new Date(g.cloud.now()).toISOString(),
    publicAccessBlock: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
    ownership: (ownership as ObjectOwnership | undefined) ?? 'BucketOwnerEnforced',
  });
  let response: BackendResponse;
  try {
    response = await g.forward(request, call, operation, { body: Buffer.alloc(0), headers: {} });
  } catch (error) {
    g.registry.remove(name);
    throw error;
  }
  if (response.status >= 300) {
    g.registry.remove(name);
    return g.toRawResponse(response);
  }
  return emptyResponse(200, { location: `/${name}` });
}

export function bucketPolicy(
  g: S3GatewayContext,
  request: RawRequest,
  call: ForwardCall,
  operation: S3Operation,
  bucket: BucketRecord,
): RawResponse {
  switch (operation.name) {
    case 'GetBucketPolicy':
      if (bucket.policy === undefined) {
        throw new S3Error('NoSuchBucketPolicy', 'The bucket policy does not exist', 404, {
          BucketName: bucket.name,
        });
      }
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: bucket.policy,
      };
    case 'PutBucketPolicy': {
      const text = g.payloadOf(request, call).body.toString('utf8');
      validateBucketPolicy(text, bucket.name);
      bucket.policy = text;
      return emptyResponse(204);
    }
    case 'GetBucketPolicyStatus': {
      const isPublic = bucket.policy !== undefined && /"\*"/.test(bucket.policy);
      return xmlResponse(200, xmlDocument('PolicyStatus', el('IsPublic', isPublic)));
    }
    default:
      delete bucket.policy;
      return emptyResponse(204);
  }
}

export function bucketTagging(
  g: S3GatewayContext,
  request: RawRequest,
  call: ForwardCall,
  operation: S3Operation,
  bucket: BucketRecord,
): RawResponse {
  switch (operation.name) {
    case 'GetBucketTagging':
      if (bucket.tags === undefined) {
        throw new S3Error('NoSuchTagSet', 'The TagSet does not exist', 404, {
          BucketName: bucket.name,
        });
      }
      return xmlResponse(200, renderTagging(bucket.tags));
    case 'PutBucketTagging':
      bucket.tags = parseTagging(g.payloadOf(request, call).body);
      return emptyResponse(204);
    default:
      delete bucket.tags;
      return emptyResponse(204);
  }
}

/** Encryption, public access block, ownership controls and lifecycle rules. */
export function bucketConfiguration(
  g: S3GatewayContext,
  request: RawRequest,
  call: ForwardCall,
  operation: S3Operation,
  bucket: BucketRecord,
): RawResponse {
  const body = () => g.payloadOf(request, call).body;
  switch (operation.name) {
    case 'GetBucketEncryption':
      return xmlResponse(200, renderEncryption(bucket.encryption));
    case 'PutBucketEncryption':
      bucket.encryption = parseEncryption(body());
      return emptyResponse(200);
    case 'DeleteBucketEncryption':
      delete bucket.encryption;
      return emptyResponse(204);
    case 'GetPublicAccessBlock':
      if (bucket.publicAccessBlock === undefined) throw noPublicAccessBlock(bucket.name);
      return xmlResponse(200, renderPublicAccessBlock(bucket.publicAccessBlock));
    case 'PutPublicAccessBlock':
      bucket.publicAccessBlock = parsePublicAccessBlock(body());
      return emptyResponse(200);
    case 'DeletePublicAccessBlock':
      delete bucket.publicAccessBlock;
      return emptyResponse(204);
    case 'GetBucketOwnershipControls':
      if (bucket.ownership === undefined) throw noOwnershipControls(bucket.name);
      return xmlResponse(200, renderOwnershipControls(bucket.ownership));
    case 'PutBucketOwnershipControls':
      bucket.ownership = parseOwnershipControls(body());
      return emptyResponse(200);
    case 'DeleteBucketOwnershipControls':
      delete bucket.ownership;
      return emptyResponse(204);
    case 'GetBucketLifecycleConfiguration':
      if (bucket.lifecycle === undefined) throw noLifecycle(bucket.name);
      return {
        ...xmlResponse(200, renderLifecycle(bucket.lifecycle)),
        headers: { 'content-type': 'application/xml', ...TRANSITION_MINIMUM },
      };
    case 'PutBucketLifecycleConfiguration':
      bucket.lifecycle = parseLifecycle(body());
      return emptyResponse(200, TRANSITION_MINIMUM);
    default:
      // DeleteBucketLifecycle
      delete bucket.lifecycle;
      return emptyResponse(204);
  }
}
