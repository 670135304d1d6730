/**
 * The S3 gateway: given a request core has authenticated, it finds the operation, checks
 * bucket ownership and `ExpectedBucketOwner`, authorizes every permission the operation
 * needs (identity policies plus the bucket policy, cross-account rules through
 * `cloud.authorize`), answers what s3rver cannot (bucket ownership, policies, tags,
 * multipart bookkeeping) and forwards the rest to s3rver, unsigned.
 */
import { createHash } from 'node:crypto';
import { parsePolicy } from '@ferry/iam';
import type { NamedPolicy } from '@ferry/iam';
import { AwsError } from '../../core/contract.ts';
import type { Call, Cloud, RawRequest, RawResponse } from '../../core/contract.ts';
import {
  decodeAwsChunked,
  isAwsChunked,
  verifyChecksums,
  verifyChunkSignatures,
} from './aws-chunked.ts';
import type { SeedSignature } from './aws-chunked.ts';
import type { BucketRecord, BucketRegistry } from './bucket-registry.ts';
import { S3Error, accessDenied, noSuchBucket, renderS3Error } from './s3-error.ts';
import { listPage, listingRequest, renderListing } from './object-listing.ts';
import { backendCopySource, backendObjectPath, storedKey } from './object-key-path.ts';
import { resolveS3Operation } from './s3-operation.ts';
import type { S3Operation, S3Permission } from './s3-operation.ts';
import { validateBucketName, validateBucketPolicy } from './s3-validation.ts';
import type { BackendResponse, S3rverBackend } from './s3rver-backend.ts';
import {
  el,
  parseCompleteMultipartUpload,
  parseCreateBucketLocation,
  parseDeleteObjects,
  parseInitiateResult,
  parseTagging,
  renderDeleteResult,
  renderTagging,
  xmlDocument,
} from './s3-xml.ts';
import { xmlEscape } from './xml-escape.ts';
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

export type ForwardCall = Omit<Call, 'action' | 'input'>;

export interface S3Gateway {
  handle(request: RawRequest, call: ForwardCall): Promise<RawResponse>;
}

export interface S3GatewayDeps {
  cloud: Cloud;
  registry: BucketRegistry;
  backend: S3rverBackend;
}

/** Query parameters of SigV4 presigned URLs and SDK bookkeeping that s3rver must not see. */
const AUTH_QUERY = new Set([
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-signedheaders',
  'x-amz-signature',
  'x-amz-security-token',
  'x-id',
]);

/** Request headers that concern the gateway only. */
const DROPPED_REQUEST_HEADERS = new Set([
  'authorization',
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'expect',
  'x-amz-content-sha256',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-decoded-content-length',
  'x-amz-trailer',
  'x-amz-sdk-checksum-algorithm',
  'x-amz-expected-bucket-owner',
  'x-amz-source-expected-bucket-owner',
]);

/** Response headers the HTTP layer sets itself. */
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'date',
  'x-amz-request-id',
  'x-amz-id-2',
]);

/** S3 answers both lifecycle Put and Get with the default minimum size of transitions. */
const TRANSITION_MINIMUM = {
  'x-amz-transition-default-minimum-object-size': 'all_storage_classes_128K',
};

/** S3's canonical user id for an account (stable, 64 hex digits). */
export function canonicalUserId(accountId: string): string {
  return createHash('sha256').update(`localcloud-canonical-user:${accountId}`).digest('hex');
}

function xmlResponse(status: number, body: string): RawResponse {
  return { status, headers: { 'content-type': 'application/xml' }, body };
}

function emptyResponse(status: number, headers: Record<string, string> = {}): RawResponse {
  return { status, headers, body: '' };
}

/**
 * s3rver names the stored key in what it answers (an error's `<Key>`, a completed upload's
 * `<Key>` and `<Location>`): put the S3 key back.
 */
function withKeyRestored(response: BackendResponse, key: string): BackendResponse {
  const stored = storedKey(key);
  if (stored === key || response.body.length === 0) return response;
  const text = response.body.toString('utf8');
  const restored = text
    .split(`<Key>${xmlEscape(stored)}</Key>`)
    .join(`<Key>${xmlEscape(key)}</Key>`)
    .split(xmlEscape(storedKey(key).split('/').map(encodeURIComponent).join('/')))
    .join(xmlEscape(key.split('/').map(encodeURIComponent).join('/')));
  return { ...response, body: Buffer.from(restored, 'utf8') };
}

