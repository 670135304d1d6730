/**
 * Maps an S3 REST request (method, path-style or virtual-host address, query subresources,
 * a few headers) to the S3 operation it is, and the IAM actions, resources and condition keys
 * AWS evaluates for it (Service Authorization Reference, "Actions defined by Amazon S3").
 */
import { S3Error } from './s3-error.ts';

/** One IAM check an operation needs: `s3:Action` on `resource`. */
export interface S3Permission {
  action: string;
  /** `arn:aws:s3:::BUCKET`, `arn:aws:s3:::BUCKET/KEY`, or `*` (ListAllMyBuckets). */
  resource: string;
  /** The bucket whose owner and policy apply; absent for `*`. */
  bucket?: string;
  /** Condition keys specific to this request (`s3:prefix`, …). */
  context: Record<string, string>;
}

export interface S3Operation {
  /** Operation name as in the S3 model, e.g. `ListObjectsV2`. */
  name: string;
  bucket?: string;
  /** Decoded object key. */
  key?: string;
  /** The key as it appeared on the wire (still percent-encoded), for forwarding. */
  rawKey?: string;
  /** Checks in evaluation order; all must allow. */
  permissions: S3Permission[];
  /** For CopyObject / UploadPartCopy: the decoded source. */
  copySource?: { bucket: string; key: string };
}

