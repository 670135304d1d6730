import { describe, expect, it } from 'vitest';
import { listPage, listingRequest, renderListing } from './object-listing.ts';
import type { ListedObject } from './object-listing.ts';

const keys = ['b/2/y', 'a', 'b/1/x', 'b/1/z', 'b/top', 'c', 'é', 'b/2/w'];
const objects: ListedObject[] = keys.map((key) => ({
  key,
  size: key.length,
  etag: '"e"',
  lastModified: new Date(0),
}));

function pages(query: string): string[][] {
  const out: string[][] = [];
  let token: string | undefined;
  for (let i = 0; i < 20; i++) {
    const q = new URLSearchParams(query);
    if (token) q.set('continuation-token', token);
    const request = listingRequest(q);
    const page = listPage(objects, request, 'bkt');
    out.push([...page.contents.map((o) => o.key), ...page.commonPrefixes.map((p) => `P:${p}`)]);
    if (!page.isTruncated) return out;
    const xml = renderListing('bkt', request, page, { id: 'i', displayName: 'd' });
    token = /<NextContinuationToken>([^<]+)</.exec(xml)?.[1];
  }
  throw new Error('did not end');
}

describe('object listing', () => {
  it('lists every key once, in UTF-8 byte order, across pages', () => {
    expect(pages('list-type=2&max-keys=3').flat()).toEqual([
      'a',
      'b/1/x',
      'b/1/z',
      'b/2/w',
      'b/2/y',
      'b/top',
      'c',
      'é',
    ]);
  });

  it('rolls keys up into common prefixes that count towards max-keys and are not repeated', () => {
    expect(pages('list-type=2&prefix=b%2F&delimiter=%2F&max-keys=1')).toEqual([
      ['P:b/1/'],
      ['P:b/2/'],
      ['b/top'],
    ]);
    expect(pages('list-type=2&delimiter=%2F')).toEqual([['a', 'c', 'é', 'P:b/']]);
  });

  it('honours start-after and V1 markers, and rejects foreign tokens', () => {
    expect(pages('list-type=2&start-after=b%2Ftop').flat()).toEqual(['c', 'é']);
    expect(pages('marker=c').flat()).toEqual(['é']);
    expect(() =>
      listPage(
        objects,
        listingRequest(new URLSearchParams('list-type=2&continuation-token=bm9wZQ==')),
        'bkt',
      ),
    ).toThrow(/continuation token/);
  });

  it('URL-encodes keys when asked, as awscli does', () => {
    const request = listingRequest(new URLSearchParams('list-type=2&encoding-type=url&prefix=%C3'));
    const xml = renderListing(
      'bkt',
      request,
      listPage(objects, listingRequest(new URLSearchParams('list-type=2')), 'bkt'),
      {
        id: 'i',
        displayName: 'd',
      },
    );
    expect(xml).toContain('<Key>%C3%A9</Key>');
    expect(xml).toContain('<Key>b/1/x</Key>');
    expect(xml).toContain('<EncodingType>url</EncodingType>');
  });
});
