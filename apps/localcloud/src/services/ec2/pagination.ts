import { ec2Error } from './errors.ts';

/** One page of `items` per MaxResults/NextToken (an opaque offset token, as EC2's tokens are opaque). */
export function paginate<T>(
  items: T[],
  input: Record<string, unknown>,
  limits: { min: number; max: number },
): { page: T[]; nextToken?: string } {
  const maxResults = input.MaxResults;
  const token = input.NextToken;
  let start = 0;
  if (typeof token === 'string' && token !== '') {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    const m = /^o:(\d+)$/.exec(decoded);
    if (!m) throw ec2Error('InvalidNextToken', 'The specified token is invalid');
    start = Number(m[1]);
  }
  if (maxResults === undefined || maxResults === null) {
    return { page: items.slice(start) };
  }
  const n = Number(maxResults);
  if (!Number.isInteger(n) || n < limits.min || n > limits.max) {
    throw ec2Error(
      'InvalidParameterValue',
      `Value ( ${JSON.stringify(maxResults)} ) for parameter maxResults is invalid. Parameter must be between ${limits.min} and ${limits.max}.`,
    );
  }
  const page = items.slice(start, start + n);
  const next = start + n < items.length ? start + n : undefined;
  return next === undefined
    ? { page }
    : { page, nextToken: Buffer.from(`o:${next}`).toString('base64url') };
}
