/**
 * Enforces lifecycle rules as S3 does, asynchronously: an object expires once its age has
 * passed the rule's days, counted from its creation and rounded up to the next midnight UTC
 * (a rule's `Date` expires what matches at that date); an incomplete multipart upload is
 * aborted likewise after `DaysAfterInitiation`. Tag filters are not evaluated: such a rule
 * expires nothing.
 */
import type { BucketRecord } from './bucket-registry.ts';
import type { LifecycleRule } from './bucket-configuration.ts';
import { backendObjectPath } from './object-key-path.ts';
import type { S3rverBackend } from './s3rver-backend.ts';

const DAY_MS = 24 * 3600_000;

/** When something made at `createdMs` expires after `days`: the next midnight UTC after the sum. */
export function expiryTime(createdMs: number, days: number): number {
  return Math.ceil((createdMs + days * DAY_MS) / DAY_MS) * DAY_MS;
}

function matches(rule: LifecycleRule, key: string, size: number): boolean {
  if (rule.Status !== 'Enabled' || rule.Tags !== undefined) return false;
  if (!key.startsWith(rule.Prefix)) return false;
  if (rule.ObjectSizeGreaterThan !== undefined && !(size > rule.ObjectSizeGreaterThan)) {
    return false;
  }
  if (rule.ObjectSizeLessThan !== undefined && !(size < rule.ObjectSizeLessThan)) return false;
  return true;
}

/** What one sweep removed. */
export interface SweepResult {
  bucket: string;
  expired: string[];
  abortedUploads: string[];
}

/** Applies the bucket's lifecycle rules as of `now` (epoch ms). */
export async function sweepBucket(
  bucket: BucketRecord,
  backend: S3rverBackend,
  now: number,
): Promise<SweepResult> {
  const result: SweepResult = { bucket: bucket.name, expired: [], abortedUploads: [] };
  const rules = (bucket.lifecycle ?? []).filter((r) => r.Status === 'Enabled');
  if (rules.length === 0) return result;
  const expiring = rules.filter(
    (r) => r.ExpirationDays !== undefined || r.ExpirationDate !== undefined,
  );
  if (expiring.length > 0) {
    for (const object of await backend.listObjects(bucket.name, '')) {
      const due = expiring.some((r) => {
        if (!matches(r, object.key, object.size)) return false;
        if (r.ExpirationDays !== undefined) {
          return expiryTime(object.lastModified.getTime(), r.ExpirationDays) <= now;
        }
        return Date.parse(r.ExpirationDate ?? '') <= now;
      });
      if (!due) continue;
      const response = await backend.send({
        method: 'DELETE',
        path: backendObjectPath(bucket.name, object.key),
        query: new URLSearchParams(),
        headers: {},
        body: Buffer.alloc(0),
      });
      if (response.status < 300) result.expired.push(object.key);
    }
  }
  for (const [uploadId, upload] of Object.entries(bucket.uploads)) {
    const due = rules.some(
      (r) =>
        r.AbortIncompleteMultipartUploadDays !== undefined &&
        r.Tags === undefined &&
        upload.key.startsWith(r.Prefix) &&
        expiryTime(Date.parse(upload.initiated), r.AbortIncompleteMultipartUploadDays) <= now,
    );
    if (!due) continue;
    await backend.discardUpload(bucket.name, uploadId);
    delete bucket.uploads[uploadId];
    result.abortedUploads.push(uploadId);
  }
  return result;
}
