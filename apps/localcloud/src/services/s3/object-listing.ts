/**
 * ListObjects / ListObjectsV2 done by the gateway over a bucket's full key list, because
 * s3rver's own paging neither walks keys in order nor can make continuation tokens on current
 * Node (its tokens use DES). Keys sort by UTF-8 bytes, common prefixes roll up under the
 * delimiter and count towards max-keys, as in S3.
 */
import { S3Error } from './s3-error.ts';
import { el, xmlDocument } from './s3-xml.ts';

export interface ListedObject {
  key: string;
  size: number;
  /** Quoted, as S3 sends it. */
  etag: string;
  lastModified: Date;
}

export interface ListingRequest {
  version: 1 | 2;
  prefix: string;
  delimiter: string;
  maxKeys: number;
  /** V1 `marker`, V2 `start-after`. */
  startAfter: string;
  continuationToken?: string;
  encodingType?: 'url';
  fetchOwner: boolean;
}

export interface ListingPage {
  contents: ListedObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Last key or common prefix returned (V1 NextMarker, basis of V2's token). */
  last?: string;
}

export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Reads the listing parameters from the query string, rejecting what S3 rejects. */
export function listingRequest(query: URLSearchParams): ListingRequest {
  const version = query.get('list-type') === '2' ? 2 : 1;
  const maxKeysText = query.get('max-keys');
  let maxKeys = 1000;
  if (maxKeysText !== null) {
    if (!/^\d+$/.test(maxKeysText)) {
      throw new S3Error(
        'InvalidArgument',
        'Provided max-keys not an integer or within integer range',
        400,
        { ArgumentName: 'max-keys', ArgumentValue: maxKeysText },
      );
    }
    maxKeys = Math.min(Number(maxKeysText), 1000);
  }
  const encoding = query.get('encoding-type');
  if (encoding !== null && encoding !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', 400, {
      ArgumentName: 'encoding-type',
      ArgumentValue: encoding,
    });
  }
  const token = query.get('continuation-token');
  if (version === 1 && token !== null) {
    throw new S3Error(
      'InvalidArgument',
      'continuation-token only supported in REST.GET.BUCKET with list-type=2',
      400,
    );
  }
  return {
    version,
    prefix: query.get('prefix') ?? '',
    delimiter: query.get('delimiter') ?? '',
    maxKeys,
    startAfter: (version === 2 ? query.get('start-after') : query.get('marker')) ?? '',
    ...(token === null ? {} : { continuationToken: token }),
    ...(encoding === 'url' ? { encodingType: 'url' as const } : {}),
    fetchOwner: version === 1 || query.get('fetch-owner') === 'true',
  };
}

/** V2 continuation tokens: opaque to callers, the bucket and resume point inside. */
export function encodeContinuationToken(bucket: string, after: string): string {
  return Buffer.from(JSON.stringify({ b: bucket, a: after }), 'utf8').toString('base64');
}

export function decodeContinuationToken(bucket: string, token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as unknown;
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      (parsed as { b?: unknown }).b === bucket &&
      typeof (parsed as { a?: unknown }).a === 'string'
    ) {
      return (parsed as { a: string }).a;
    }
  } catch {
    // answered below
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400, {
    ArgumentName: 'continuation-token',
  });
}

/** One page of `objects` (any order) for `request`. */
export function listPage(
  objects: ListedObject[],
  request: ListingRequest,
  bucket: string,
): ListingPage {
  const after =
    request.continuationToken !== undefined
      ? decodeContinuationToken(bucket, request.continuationToken)
      : request.startAfter;
  const sorted = objects
    .filter((o) => o.key.startsWith(request.prefix))
    .sort((a, b) => compareKeys(a.key, b.key));
  const contents: ListedObject[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  let isTruncated = false;
  for (const object of sorted) {
    let item = object.key;
    let rolled = false;
    if (request.delimiter !== '') {
      const index = object.key.indexOf(request.delimiter, request.prefix.length);
      if (index >= 0) {
        item = object.key.slice(0, index + request.delimiter.length);
        rolled = true;
      }
    }
    // Resume strictly after the last item returned; a returned common prefix covers its keys.
    if (after !== '' && compareKeys(item, after) <= 0) continue;
    if (rolled && commonPrefixes[commonPrefixes.length - 1] === item) continue;
    if (contents.length + commonPrefixes.length >= request.maxKeys) {
      isTruncated = true;
      break;
    }
    if (rolled) commonPrefixes.push(item);
    else contents.push(object);
    last = item;
  }
  return { contents, commonPrefixes, isTruncated, ...(last === undefined ? {} : { last }) };
}

function encode(value: string, request: ListingRequest): string {
  return request.encodingType === 'url' ? encodeURIComponent(value).replace(/%2F/g, '/') : value;
}

/** The ListBucketResult document of a page. */
export function renderListing(
  bucket: string,
  request: ListingRequest,
  page: ListingPage,
  owner: { id: string; displayName: string },
): string {
  const parts: string[] = [el('Name', bucket), el('Prefix', encode(request.prefix, request))];
  if (request.version === 2) {
    if (request.continuationToken !== undefined) {
      parts.push(el('ContinuationToken', request.continuationToken));
    }
    if (request.startAfter !== '')
      parts.push(el('StartAfter', encode(request.startAfter, request)));
    parts.push(el('KeyCount', page.contents.length + page.commonPrefixes.length));
    if (page.isTruncated && page.last !== undefined) {
      parts.push(el('NextContinuationToken', encodeContinuationToken(bucket, page.last)));
    }
  } else {
    parts.push(el('Marker', encode(request.startAfter, request)));
    if (page.isTruncated && page.last !== undefined && request.delimiter !== '') {
      parts.push(el('NextMarker', encode(page.last, request)));
    }
  }
  parts.push(el('MaxKeys', request.maxKeys));
  if (request.delimiter !== '') parts.push(el('Delimiter', encode(request.delimiter, request)));
  if (request.encodingType) parts.push(el('EncodingType', request.encodingType));
  parts.push(el('IsTruncated', page.isTruncated));
  for (const object of page.contents) {
    const ownerXml = request.fetchOwner
      ? `<Owner>${el('ID', owner.id)}${el('DisplayName', owner.displayName)}</Owner>`
      : '';
    parts.push(
      `<Contents>${el('Key', encode(object.key, request))}${el('LastModified', object.lastModified.toISOString())}` +
        `${el('ETag', object.etag)}${el('Size', object.size)}${ownerXml}${el('StorageClass', 'STANDARD')}</Contents>`,
    );
  }
  for (const prefix of page.commonPrefixes) {
    parts.push(`<CommonPrefixes>${el('Prefix', encode(prefix, request))}</CommonPrefixes>`);
  }
  return xmlDocument('ListBucketResult', parts.join(''));
}
