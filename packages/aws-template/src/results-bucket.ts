/**
 * The results bucket of a workspace's stack: where workers write query results. Its name
 * is a pure function of the account and the workspace, so the control plane computes it
 * and the template creates it without either telling the other. Bucket names allow only
 * lower-case letters, digits, `.` and `-`, so the workspace id's `_` becomes `-`:
 * `ferry-<account>-ws-<26 chars>-results` is 56 characters (the limit is 63).
 */

/** The template's name pattern (the `-` form of the workspace id is computed in the stack). */
export const RESULTS_BUCKET_SUFFIX = '-results';

/** The results bucket of a workspace in an account. */
export function resultsBucketName(accountId: string, workspaceId: string): string {
  if (!/^\d{12}$/.test(accountId)) throw new TypeError('accountId must be 12 digits');
  const ws = workspaceId.toLowerCase().replaceAll('_', '-');
  if (!/^[a-z0-9-]+$/.test(ws)) throw new TypeError('workspaceId must be a workspace id (ws_…)');
  const name = `ferry-${accountId}-${ws}${RESULTS_BUCKET_SUFFIX}`;
  if (name.length > 63) throw new TypeError('workspaceId is too long for a bucket name');
  return name;
}

/** Days results are kept before the bucket's lifecycle rule expires them, by default. */
export const DEFAULT_RESULTS_RETENTION_DAYS = 7;
