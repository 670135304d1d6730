/**
 * polars reads an S3 object with a HEAD request first, and a HEAD answer has no body: a
 * refusal reaches polars' message as a bare "403 Forbidden", without the reason AWS gave
 * (AccessDenied, an expired token, a bad signature…). For each S3 path such a message names,
 * the worker asks S3 again with the same credentials (the Worker role's, or the data
 * connection's session the scan read with) — a one-byte GET, or a one-key listing for a
 * glob — and appends the error code and message AWS answered.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

const PATH = /\(path: (s3:\/\/[^)\s]+)\)/g;
const GLOB = /[*?[{]/;

/** AWS's reason for each 403 in a polars error message, appended to it (or the message as is). */
export async function explainForbidden(
  message: string,
  /** A client with the credentials the scan over `paths` read with. */
  s3: (paths: readonly string[]) => Promise<S3Client>,
): Promise<string> {
  if (!/\b403\b/.test(message)) return message;
  const paths = [...new Set([...message.matchAll(PATH)].map((m) => m[1] ?? ''))].slice(0, 3);
  const reasons: string[] = [];
  for (const path of paths) {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(path);
    if (m === null) continue;
    const [, bucket = '', key = ''] = m;
    const glob = GLOB.exec(key);
    try {
      const client = await s3([path]);
      if (key === '' || glob !== null) {
        await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: key.slice(0, glob?.index),
            MaxKeys: 1,
          }),
        );
      } else {
        await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=0-0' }));
      }
    } catch (e) {
      const err = e as { name?: string; Code?: string; message?: string };
      const code = err.Code ?? err.name ?? 'Error';
      reasons.push(`AWS answered ${code} for ${path}: ${err.message ?? ''}`.trim());
    }
  }
  return reasons.length === 0 ? message : `${message}\n${reasons.join('\n')}`;
}
