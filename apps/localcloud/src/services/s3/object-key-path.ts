/**
 * How an S3 key is stored in s3rver. s3rver keeps an object as a file under `BUCKET/` at the
 * key split on `/`, and its HTTP path is normalised on the way, so a segment that is empty,
 * `.` or `..` would fold two keys into one file or leave the bucket altogether. In S3 a key
 * is opaque bytes; here every segment is stored escaped, so each key is its own path inside
 * its own bucket: `''` → `%`, `.` → `%.`, `..` → `%..`, a segment starting with `%` gets one
 * more `%` in front, every other segment is kept as it is (so ordinary keys keep their files).
 */

const ESCAPE = '%';

function storedSegment(segment: string): string {
  if (segment === '' || segment === '.' || segment === '..' || segment.startsWith(ESCAPE))
    return `${ESCAPE}${segment}`;
  return segment;
}

function keySegment(stored: string): string {
  return stored.startsWith(ESCAPE) ? stored.slice(ESCAPE.length) : stored;
}

/** The key s3rver stores for the S3 key `key` (no segment is empty, `.` or `..`). */
export function storedKey(key: string): string {
  return key.split('/').map(storedSegment).join('/');
}

/** The S3 key of a key s3rver stored (inverse of `storedKey`). */
export function keyFromStored(stored: string): string {
  return stored.split('/').map(keySegment).join('/');
}

/** Path-style request path for s3rver: each stored segment percent-encoded, never a dot segment. */
export function backendObjectPath(bucket: string, key: string): string {
  const segments = storedKey(key).split('/').map(encodeURIComponent);
  return `/${encodeURIComponent(bucket)}/${segments.join('/')}`;
}

/** `x-amz-copy-source` for s3rver, which reads it with `decodeURI` and splits on `/`. */
export function backendCopySource(bucket: string, key: string): string {
  return `/${bucket}/${encodeURI(storedKey(key))}`;
}

/**
 * The stored form of the whole segments of `prefix` (up to its last `/`): the prefix to hand
 * s3rver's listing, whose results are then decoded and filtered by the full prefix.
 */
export function storedDirectoryPrefix(prefix: string): string {
  const slash = prefix.lastIndexOf('/');
  if (slash < 0) return '';
  return `${storedKey(prefix.slice(0, slash))}/`;
}
