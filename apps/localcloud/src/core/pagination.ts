/**
 * Pagination for services: opaque tokens (NextToken / Marker) over a list snapshot.
 */
import { AwsError } from './contract.ts';

export interface Page<T> {
  items: T[];
  /** Token for the next page; undefined on the last page. */
  next?: string;
}

/**
 * One page of `items` starting at `token` (from a previous page), at most `max` long
 * (`defaultMax` when absent). A token that is not one of ours is an error naming `field`.
 */
export function paginate<T>(
  items: readonly T[],
  token: unknown,
  max: unknown,
  defaultMax = 100,
  field = 'NextToken',
): Page<T> {
  let start = 0;
  if (typeof token === 'string' && token !== '') {
    const m = /^lc1:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m) throw new AwsError('ValidationError', `Invalid ${field}: ${token}`);
    start = Number(m[1]);
  }
  const size = typeof max === 'number' && max > 0 ? max : defaultMax;
  const page = items.slice(start, start + size);
  const end = start + page.length;
  return {
    items: page,
    next: end < items.length ? Buffer.from(`lc1:${end}`).toString('base64url') : undefined,
  };
}