/** The header signature a signed streaming body's chunk signatures chain from. */
function seedFor(request: RawRequest, secretAccessKey: string): SeedSignature {
  const match = /Credential=[^/]+\/([^,\s]+),.*Signature=([0-9a-f]+)/i.exec(
    request.headers['authorization'] ?? '',
  );
  const amzDate = request.headers['x-amz-date'];
  if (!match?.[1] || !match[2] || !amzDate) {
    throw new S3Error(
      'InvalidRequest',
      'Signed streaming uploads need an Authorization header and X-Amz-Date.',
      400,
    );
  }
  return { amzDate, scope: match[1], signature: match[2].toLowerCase(), secretAccessKey };
}

export function createS3Gateway({ cloud, registry, backend }: S3GatewayDeps): S3Gateway {
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

  /** s3rver's answer as-is; its Content-Length is kept only for HEAD (no body to measure). */
  const toRawResponse = (response: BackendResponse, method = 'GET'): RawResponse => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (DROPPED_RESPONSE_HEADERS.has(name)) continue;
      if (name === 'content-length' && method.toUpperCase() !== 'HEAD') continue;
      headers[name] = value;
    }
    return { status: response.status, headers, body: response.body };
  };

  const seedOf = (request: RawRequest, call: ForwardCall): SeedSignature => {
    const secret = cloud.credentials.get(call.caller.accessKeyId)?.secretAccessKey;
    if (secret === undefined) throw accessDenied();
    return seedFor(request, secret);
  };

  /** The request body as the client meant it: aws-chunked framing removed, checksums checked. */
  const payloadOf = (
    request: RawRequest,
    call: ForwardCall,
  ): { body: Buffer; headers: Record<string, string> } => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!DROPPED_REQUEST_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
    }
    let body = request.body;
    if (isAwsChunked(request.headers)) {
      const decoded = decodeAwsChunked(request.body);
      if (
        (request.headers['x-amz-content-sha256'] ?? '').startsWith(
          'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        )
      ) {
        verifyChunkSignatures(decoded, seedOf(request, call));
      }
      const declared = request.headers['x-amz-decoded-content-length'];
      if (declared !== undefined && Number(declared) !== decoded.data.length) {
        throw new S3Error(
          'IncompleteBody',
          'You did not provide the number of bytes specified by the Content-Length HTTP header',
          400,
        );
      }
      verifyChecksums(decoded.data, decoded.trailers);
      body = decoded.data;
      const encodings = (headers['content-encoding'] ?? '')
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '' && e.toLowerCase() !== 'aws-chunked');
      if (encodings.length > 0) headers['content-encoding'] = encodings.join(', ');
      else delete headers['content-encoding'];
    } else {
      const sha = request.headers['x-amz-content-sha256'];
      if (sha !== undefined && /^[0-9a-f]{64}$/i.test(sha)) {
        const actual = createHash('sha256').update(body).digest('hex');
        if (actual !== sha.toLowerCase()) {
          throw new S3Error(
            'XAmzContentSHA256Mismatch',
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            400,
          );
        }
      }
      verifyChecksums(body, request.headers);
    }
    for (const name of Object.keys(headers)) {
      if (name.startsWith('x-amz-checksum-')) {
        // s3rver does not store checksums; the gateway has verified them.
        delete headers[name];
      }
    }
    return { body, headers };
  };

  const forward = async (
    request: RawRequest,
    call: ForwardCall,
    operation: S3Operation,
    override?: { body: Buffer; headers: Record<string, string> },
  ): Promise<BackendResponse> => {
    const payload = override ?? payloadOf(request, call);
    const query = new URLSearchParams();
    for (const [name, value] of request.query) {
      if (!AUTH_QUERY.has(name.toLowerCase())) query.append(name, value);
    }
    // The key goes to s3rver in its stored form, never as the wire path: the wire path may
    // hold dot segments and encoded slashes that s3rver would resolve outside the bucket.
    const path =
      operation.bucket === undefined
        ? '/'
        : operation.key === undefined
          ? `/${encodeURIComponent(operation.bucket)}`
          : backendObjectPath(operation.bucket, operation.key);
    const headers = { ...payload.headers };
    if (operation.copySource !== undefined) {
      headers['x-amz-copy-source'] = backendCopySource(
        operation.copySource.bucket,
        operation.copySource.key,
      );
    }
    const response = await backend.send({
      method: request.method.toUpperCase(),
      path,
      query,
      headers,
      body: payload.body,
    });
    return operation.key === undefined ? response : withKeyRestored(response, operation.key);
  };

  const listBuckets = (call: ForwardCall): RawResponse => {
    const owner = call.caller.accountId;
    const buckets = registry
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
  };

  const createBucket = async (
    request: RawRequest,
    call: ForwardCall,
    operation: S3Operation,
  ): Promise<RawResponse> => {
    const name = operation.bucket ?? '';
    validateBucketName(name);
    const existing = registry.get(name);
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
      authorizeOne(call, operation, permission, undefined);
    const region = parseCreateBucketLocation(payloadOf(request, call).body) ?? call.region;
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
    registry.add({
      name,
      owner: call.caller.accountId,
      region,
      created: new Date(cloud.now()).toISOString(),
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
      response = await forward(request, call, operation, { body: Buffer.alloc(0), headers: {} });
    } catch (error) {
      registry.remove(name);
      throw error;
    }
    if (response.status >= 300) {
      registry.remove(name);
      return toRawResponse(response);
    }
    return emptyResponse(200, { location: `/${name}` });
  };

  const bucketPolicy = (
    request: RawRequest,
    call: ForwardCall,
    operation: S3Operation,
    bucket: BucketRecord,
  ): RawResponse => {
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
        const text = payloadOf(request, call).body.toString('utf8');
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
  };

  const bucketTagging = (
    request: RawRequest,
    call: ForwardCall,
    operation: S3Operation,
    bucket: BucketRecord,
  ): RawResponse => {
    switch (operation.name) {
      case 'GetBucketTagging':
        if (bucket.tags === undefined) {
          throw new S3Error('NoSuchTagSet', 'The TagSet does not exist', 404, {
            BucketName: bucket.name,
          });
        }
        return xmlResponse(200, renderTagging(bucket.tags));
      case 'PutBucketTagging':
        bucket.tags = parseTagging(payloadOf(request, call).body);
        return emptyResponse(204);
      default:
        delete bucket.tags;
        return emptyResponse(204);
    }
  };

  /** Encryption, public access block, ownership controls and lifecycle rules. */
  const bucketConfiguration = (
    request: RawRequest,
    call: ForwardCall,
    operation: S3Operation,
    bucket: BucketRecord,
  ): RawResponse => {
    const body = () => payloadOf(request, call).body;
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
  };

  const uploadOf = (request: RawRequest, bucket: BucketRecord, operation: S3Operation) => {
    const uploadId = request.query.get('uploadId') ?? '';
    const upload = bucket.uploads[uploadId];
    if (!upload || upload.key !== operation.key) {
      throw new S3Error(
        'NoSuchUpload',
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
        404,
        { UploadId: uploadId },
      );
    }
    return { uploadId, upload };
  };

  const multipart = async (
    request: RawRequest,
    call: ForwardCall,
    operation: S3Operation,
    bucket: BucketRecord,
  ): Promise<RawResponse> => {
    switch (operation.name) {
      case 'CreateMultipartUpload': {
        const response = await forward(request, call, operation);
        const uploadId = response.status < 300 ? parseInitiateResult(response.body) : undefined;
        if (uploadId !== undefined) {
          bucket.uploads[uploadId] = {
            key: operation.key ?? '',
            initiated: new Date(cloud.now()).toISOString(),
            initiator: call.caller.arn,
            parts: {},
          };
        }
        return toRawResponse(response);
      }
      case 'UploadPart': {
        const { upload } = uploadOf(request, bucket, operation);
        const partNumber = Number(request.query.get('partNumber'));
        if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
          throw new S3Error(
            'InvalidArgument',
            'Part number must be an integer between 1 and 10000, inclusive',
            400,
            { ArgumentName: 'partNumber' },
          );
        }
        const payload = payloadOf(request, call);
        const response = await forward(request, call, operation, payload);
        if (response.status < 300) {
          upload.parts[String(partNumber)] = {
            etag: (response.headers['etag'] ?? '').replace(/"/g, ''),
            size: payload.body.length,
            lastModified: new Date(cloud.now()).toISOString(),
          };
        }
        return toRawResponse(response);
      }
      case 'CompleteMultipartUpload': {
        const { uploadId, upload } = uploadOf(request, bucket, operation);
        const parts = parseCompleteMultipartUpload(payloadOf(request, call).body);
        let previous = 0;
        for (const part of parts) {
          if (part.partNumber <= previous) {
            throw new S3Error(
              'InvalidPartOrder',
              'The list of parts was not in ascending order. Parts must be ordered by part number.',
              400,
            );
          }
          previous = part.partNumber;
          const stored = upload.parts[String(part.partNumber)];
          if (!stored || stored.etag !== part.etag) {
            throw new S3Error(
              'InvalidPart',
              "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
              400,
              { UploadId: uploadId, PartNumber: String(part.partNumber) },
            );
          }
        }
        const response = await forward(request, call, operation);
        if (response.status < 300) {
          delete bucket.uploads[uploadId];
          const body = response.body.toString('utf8').split(backend.origin).join(cloud.baseUrl);
          return { ...toRawResponse(response), body };
        }
        return toRawResponse(response);
      }
      case 'AbortMultipartUpload': {
        const { uploadId } = uploadOf(request, bucket, operation);
        await backend.discardUpload(bucket.name, uploadId);
        delete bucket.uploads[uploadId];
        return emptyResponse(204);
      }
      case 'ListParts': {
        const { uploadId, upload } = uploadOf(request, bucket, operation);
        const marker = Number(request.query.get('part-number-marker') ?? '0');
        const maxParts = Math.min(Number(request.query.get('max-parts') ?? '1000') || 1000, 1000);
        const all = Object.entries(upload.parts)
          .map(([number, part]) => ({ number: Number(number), ...part }))
          .filter((part) => part.number > marker)
          .sort((a, b) => a.number - b.number);
        const page = all.slice(0, maxParts);
        const truncated = all.length > page.length;
        const partsXml = page
          .map(
            (p) =>
              `<Part>${el('PartNumber', p.number)}${el('LastModified', p.lastModified)}${el('ETag', `"${p.etag}"`)}${el('Size', p.size)}</Part>`,
          )
          .join('');
        const inner =
          el('Bucket', bucket.name) +
          el('Key', upload.key) +
          el('UploadId', uploadId) +
          el('PartNumberMarker', marker) +
          (truncated ? el('NextPartNumberMarker', page[page.length - 1]?.number ?? 0) : '') +
          el('MaxParts', maxParts) +
          el('IsTruncated', truncated) +
          `<Initiator>${el('ID', upload.initiator)}${el('DisplayName', upload.initiator)}</Initiator>` +
          `<Owner>${el('ID', canonicalUserId(bucket.owner))}${el('DisplayName', bucket.owner)}</Owner>` +
          el('StorageClass', 'STANDARD') +
          partsXml;
        return xmlResponse(200, xmlDocument('ListPartsResult', inner));
      }
      default: {
        // ListMultipartUploads
        const prefix = request.query.get('prefix') ?? '';
        const uploads = Object.entries(bucket.uploads)
          .filter(([, u]) => u.key.startsWith(prefix))
          .sort(([, a], [, b]) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
          .map(
            ([id, u]) =>
              `<Upload>${el('Key', u.key)}${el('UploadId', id)}<Initiator>${el('ID', u.initiator)}${el('DisplayName', u.initiator)}</Initiator>` +
              `<Owner>${el('ID', canonicalUserId(bucket.owner))}${el('DisplayName', bucket.owner)}</Owner>${el('StorageClass', 'STANDARD')}${el('Initiated', u.initiated)}</Upload>`,
          )
          .join('');
        const inner =
          el('Bucket', bucket.name) +
          el('KeyMarker', '') +
          el('UploadIdMarker', '') +
          el('Prefix', prefix) +
          el('MaxUploads', 1000) +
          el('IsTruncated', false) +
          uploads;
        return xmlResponse(200, xmlDocument('ListMultipartUploadsResult', inner));
      }
    }
  };

  /** DeleteObjects: each key is authorized on its own; refused keys are reported, not fatal. */
  const deleteObjects = async (
    request: RawRequest,
    call: ForwardCall,
    operation: S3Operation,
    bucket: BucketRecord,
  ): Promise<RawResponse> => {
    const { keys, quiet } = parseDeleteObjects(payloadOf(request, call).body);
    const allowed: string[] = [];
    const errors: { key: string; code: string; message: string }[] = [];
    for (const key of keys) {
      try {
        authorizeOne(
          call,
          operation,
          {
            action: 's3:DeleteObject',
            resource: `arn:aws:s3:::${bucket.name}/${key}`,
            bucket: bucket.name,
            context: operation.permissions[0]?.context ?? {},
          },
          bucket,
        );
        allowed.push(key);
      } catch (error) {
        if (!(error instanceof AwsError) && !(error instanceof S3Error)) throw error;
        errors.push({ key, code: 'AccessDenied', message: 'Access Denied' });
      }
    }
    // One DELETE per key, in turn: s3rver's own DeleteObjects removes keys in parallel and
    // fails when two of them share a directory it prunes.
    const deleted: string[] = [];
    for (const key of allowed) {
      const response = await backend.send({
        method: 'DELETE',
        path: backendObjectPath(bucket.name, key),
        query: new URLSearchParams(),
        headers: {},
        body: Buffer.alloc(0),
      });
      if (response.status >= 300) {
        errors.push({ key, code: 'InternalError', message: 'We encountered an internal error.' });
      } else {
        deleted.push(key);
      }
    }
    return xmlResponse(200, renderDeleteResult(deleted, errors, quiet));
  };

  const dispatch = async (request: RawRequest, call: ForwardCall): Promise<RawResponse> => {
    const operation = resolveS3Operation(request);
    cloud.faults.check('s3', operation.name);
    if (operation.name === 'ListBuckets') {
      for (const permission of operation.permissions)
        authorizeOne(call, operation, permission, undefined);
      return listBuckets(call);
    }
    if (operation.name === 'CreateBucket') return createBucket(request, call, operation);

    if (operation.name === 'DeleteObjects') {
      const bucket = registry.get(operation.bucket ?? '');
      const expected = request.headers['x-amz-expected-bucket-owner'];
      if (!bucket) throw noSuchBucket(operation.bucket ?? '');
      if (expected !== undefined && expected !== bucket.owner) throw accessDenied();
      return deleteObjects(request, call, operation, bucket);
    }

    authorizeAll(call, operation, request);
    const bucket = registry.get(operation.bucket ?? '');
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
        return bucketPolicy(request, call, operation, bucket);
      case 'GetBucketTagging':
      case 'PutBucketTagging':
      case 'DeleteBucketTagging':
        return bucketTagging(request, call, operation, bucket);
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
        return bucketConfiguration(request, call, operation, bucket);
      case 'CreateMultipartUpload':
      case 'UploadPart':
      case 'CompleteMultipartUpload':
      case 'AbortMultipartUpload':
      case 'ListParts':
      case 'ListMultipartUploads':
        return multipart(request, call, operation, bucket);
      case 'UploadPartCopy':
        throw new S3Error(
          'NotImplemented',
          'A header you provided implies functionality that is not implemented',
          501,
          { Header: 'x-amz-copy-source' },
        );
      case 'DeleteBucket': {
        const response = await forward(request, call, operation, {
          body: Buffer.alloc(0),
          headers: {},
        });
        if (response.status < 300) registry.remove(bucket.name);
        return toRawResponse(response);
      }
      case 'ListObjects':
      case 'ListObjectsV2': {
        const listing = listingRequest(request.query);
        const objects = await backend.listObjects(bucket.name, listing.prefix);
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
        const response = await forward(request, call, operation);
        if (response.status === 404 && !allowed(call, operation, 's3:ListBucket', bucket)) {
          // Without s3:ListBucket, S3 does not reveal that a key is absent.
          throw accessDenied();
        }
        return toRawResponse(response, request.method);
      }
      default:
        return toRawResponse(await forward(request, call, operation), request.method);
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
