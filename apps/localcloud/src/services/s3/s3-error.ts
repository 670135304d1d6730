/**
 * S3's error: a REST-XML `<Error>` document with the code, message and request id, as the
 * SDKs parse it (S3 does not use the awsQuery `<ErrorResponse>` wrapper).
 */
import type { RawResponse } from '../../core/contract.ts';
import { xmlEscape } from './xml-escape.ts';

export class S3Error extends Error {
  readonly code: string;
  readonly status: number;
  /** Extra elements S3 adds for this code (e.g. `BucketName`). */
  readonly details: Record<string, string>;
  constructor(code: string, message: string, status: number, details: Record<string, string> = {}) {
    super(message);
    this.name = 'S3Error';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** The access-denied error every refused S3 request gets. */
export function accessDenied(): S3Error {
  return new S3Error('AccessDenied', 'Access Denied', 403);
}

export function noSuchBucket(bucket: string): S3Error {
  return new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, {
    BucketName: bucket,
  });
}

/** Renders an error as S3 does; HEAD responses carry no body, as in S3. */
export function renderS3Error(
  error: { code: string; message: string; status: number; details?: Record<string, string> },
  requestId: string,
  method: string,
): RawResponse {
  const extra = Object.entries(error.details ?? {})
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(error.message)}</Message>` +
    `${extra}<RequestId>${xmlEscape(requestId)}</RequestId><HostId>${xmlEscape(requestId)}</HostId></Error>`;
  const headers: Record<string, string> = {
    'content-type': 'application/xml',
    'x-amz-request-id': requestId,
    'x-amz-id-2': requestId,
  };
  if (method.toUpperCase() === 'HEAD') {
    return { status: error.status, headers, body: '' };
  }
  return { status: error.status, headers, body };
}
