import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeAwsChunked, isAwsChunked, verifyChecksums } from './aws-chunked.ts';

function crc32Base64(data: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString('base64');
}

describe('decodeAwsChunked', () => {
  it('decodes signed chunks and collects their signatures', () => {
    const body = Buffer.from(
      '5;chunk-signature=aaa\r\nhello\r\n6;chunk-signature=bbb\r\n world\r\n0;chunk-signature=ccc\r\n\r\n',
    );
    const decoded = decodeAwsChunked(body);
    expect(decoded.data.toString()).toBe('hello world');
    expect(decoded.signatures).toEqual(['aaa', 'bbb', 'ccc']);
    expect(decoded.trailers).toEqual({});
  });

  it('decodes unsigned chunks with a checksum trailer', () => {
    const data = Buffer.from('x'.repeat(70000));
    const body = Buffer.concat([
      Buffer.from(`${data.length.toString(16)}\r\n`),
      data,
      Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${crc32Base64(data)}\r\n\r\n`),
    ]);
    const decoded = decodeAwsChunked(body);
    expect(decoded.data.equals(data)).toBe(true);
    expect(decoded.trailers['x-amz-checksum-crc32']).toBe(crc32Base64(data));
    expect(() => verifyChecksums(decoded.data, decoded.trailers)).not.toThrow();
  });

  it('rejects truncated framing and bad checksums', () => {
    expect(() => decodeAwsChunked(Buffer.from('a\r\nshort'))).toThrow(/IncompleteBody|aws-chunked/);
    expect(() => decodeAwsChunked(Buffer.from('zz\r\n'))).toThrow(/bad chunk size/);
    expect(() =>
      verifyChecksums(Buffer.from('abc'), { 'x-amz-checksum-crc32': 'AAAAAA==' }),
    ).toThrow(/CRC32/);
    const sha = createHash('sha256').update('abc').digest('base64');
    expect(() =>
      verifyChecksums(Buffer.from('abc'), { 'x-amz-checksum-sha256': sha }),
    ).not.toThrow();
  });

  it('recognises streaming payloads by header', () => {
    expect(isAwsChunked({ 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' })).toBe(
      true,
    );
    expect(isAwsChunked({ 'content-encoding': 'gzip, aws-chunked' })).toBe(true);
    expect(isAwsChunked({ 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' })).toBe(false);
  });
});
