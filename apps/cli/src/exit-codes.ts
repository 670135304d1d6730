/**
 * `ferry`'s exit codes, one per class of error, so scripts can branch on them
 * (docs/cli.md lists them).
 */
export const EXIT = {
  ok: 0,
  /** Anything else: the control plane failed (5xx), an unexpected error. */
  failure: 1,
  /** A bad or missing flag, argument or setting: fix the command line. */
  usage: 2,
  /** Not signed in, a token refused, or not allowed (401, 403). */
  auth: 3,
  /** What was named does not exist, or is not visible to the caller (404). */
  notFound: 4,
  /** The current state does not allow it (409), or too many requests (429). */
  conflict: 5,
  /** The control plane cannot be reached. */
  unreachable: 6,
  /** The request worked but its goal was not reached: a cluster or a connection Failed, or a wait timed out. */
  incomplete: 7,
} as const;

/** The exit code of an API answer's HTTP status. */
export function exitForStatus(status: number): number {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 412 || status === 429) return EXIT.conflict;
  if (status >= 400 && status < 500) return EXIT.usage;
  return EXIT.failure;
}
