/**
 * Decodes `Content-Encoding: aws-chunked` bodies (SigV4 streaming uploads:
 * STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] and STREAMING-UNSIGNED-PAYLOAD-TRAILER), which
 * s3rver would otherwise store verbatim, chunk framing included. Trailing checksums the
 * gateway can compute (CRC32, SHA-1, SHA-256) are verified as S3 does.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { S3Error } from './s3-error.ts';

export interface DecodedChunks {
  data: Buffer;
  /** Each chunk's payload, in order, the final empty chunk included. */
  chunks: Buffer[];
  /** Trailing headers, lower-case names (e.g. `x-amz-checksum-crc32`). */
  trailers: Record<string, string>;
  /** Each chunk's `chunk-signature`, in order (absent for unsigned streaming). */
  signatures: string[];
}

const CRLF = Buffer.from('\r\n');

function incomplete(detail: string): S3Error {
  return new S3Error(
    'IncompleteBody',
    `The request body is not a valid aws-chunked encoding: ${detail}.`,
    400,
  );
}

/** True when the request's body is aws-chunked framed. */
export function isAwsChunked(headers: Record<string, string>): boolean {
  const sha = headers['x-amz-content-sha256'] ?? '';
  const encoding = (headers['content-encoding'] ?? '').toLowerCase();
  return (
    sha.startsWith('STREAMING-') || encoding.split(',').some((e) => e.trim() === 'aws-chunked')
  );
}

export function decodeAwsChunked(body: Buffer): DecodedChunks {
  const parts: Buffer[] = [];
  const chunks: Buffer[] = [];
  const signatures: string[] = [];
  const trailers: Record<string, string> = {};
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf(CRLF, offset);
    if (lineEnd < 0) throw incomplete('missing chunk header');
    const header = body.subarray(offset, lineEnd).toString('latin1');
    const [sizeText = '', ...extensions] = header.split(';');
    if (!/^[0-9a-fA-F]+$/.test(sizeText.trim())) throw incomplete('bad chunk size');
    const size = parseInt(sizeText.trim(), 16);
    for (const extension of extensions) {
      const [name, value] = extension.split('=');
      if (name?.trim() === 'chunk-signature' && value !== undefined) signatures.push(value.trim());
    }
    offset = lineEnd + 2;
    if (size === 0) {
      chunks.push(Buffer.alloc(0));
      break;
    }
    if (offset + size + 2 > body.length) throw incomplete('chunk shorter than its size');
    parts.push(body.subarray(offset, offset + size));
    chunks.push(body.subarray(offset, offset + size));
    offset += size;
    if (!body.subarray(offset, offset + 2).equals(CRLF)) throw incomplete('chunk not terminated');
    offset += 2;
  }
  // Trailers: `name:value` lines up to an empty line or the end of the body.
  while (offset < body.length) {
    const lineEnd = body.indexOf(CRLF, offset);
    const line = body.subarray(offset, lineEnd < 0 ? body.length : lineEnd).toString('latin1');
    offset = lineEnd < 0 ? body.length : lineEnd + 2;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) throw incomplete('bad trailer');
    trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { data: Buffer.concat(parts), chunks, trailers, signatures };
}

/** Verifies `x-amz-checksum-*` values (header or trailer) over `data`; unknown algorithms pass. */
export function verifyChecksums(data: Buffer, values: Record<string, string>): void {
  const check = (name: string, actual: string): void => {
    const expected = values[name];
    if (expected !== undefined && expected !== actual) {
      throw new S3Error(
        'BadDigest',
        `The ${name.replace('x-amz-checksum-', '').toUpperCase()} you specified did not match the calculated checksum.`,
        400,
      );
    }
  };
  if (values['x-amz-checksum-crc32'] !== undefined) {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(data));
    check('x-amz-checksum-crc32', crc.toString('base64'));
  }
  if (values['x-amz-checksum-sha1'] !== undefined) {
    check('x-amz-checksum-sha1', createHash('sha1').update(data).digest('base64'));
  }
  if (values['x-amz-checksum-sha256'] !== undefined) {
    check('x-amz-checksum-sha256', createHash('sha256').update(data).digest('base64'));
  }
}

/** What a signed streaming upload's chunk signatures chain from (its header signature). */
export interface SeedSignature {
  /** `YYYYMMDDTHHMMSSZ` of the request. */
  amzDate: string;
  /** `DATE/REGION/SERVICE/aws4_request`. */
  scope: string;
  /** The Authorization header's signature. */
  signature: string;
  secretAccessKey: string;
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/**
 * Checks the chain of `chunk-signature`s of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body: each
 * signs the previous signature and its chunk's hash with the request's signing key.
 */
export function verifyChunkSignatures(decoded: DecodedChunks, seed: SeedSignature): void {
  const [day = '', region = '', service = ''] = seed.scope.split('/');
  const hmac = (key: Buffer | string, data: string) =>
    createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${seed.secretAccessKey}`, day), region), service),
    'aws4_request',
  );
  if (decoded.signatures.length !== decoded.chunks.length) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'Every chunk of a signed upload needs a chunk-signature.',
      403,
    );
  }
  let previous = seed.signature;
  decoded.chunks.forEach((chunk, index) => {
    const toSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      seed.amzDate,
      seed.scope,
      previous,
      EMPTY_SHA256,
      createHash('sha256').update(chunk).digest('hex'),
    ].join('\n');
    const expected = createHmac('sha256', signingKey).update(toSign).digest('hex');
    const given = decoded.signatures[index] ?? '';
    if (
      given.length !== expected.length ||
      !timingSafeEqual(Buffer.from(given), Buffer.from(expected))
    ) {
      throw new S3Error(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        403,
      );
    }
    previous = expected;
  });
}
