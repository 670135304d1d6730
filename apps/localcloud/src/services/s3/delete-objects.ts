/** DeleteObjects, one key at a time. */
import { AwsError, type RawRequest, type RawResponse } from '../../core/contract.ts';
import type { BucketRecord } from './bucket-registry.ts';
import { S3Error } from './s3-error.ts';
import { backendObjectPath } from './object-key-path.ts';
import type { S3Operation } from './s3-operation.ts';
import { parseDeleteObjects, renderDeleteResult } from './s3-xml.ts';
import { xmlResponse } from './s3-responses.ts';
import type { ForwardCall, S3GatewayContext } from './s3-gateway-context.ts';

/** DeleteObjects: each key is authorized on its own; refused keys are reported, not fatal. */
export async function deleteObjects(
  g: S3GatewayContext,
  request: RawRequest,
  call: ForwardCall,
  operation: S3Operation,
  bucket: BucketRecord,
): Promise<RawResponse> {
  const { keys, quiet } = parseDeleteObjects(g.payloadOf(request, call).body);
  const allowed: string[] = [];
  const errors: { key: string; code: string; message: string }[] = [];
  for (const key of keys) {
    try {
      g.authorizeOne(
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
    const response = await g.backend.send({
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
}