export interface S3RequestLine {
  method: string;
  /** Path without query string, not decoded. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
}

/** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`. */
export function s3Arn(bucket: string, key?: string): string {
  return key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
}

interface SubresourceRule {
  name: string;
  action: string;
}

/** Bucket subresources by method: query parameter → operation and action. */
const bucketSubresources: Record<string, Record<string, SubresourceRule>> = {
  GET: {
    location: { name: 'GetBucketLocation', action: 's3:GetBucketLocation' },
    policy: { name: 'GetBucketPolicy', action: 's3:GetBucketPolicy' },
    policyStatus: { name: 'GetBucketPolicyStatus', action: 's3:GetBucketPolicyStatus' },
    tagging: { name: 'GetBucketTagging', action: 's3:GetBucketTagging' },
    uploads: { name: 'ListMultipartUploads', action: 's3:ListBucketMultipartUploads' },
    versions: { name: 'ListObjectVersions', action: 's3:ListBucketVersions' },
    cors: { name: 'GetBucketCors', action: 's3:GetBucketCORS' },
    website: { name: 'GetBucketWebsite', action: 's3:GetBucketWebsite' },
    acl: { name: 'GetBucketAcl', action: 's3:GetBucketAcl' },
    versioning: { name: 'GetBucketVersioning', action: 's3:GetBucketVersioning' },
    encryption: { name: 'GetBucketEncryption', action: 's3:GetEncryptionConfiguration' },
    lifecycle: {
      name: 'GetBucketLifecycleConfiguration',
      action: 's3:GetLifecycleConfiguration',
    },
    ownershipControls: {
      name: 'GetBucketOwnershipControls',
      action: 's3:GetBucketOwnershipControls',
    },
    publicAccessBlock: {
      name: 'GetPublicAccessBlock',
      action: 's3:GetBucketPublicAccessBlock',
    },
    'object-lock': {
      name: 'GetObjectLockConfiguration',
      action: 's3:GetBucketObjectLockConfiguration',
    },
    notification: {
      name: 'GetBucketNotificationConfiguration',
      action: 's3:GetBucketNotification',
    },
    logging: { name: 'GetBucketLogging', action: 's3:GetBucketLogging' },
    requestPayment: { name: 'GetBucketRequestPayment', action: 's3:GetBucketRequestPayment' },
    accelerate: {
      name: 'GetBucketAccelerateConfiguration',
      action: 's3:GetAccelerateConfiguration',
    },
  },
  PUT: {
    policy: { name: 'PutBucketPolicy', action: 's3:PutBucketPolicy' },
    tagging: { name: 'PutBucketTagging', action: 's3:PutBucketTagging' },
    cors: { name: 'PutBucketCors', action: 's3:PutBucketCORS' },
    website: { name: 'PutBucketWebsite', action: 's3:PutBucketWebsite' },
    acl: { name: 'PutBucketAcl', action: 's3:PutBucketAcl' },
    versioning: { name: 'PutBucketVersioning', action: 's3:PutBucketVersioning' },
    encryption: { name: 'PutBucketEncryption', action: 's3:PutEncryptionConfiguration' },
    lifecycle: {
      name: 'PutBucketLifecycleConfiguration',
      action: 's3:PutLifecycleConfiguration',
    },
    ownershipControls: {
      name: 'PutBucketOwnershipControls',
      action: 's3:PutBucketOwnershipControls',
    },
    publicAccessBlock: {
      name: 'PutPublicAccessBlock',
      action: 's3:PutBucketPublicAccessBlock',
    },
    notification: {
      name: 'PutBucketNotificationConfiguration',
      action: 's3:PutBucketNotification',
    },
  },
  DELETE: {
    policy: { name: 'DeleteBucketPolicy', action: 's3:DeleteBucketPolicy' },
    tagging: { name: 'DeleteBucketTagging', action: 's3:PutBucketTagging' },
    cors: { name: 'DeleteBucketCors', action: 's3:PutBucketCORS' },
    website: { name: 'DeleteBucketWebsite', action: 's3:DeleteBucketWebsite' },
    encryption: { name: 'DeleteBucketEncryption', action: 's3:PutEncryptionConfiguration' },
    lifecycle: { name: 'DeleteBucketLifecycle', action: 's3:PutLifecycleConfiguration' },
    ownershipControls: {
      name: 'DeleteBucketOwnershipControls',
      action: 's3:PutBucketOwnershipControls',
    },
    publicAccessBlock: {
      name: 'DeletePublicAccessBlock',
      action: 's3:PutBucketPublicAccessBlock',
    },
  },
  POST: {
    delete: { name: 'DeleteObjects', action: 's3:DeleteObject' },
  },
};

const objectSubresources: Record<string, Record<string, SubresourceRule>> = {
  GET: {
    uploadId: { name: 'ListParts', action: 's3:ListMultipartUploadParts' },
    tagging: { name: 'GetObjectTagging', action: 's3:GetObjectTagging' },
    acl: { name: 'GetObjectAcl', action: 's3:GetObjectAcl' },
    attributes: { name: 'GetObjectAttributes', action: 's3:GetObjectAttributes' },
    retention: { name: 'GetObjectRetention', action: 's3:GetObjectRetention' },
    'legal-hold': { name: 'GetObjectLegalHold', action: 's3:GetObjectLegalHold' },
    torrent: { name: 'GetObjectTorrent', action: 's3:GetObjectTorrent' },
  },
  PUT: {
    uploadId: { name: 'UploadPart', action: 's3:PutObject' },
    tagging: { name: 'PutObjectTagging', action: 's3:PutObjectTagging' },
    acl: { name: 'PutObjectAcl', action: 's3:PutObjectAcl' },
    retention: { name: 'PutObjectRetention', action: 's3:PutObjectRetention' },
    'legal-hold': { name: 'PutObjectLegalHold', action: 's3:PutObjectLegalHold' },
  },
  POST: {
    uploads: { name: 'CreateMultipartUpload', action: 's3:PutObject' },
    uploadId: { name: 'CompleteMultipartUpload', action: 's3:PutObject' },
    select: { name: 'SelectObjectContent', action: 's3:GetObject' },
    restore: { name: 'RestoreObject', action: 's3:RestoreObject' },
  },
  DELETE: {
    uploadId: { name: 'AbortMultipartUpload', action: 's3:AbortMultipartUpload' },
    tagging: { name: 'DeleteObjectTagging', action: 's3:DeleteObjectTagging' },
  },
};

/** The subresource of `query` that `rules` knows; S3 rejects two at once. */
function pickSubresource(
  query: URLSearchParams,
  rules: Record<string, SubresourceRule> | undefined,
): SubresourceRule | undefined {
  if (!rules) return undefined;
  const found = Object.keys(rules).filter((name) => query.has(name));
  if (found.length > 1) {
    throw new S3Error(
      'InvalidArgument',
      `Conflicting query string parameters: ${found.join(', ')}`,
      400,
    );
  }
  return found[0] === undefined ? undefined : rules[found[0]];
}

function decodeSegment(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidURI', `Couldn't parse the specified URI: bad ${what} encoding.`, 400);
  }
}

/**
 * Splits the address into bucket and key: path-style `/BUCKET/KEY`, or virtual-host style
 * `BUCKET.s3.…` / `BUCKET.s3-REGION.…` in the Host header.
 */
export function splitS3Address(
  path: string,
  host: string | undefined,
): { bucket?: string; rawKey?: string } {
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  const vhost = /^(.+?)\.s3[.-]/.exec(hostname);
  if (vhost?.[1]) {
    const rawKey = path.replace(/^\//, '');
    return rawKey === '' ? { bucket: vhost[1] } : { bucket: vhost[1], rawKey };
  }
  const rest = path.replace(/^\//, '');
  if (rest === '') return {};
  const slash = rest.indexOf('/');
  if (slash < 0) return { bucket: rest };
  const rawKey = rest.slice(slash + 1);
  return rawKey === ''
    ? { bucket: rest.slice(0, slash) }
    : { bucket: rest.slice(0, slash), rawKey };
}

/** Parses `x-amz-copy-source` (`/bucket/key`, `bucket/key?versionId=…`, URL-encoded). */
export function parseCopySource(header: string): { bucket: string; key: string } {
  const withoutVersion = header.split('?')[0] ?? '';
  const trimmed = withoutVersion.replace(/^\//, '');
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) {
    throw new S3Error(
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      400,
    );
  }
  return {
    bucket: decodeSegment(trimmed.slice(0, slash), 'x-amz-copy-source'),
    key: decodeSegment(trimmed.slice(slash + 1), 'x-amz-copy-source'),
  };
}

/** Condition keys every S3 request carries. */
function commonContext(request: S3RequestLine): Record<string, string> {
  const context: Record<string, string> = {};
  const presigned = request.query.has('X-Amz-Algorithm');
  context['s3:authType'] = presigned ? 'REST-QUERY-STRING' : 'REST-HEADER';
  context['s3:signatureversion'] = 'AWS4-HMAC-SHA256';
  const sha = request.headers['x-amz-content-sha256'];
  if (sha) context['s3:x-amz-content-sha256'] = sha;
  return context;
}

/** Condition keys of object writes, from the request headers. */
function putContext(request: S3RequestLine): Record<string, string> {
  const context: Record<string, string> = {};
  const headerKeys: Record<string, string> = {
    'x-amz-acl': 's3:x-amz-acl',
    'x-amz-server-side-encryption': 's3:x-amz-server-side-encryption',
    'x-amz-server-side-encryption-aws-kms-key-id': 's3:x-amz-server-side-encryption-aws-kms-key-id',
    'x-amz-storage-class': 's3:x-amz-storage-class',
    'x-amz-copy-source': 's3:x-amz-copy-source',
    'x-amz-metadata-directive': 's3:x-amz-metadata-directive',
  };
  for (const [header, key] of Object.entries(headerKeys)) {
    const value = request.headers[header];
    if (value !== undefined) context[key] = value;
  }
  return context;
}

/** Resolves the operation; throws S3Error for requests S3 would reject outright. */
export function resolveS3Operation(request: S3RequestLine): S3Operation {
  const method = request.method.toUpperCase();
  const { bucket, rawKey } = splitS3Address(request.path, request.headers['host']);
  const common = commonContext(request);

  if (bucket === undefined) {
    if (method !== 'GET') {
      throw new S3Error(
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
        405,
      );
    }
    return {
      name: 'ListBuckets',
      permissions: [{ action: 's3:ListAllMyBuckets', resource: '*', context: common }],
    };
  }

  const bucketArn = s3Arn(bucket);
  const onBucket = (action: string, context: Record<string, string> = {}): S3Permission => ({
    action,
    resource: bucketArn,
    bucket,
    context: { ...common, ...context },
  });

  if (rawKey === undefined) {
    const rule = pickSubresource(request.query, bucketSubresources[method]);
    if (rule) return { name: rule.name, bucket, permissions: [onBucket(rule.action)] };
    switch (method) {
      case 'GET': {
        const context: Record<string, string> = {};
        for (const name of ['prefix', 'delimiter', 'max-keys']) {
          const value = request.query.get(name);
          if (value !== null) context[`s3:${name}`] = value;
        }
        const name = request.query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
        return { name, bucket, permissions: [onBucket('s3:ListBucket', context)] };
      }
      case 'HEAD':
        return { name: 'HeadBucket', bucket, permissions: [onBucket('s3:ListBucket')] };
      case 'PUT':
        return {
          name: 'CreateBucket',
          bucket,
          permissions: [onBucket('s3:CreateBucket', putContext(request))],
        };
      case 'DELETE':
        return { name: 'DeleteBucket', bucket, permissions: [onBucket('s3:DeleteBucket')] };
      default:
        throw new S3Error(
          'MethodNotAllowed',
          'The specified method is not allowed against this resource.',
          405,
        );
    }
  }

  const key = decodeSegment(rawKey, 'key');
  const objectArn = s3Arn(bucket, key);
  const onObject = (action: string, context: Record<string, string> = {}): S3Permission => ({
    action,
    resource: objectArn,
    bucket,
    context: { ...common, ...context },
  });
  const base = { bucket, key, rawKey };
  const copyHeader = request.headers['x-amz-copy-source'];

  const rule = pickSubresource(request.query, objectSubresources[method]);
  if (rule) {
    if (rule.name === 'UploadPart' && copyHeader !== undefined) {
      const copySource = parseCopySource(copyHeader);
      return {
        ...base,
        name: 'UploadPartCopy',
        copySource,
        permissions: [
          {
            action: 's3:GetObject',
            resource: s3Arn(copySource.bucket, copySource.key),
            bucket: copySource.bucket,
            context: common,
          },
          onObject('s3:PutObject', putContext(request)),
        ],
      };
    }
    const context =
      rule.name === 'CreateMultipartUpload' || rule.name === 'UploadPart'
        ? putContext(request)
        : {};
    return { ...base, name: rule.name, permissions: [onObject(rule.action, context)] };
  }

  switch (method) {
    case 'GET':
      return {
        ...base,
        name: 'GetObject',
        permissions: [
          onObject(request.query.has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject'),
        ],
      };
    case 'HEAD':
      return {
        ...base,
        name: 'HeadObject',
        permissions: [
          onObject(request.query.has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject'),
        ],
      };
    case 'PUT': {
      if (copyHeader === undefined) {
        return {
          ...base,
          name: 'PutObject',
          permissions: [onObject('s3:PutObject', putContext(request))],
        };
      }
      const copySource = parseCopySource(copyHeader);
      return {
        ...base,
        name: 'CopyObject',
        copySource,
        permissions: [
          {
            action: 's3:GetObject',
            resource: s3Arn(copySource.bucket, copySource.key),
            bucket: copySource.bucket,
            context: common,
          },
          onObject('s3:PutObject', putContext(request)),
        ],
      };
    }
    case 'DELETE':
      return {
        ...base,
        name: 'DeleteObject',
        permissions: [
          onObject(request.query.has('versionId') ? 's3:DeleteObjectVersion' : 's3:DeleteObject'),
        ],
      };
    default:
      throw new S3Error(
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
        405,
      );
  }
}
