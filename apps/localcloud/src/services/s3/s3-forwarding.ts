/**
 * Forwarding to s3rver: the request body as the client meant it (aws-chunked framing removed,
 * chunk signatures and checksums checked), the headers and query only the gateway needs
 * dropped, the key in its stored form, and s3rver's answer with the S3 key put back.
 */
import { createHash } from 'node:crypto';
import type { Cloud, RawRequest, RawResponse } from '../../core/contract.ts';
import {
  decodeAwsChunked,
  isAwsChunked,
  verifyChecksums,
  verifyChunkSignatures,
} from './aws-chunked.ts';
import type { SeedSignature } from './aws-chunked.ts';
import { S3Error, accessDenied } from './s3-error.ts';
import { backendCopySource, backendObjectPath, storedKey } from './object-key-path.ts';
import type { S3Operation } from './s3-operation.ts';
import type { BackendResponse, S3rverBackend } from './s3rver-backend.ts';
import { xmlEscape } from './xml-escape.ts';
import type { ForwardCall } from './s3-forward-call.ts';

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

export type S3Forwarding = ReturnType<typeof createS3Forwarding>;

export function createS3Forwarding({ cloud, backend }: { cloud: Cloud; backend: S3rverBackend }) {
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

  return { toRawResponse, payloadOf, forward };
}
