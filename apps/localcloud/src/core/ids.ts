/**
 * Identifiers in AWS's formats.
 */
import { randomBytes } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An IAM unique id: prefix (AIDA users, AROA roles, ANPA policies, AIPA instance profiles) + 17 chars. */
export function iamUniqueId(prefix: string): string {
  const bytes = randomBytes(17);
  let s = prefix;
  for (const b of bytes) s += BASE32[b % 32];
  return s;
}

/** Lower-case hex id, e.g. for EC2 resources (`i-` + 17 hex digits). */
export function hexId(prefix: string, length = 17): string {
  return (
    prefix +
    randomBytes(Math.ceil(length / 2))
      .toString('hex')
      .slice(0, length)
  );
}
