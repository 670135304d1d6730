import { describe, expect, it } from 'vitest';
import { S3Error } from './s3-error.ts';
import { parseCopySource, resolveS3Operation, splitS3Address } from './s3-operation.ts';

function op(method: string, path: string, query = '', headers: Record<string, string> = {}) {
  return resolveS3Operation({
    method,
    path,
    query: new URLSearchParams(query),
    headers: { host: '127.0.0.1:4566', ...headers },
  });
}

describe('resolveS3Operation', () => {
  it('maps service and bucket operations to their IAM actions', () => {
    const cases: [string, string, string, string, string][] = [
      ['GET', '/', '', 'ListBuckets', 's3:ListAllMyBuckets'],
      ['PUT', '/b1', '', 'CreateBucket', 's3:CreateBucket'],
      ['DELETE', '/b1', '', 'DeleteBucket', 's3:DeleteBucket'],
      ['HEAD', '/b1', '', 'HeadBucket', 's3:ListBucket'],
      ['GET', '/b1', 'list-type=2', 'ListObjectsV2', 's3:ListBucket'],
      ['GET', '/b1', '', 'ListObjects', 's3:ListBucket'],
      ['GET', '/b1', 'location', 'GetBucketLocation', 's3:GetBucketLocation'],
      ['GET', '/b1', 'policy', 'GetBucketPolicy', 's3:GetBucketPolicy'],
      ['PUT', '/b1', 'policy', 'PutBucketPolicy', 's3:PutBucketPolicy'],
      ['DELETE', '/b1', 'policy', 'DeleteBucketPolicy', 's3:DeleteBucketPolicy'],
      ['GET', '/b1', 'tagging', 'GetBucketTagging', 's3:GetBucketTagging'],
      ['PUT', '/b1', 'tagging', 'PutBucketTagging', 's3:PutBucketTagging'],
      ['DELETE', '/b1', 'tagging', 'DeleteBucketTagging', 's3:PutBucketTagging'],
      ['GET', '/b1', 'uploads', 'ListMultipartUploads', 's3:ListBucketMultipartUploads'],
      ['POST', '/b1', 'delete', 'DeleteObjects', 's3:DeleteObject'],
    ];
    for (const [method, path, query, name, action] of cases) {
      const result = op(method, path, query);
      expect([result.name, result.permissions[0]?.action], `${method} ${path}?${query}`).toEqual([
        name,
        action,
      ]);
    }
    expect(op('GET', '/').permissions[0]?.resource).toBe('*');
    expect(op('HEAD', '/b1').permissions[0]?.resource).toBe('arn:aws:s3:::b1');
  });

  it('maps object and multipart operations on the object ARN with the decoded key', () => {
    const cases: [string, string, string, string, string][] = [
      ['GET', '/b1/a/b%20c.txt', 'x-id=GetObject', 'GetObject', 's3:GetObject'],
      ['HEAD', '/b1/a/b%20c.txt', '', 'HeadObject', 's3:GetObject'],
      ['PUT', '/b1/a/b%20c.txt', 'x-id=PutObject', 'PutObject', 's3:PutObject'],
      ['DELETE', '/b1/a/b%20c.txt', '', 'DeleteObject', 's3:DeleteObject'],
      ['POST', '/b1/a/b%20c.txt', 'uploads', 'CreateMultipartUpload', 's3:PutObject'],
      ['PUT', '/b1/a/b%20c.txt', 'partNumber=1&uploadId=u', 'UploadPart', 's3:PutObject'],
      ['POST', '/b1/a/b%20c.txt', 'uploadId=u', 'CompleteMultipartUpload', 's3:PutObject'],
      [
        'DELETE',
        '/b1/a/b%20c.txt',
        'uploadId=u',
        'AbortMultipartUpload',
        's3:AbortMultipartUpload',
      ],
      ['GET', '/b1/a/b%20c.txt', 'uploadId=u', 'ListParts', 's3:ListMultipartUploadParts'],
      ['GET', '/b1/a/b%20c.txt', 'tagging', 'GetObjectTagging', 's3:GetObjectTagging'],
      ['GET', '/b1/a/b%20c.txt', 'versionId=v1', 'GetObject', 's3:GetObjectVersion'],
    ];
    for (const [method, path, query, name, action] of cases) {
      const result = op(method, path, query);
      expect([result.name, result.permissions[0]?.action], `${method} ${path}?${query}`).toEqual([
        name,
        action,
      ]);
      expect(result.key).toBe('a/b c.txt');
      expect(result.rawKey).toBe('a/b%20c.txt');
      expect(result.permissions[0]?.resource).toBe('arn:aws:s3:::b1/a/b c.txt');
    }
  });

  it('puts s3:prefix, s3:delimiter and s3:max-keys on listings', () => {
    const result = op('GET', '/b1', 'list-type=2&prefix=data%2F&delimiter=%2F&max-keys=10');
    expect(result.permissions[0]?.context).toMatchObject({
      's3:prefix': 'data/',
      's3:delimiter': '/',
      's3:max-keys': '10',
      's3:authType': 'REST-HEADER',
    });
    expect(result.permissions[0]?.context).not.toHaveProperty('s3:prefix', undefined);
  });

  it('marks presigned requests with s3:authType REST-QUERY-STRING', () => {
    const result = op('GET', '/b1/k', 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=x');
    expect(result.permissions[0]?.context['s3:authType']).toBe('REST-QUERY-STRING');
  });

  it('checks GetObject on the source and PutObject on the target of a copy', () => {
    const result = op('PUT', '/dst/new%20key', '', { 'x-amz-copy-source': '/src/old%20key' });
    expect(result.name).toBe('CopyObject');
    expect(result.copySource).toEqual({ bucket: 'src', key: 'old key' });
    expect(result.permissions.map((p) => [p.action, p.resource, p.bucket])).toEqual([
      ['s3:GetObject', 'arn:aws:s3:::src/old key', 'src'],
      ['s3:PutObject', 'arn:aws:s3:::dst/new key', 'dst'],
    ]);
    expect(result.permissions[1]?.context['s3:x-amz-copy-source']).toBe('/src/old%20key');
  });

  it('rejects conflicting subresources and unsupported methods', () => {
    expect(() => op('GET', '/b1', 'policy&tagging')).toThrow(S3Error);
    expect(() => op('PUT', '/')).toThrow(/not allowed/);
    expect(() => op('GET', '/b1/%E0%A4%A')).toThrow(/Couldn't parse/);
  });
});

describe('splitS3Address', () => {
  it('reads path-style and virtual-host style addresses', () => {
    expect(splitS3Address('/b1/k/x', '127.0.0.1:4566')).toEqual({ bucket: 'b1', rawKey: 'k/x' });
    expect(splitS3Address('/b1/', '127.0.0.1')).toEqual({ bucket: 'b1' });
    expect(splitS3Address('/', 'localhost:4566')).toEqual({});
    expect(splitS3Address('/k/x', 'my.bucket.s3.localhost:4566')).toEqual({
      bucket: 'my.bucket',
      rawKey: 'k/x',
    });
    expect(splitS3Address('/', 'b2.s3.us-east-1.localhost')).toEqual({ bucket: 'b2' });
  });
});

describe('parseCopySource', () => {
  it('accepts leading slash, encoding and versionId', () => {
    expect(parseCopySource('b/k%2Fx?versionId=1')).toEqual({ bucket: 'b', key: 'k/x' });
    expect(() => parseCopySource('/onlybucket')).toThrow(/source bucket and key/);
  });
});
