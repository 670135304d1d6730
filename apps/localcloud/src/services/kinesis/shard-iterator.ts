/**
 * Shard iterators handed to callers wrap kinesalite's with the stream's account, region and
 * name, so GetRecords (which names no stream) can be authorized on the stream's ARN.
 */
import type { StreamScope } from './stream-namespace.ts';

const VERSION = 'lc1';

export interface IteratorTarget extends StreamScope {
  name: string;
  /** kinesalite's own iterator. */
  inner: string;
}

export function wrapShardIterator(target: IteratorTarget): string {
  const text = [VERSION, target.accountId, target.region, target.name, target.inner].join('|');
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The wrapped iterator's parts, or undefined when it is not one of ours. */
export function unwrapShardIterator(iterator: string): IteratorTarget | undefined {
  if (!/^[A-Za-z0-9+/]+=*$/.test(iterator)) return undefined;
  const parts = Buffer.from(iterator, 'base64').toString('utf8').split('|');
  const [version, accountId, region, name, inner] = parts;
  if (parts.length !== 5 || version !== VERSION) return undefined;
  if (!accountId || !/^\d{12}$/.test(accountId) || !region || !name || !inner) return undefined;
  return { accountId, region, name, inner };
}
