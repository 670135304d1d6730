/**
 * The REST-XML documents the gateway reads and writes itself (the rest passes through
 * s3rver untouched): tagging, bucket listings, multipart listings, multi-object delete.
 */
import { XMLParser } from 'fast-xml-parser';
import { S3Error } from './s3-error.ts';
import { xmlEscape } from './xml-escape.ts';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An XML document with the declaration. */
export function xmlDocument(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_XMLNS}">${inner}</${root}>`;
}

/** `<Name>value</Name>`, escaped. */
export function el(name: string, value: string | number | boolean): string {
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ['Tag', 'Object', 'Part'].includes(name),
});

function malformed(): S3Error {
  return new S3Error(
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
    400,
  );
}

function parseXml(body: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = parser.parse(body.toString('utf8'), true);
    if (typeof parsed !== 'object' || parsed === null) throw malformed();
    return parsed as Record<string, unknown>;
  } catch (error) {
    if (error instanceof S3Error) throw error;
    throw malformed();
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Parses a `<Tagging><TagSet><Tag>…` document, validating as S3 does. */
export function parseTagging(body: Buffer): Record<string, string> {
  const root = asRecord(parseXml(body)['Tagging']);
  if (!root) throw malformed();
  const tagSet = root['TagSet'] === '' ? {} : asRecord(root['TagSet']);
  if (!tagSet) throw malformed();
  const tags: Record<string, string> = {};
  const list = tagSet['Tag'] ?? [];
  if (!Array.isArray(list)) throw malformed();
  for (const item of list) {
    const tag = asRecord(item);
    const key = asString(tag?.['Key']);
    const value = asString(tag?.['Value']) ?? '';
    if (key === undefined || key === '') throw malformed();
    if (key in tags) {
      throw new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key', 400);
    }
    if (key.length > 128) {
      throw new S3Error('InvalidTag', 'The TagKey you have provided is too long, max 128', 400);
    }
    if (value.length > 256) {
      throw new S3Error('InvalidTag', 'The TagValue you have provided is too long, max 256', 400);
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw new S3Error('InvalidTag', 'System tags cannot be added/updated by requester', 400);
    }
    tags[key] = value;
  }
  if (Object.keys(tags).length > 50) {
    throw new S3Error('InvalidTag', 'Object tags cannot be greater than 50', 400);
  }
  return tags;
}

export function renderTagging(tags: Record<string, string>): string {
  const inner = Object.entries(tags)
    .map(([key, value]) => `<Tag>${el('Key', key)}${el('Value', value)}</Tag>`)
    .join('');
  return xmlDocument('Tagging', `<TagSet>${inner}</TagSet>`);
}

/** `LocationConstraint` of a CreateBucket body, if any. */
export function parseCreateBucketLocation(body: Buffer): string | undefined {
  if (body.length === 0 || body.toString('utf8').trim() === '') return undefined;
  const root = asRecord(parseXml(body)['CreateBucketConfiguration']);
  if (!root) return undefined;
  const location = asString(root['LocationConstraint']);
  return location === '' ? undefined : location;
}

/** Keys named by a DeleteObjects body. */
export function parseDeleteObjects(body: Buffer): { keys: string[]; quiet: boolean } {
  const root = asRecord(parseXml(body)['Delete']);
  if (!root || !Array.isArray(root['Object'])) throw malformed();
  const keys = root['Object'].map((item) => {
    const key = asString(asRecord(item)?.['Key']);
    if (key === undefined) throw malformed();
    return key;
  });
  if (keys.length > 1000) throw malformed();
  return { keys, quiet: asString(root['Quiet']) === 'true' };
}

/** A DeleteResult with per-key errors, as S3 answers a partly refused DeleteObjects. */
export function renderDeleteResult(
  deleted: string[],
  errors: { key: string; code: string; message: string }[],
  quiet: boolean,
): string {
  const ok = quiet ? '' : deleted.map((key) => `<Deleted>${el('Key', key)}</Deleted>`).join('');
  const failed = errors
    .map(
      (e) => `<Error>${el('Key', e.key)}${el('Code', e.code)}${el('Message', e.message)}</Error>`,
    )
    .join('');
  return xmlDocument('DeleteResult', ok + failed);
}

/** Parts named by a CompleteMultipartUpload body. */
export function parseCompleteMultipartUpload(body: Buffer): { partNumber: number; etag: string }[] {
  const root = asRecord(parseXml(body)['CompleteMultipartUpload']);
  if (!root || !Array.isArray(root['Part'])) throw malformed();
  return root['Part'].map((item) => {
    const part = asRecord(item);
    const partNumber = Number(asString(part?.['PartNumber']));
    const etag = asString(part?.['ETag']);
    if (!Number.isInteger(partNumber) || etag === undefined) throw malformed();
    return { partNumber, etag: etag.replace(/"/g, '') };
  });
}

/** `UploadId` of an InitiateMultipartUploadResult. */
export function parseInitiateResult(body: Buffer): string | undefined {
  const root = asRecord(parseXml(body)['InitiateMultipartUploadResult']);
  return asString(root?.['UploadId']);
}
