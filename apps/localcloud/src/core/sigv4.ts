/**
 * SigV4: reads the signature of a request (Authorization header or presigned query) and
 * checks it by signing the same canonical request again with @smithy/signature-v4.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { RawRequest } from './contract.ts';
import { AwsError } from './contract.ts';

/** What a request says about its own signature. */
export interface SignatureInfo {
  accessKeyId: string;
  /** `YYYYMMDDTHHMMSSZ` */
  amzDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  sessionToken?: string;
  presigned: boolean;
  /** Presigned URLs: validity in seconds. */
  expires?: number;
}

const authPattern =
  /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)\s*$/i;

function parseScope(credential: string): {
  accessKeyId: string;
  region: string;
  service: string;
} {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request')
    throw new AwsError('IncompleteSignature', `Invalid credential scope: ${credential}`);
  return {
    accessKeyId: parts[0] as string,
    region: parts[2] as string,
    service: parts[3] as string,
  };
}

/**
 * The signature of a request; undefined when it carries none. A malformed signature is
 * an `IncompleteSignature` error.
 */
export function readSignature(request: RawRequest): SignatureInfo | undefined {
  const auth = request.headers.authorization;
  if (auth) {
    const m = authPattern.exec(auth);
    if (!m)
      throw new AwsError(
        'IncompleteSignature',
        'Authorization header is not a valid SigV4 header',
        403,
      );
    const amzDate = request.headers['x-amz-date'];
    if (!amzDate) throw new AwsError('IncompleteSignature', 'Missing X-Amz-Date header', 403);
    return {
      ...parseScope(m[1] as string),
      amzDate,
      signedHeaders: (m[2] as string).toLowerCase().split(';'),
      signature: (m[3] as string).toLowerCase(),
      sessionToken: request.headers['x-amz-security-token'],
      presigned: false,
    };
  }
  const q = request.query;
  if (q.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256') {
    const credential = q.get('X-Amz-Credential');
    const amzDate = q.get('X-Amz-Date');
    const signed = q.get('X-Amz-SignedHeaders');
    const signature = q.get('X-Amz-Signature');
    if (!credential || !amzDate || !signed || !signature)
      throw new AwsError('AuthorizationQueryParametersError', 'Incomplete presigned URL', 400);
    const expires = Number(q.get('X-Amz-Expires') ?? '900');
    if (!Number.isInteger(expires) || expires < 1 || expires > 604800)
      throw new AwsError(
        'AuthorizationQueryParametersError',
        'X-Amz-Expires must be an integer between 1 and 604800',
        400,
      );
    return {
      ...parseScope(credential),
      amzDate,
      signedHeaders: signed.toLowerCase().split(';'),
      signature: signature.toLowerCase(),
      sessionToken: q.get('X-Amz-Security-Token') ?? undefined,
      presigned: true,
      expires,
    };
  }
  return undefined;
}

/** `20240102T030405Z` → Date. */
export function parseAmzDate(amzDate: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) throw new AwsError('IncompleteSignature', `Invalid X-Amz-Date: ${amzDate}`, 403);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

function queryObject(query: URLSearchParams, drop: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of query) {
    if (k === drop) continue;
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/**
 * True when `info.signature` is the SigV4 signature of `request` under `secretAccessKey`.
 * S3 signs the raw path and may send `UNSIGNED-PAYLOAD` or a payload hash header; the
 * other services sign the normalised, escaped path and always the body's hash (AWS
 * documents `UNSIGNED-PAYLOAD` for S3 only). The time window is `request-time.ts`'s.
 */
export async function verifySignature(
  request: RawRequest,
  info: SignatureInfo,
  secretAccessKey: string,
): Promise<boolean> {
  const s3 = info.service === 's3';
  // A declared payload hash is what gets signed: it must then be the body's hash.
  const declared = request.headers['x-amz-content-sha256'];
  if (!s3 && declared !== undefined) {
    // Outside S3 the canonical request always holds the body's hash: `UNSIGNED-PAYLOAD` and
    // streaming forms are S3's alone, and anything but the body's hash cannot match.
    const actual = createHash('sha256').update(request.body).digest('hex');
    if (actual !== declared.toLowerCase()) return false;
  }
  if (declared && /^[0-9a-f]{64}$/i.test(declared)) {
    const actual = createHash('sha256').update(request.body).digest('hex');
    if (actual !== declared.toLowerCase()) {
      if (s3)
        throw new AwsError(
          'XAmzContentSHA256Mismatch',
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
          400,
        );
      return false;
    }
  }
  const headers: Record<string, string> = {};
  for (const name of info.signedHeaders) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const unsignable = new Set<string>();
  const payloadHeader = request.headers['x-amz-content-sha256'];
  if (payloadHeader !== undefined && !info.signedHeaders.includes('x-amz-content-sha256')) {
    headers['x-amz-content-sha256'] = payloadHeader;
    unsignable.add('x-amz-content-sha256');
  }
  if (info.presigned && s3 && headers['x-amz-content-sha256'] === undefined) {
    headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    unsignable.add('x-amz-content-sha256');
  }
  let path = request.path || '/';
  if (!s3) {
    try {
      path = decodeURIComponent(path);
    } catch {
      // keep the raw path: the signature will not match and the caller is told so
    }
  }
  const httpRequest = new HttpRequest({
    method: request.method,
    protocol: 'http:',
    hostname: (request.headers.host ?? 'localhost').split(':')[0] ?? 'localhost',
    path,
    query: queryObject(request.query, 'X-Amz-Signature'),
    headers,
    body: request.body.length ? request.body : undefined,
  });
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: info.accessKeyId,
      secretAccessKey,
      sessionToken: info.sessionToken,
    },
    region: info.region,
    service: info.service,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: !s3,
    applyChecksum: false,
  });
  const signingDate = parseAmzDate(info.amzDate);
  let expected: string | undefined;
  if (info.presigned) {
    const signed = await signer.presign(httpRequest, {
      signingDate,
      expiresIn: info.expires,
      unsignableHeaders: unsignable,
      unhoistableHeaders: new Set(Object.keys(headers)),
    });
    const value = signed.query?.['X-Amz-Signature'];
    expected = typeof value === 'string' ? value : undefined;
  } else {
    const signed = await signer.sign(httpRequest, { signingDate, unsignableHeaders: unsignable });
    expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1];
  }
  if (!expected || expected.length !== info.signature.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(info.signature));
}
