/**
 * Bucket configurations the gateway keeps itself (s3rver has none of them): default
 * encryption, public access block, ownership controls and lifecycle rules. Each is read from
 * and written to its REST-XML document as botocore's s3 model names the members
 * (`ServerSideEncryptionConfiguration`, `PublicAccessBlockConfiguration`, `OwnershipControls`,
 * `LifecycleConfiguration`), validated as S3 validates it, and stored on the bucket record.
 */
import { XMLParser } from 'fast-xml-parser';
import { S3Error } from './s3-error.ts';
import { el, xmlDocument } from './s3-xml.ts';

export interface EncryptionRule {
  SSEAlgorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse';
  KMSMasterKeyID?: string;
  BucketKeyEnabled?: boolean;
}

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export type ObjectOwnership = 'BucketOwnerPreferred' | 'ObjectWriter' | 'BucketOwnerEnforced';

/** One lifecycle rule, as far as localcloud stores and enforces it. */
export interface LifecycleRule {
  ID?: string;
  Status: 'Enabled' | 'Disabled';
  /** The filter's prefix (or the deprecated rule-level `Prefix`); '' = every object. */
  Prefix: string;
  /** Whether the filter was given as `<Filter>` (echoed back the same way). */
  filtered: boolean;
  ObjectSizeGreaterThan?: number;
  ObjectSizeLessThan?: number;
  /** Tag filters: kept and echoed, never matched (objects' tags are not evaluated). */
  Tags?: { Key: string; Value: string }[];
  ExpirationDays?: number;
  ExpirationDate?: string;
  AbortIncompleteMultipartUploadDays?: number;
}

/** What a bucket record holds of these configurations. */
export interface BucketConfiguration {
  encryption?: EncryptionRule[];
  publicAccessBlock?: PublicAccessBlock;
  ownership?: ObjectOwnership;
  lifecycle?: LifecycleRule[];
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ['Rule', 'Tag', 'Transition', 'NoncurrentVersionTransition'].includes(name),
});

function malformed(): S3Error {
  return new S3Error(
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
    400,
  );
}

type Node = Record<string, unknown>;

function rootOf(body: Buffer, name: string): Node {
  let parsed: unknown;
  try {
    parsed = parser.parse(body.toString('utf8'), true);
  } catch {
    throw malformed();
  }
  const root = (parsed as Node | undefined)?.[name];
  if (root === '') return {};
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw malformed();
  return root as Node;
}

const node = (v: unknown): Node | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Node) : undefined;
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const nodes = (v: unknown): Node[] =>
  Array.isArray(v) ? v.map((x) => node(x) ?? (x === '' ? {} : {})) : [];

function bool(v: unknown, field: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'true' || v === 'TRUE') return true;
  if (v === 'false' || v === 'FALSE') return false;
  throw new S3Error('MalformedXML', `${field} must be true or false`, 400);
}

function nonNegativeInt(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  const s = text(v) ?? '';
  if (!/^\d+$/.test(s)) throw malformed();
  const n = Number(s);
  if (!Number.isSafeInteger(n)) {
    throw new S3Error('InvalidArgument', `${field} is not a valid number`, 400);
  }
  return n;
}

// Default encryption -----------------------------------------------------------------------

const SSE_ALGORITHMS = ['AES256', 'aws:kms', 'aws:kms:dsse'] as const;

/** Parses a PutBucketEncryption body. */
export function parseEncryption(body: Buffer): EncryptionRule[] {
  const root = rootOf(body, 'ServerSideEncryptionConfiguration');
  const rules = nodes(root['Rule']);
  if (rules.length === 0) throw malformed();
  return rules.map((rule) => {
    const byDefault = node(rule['ApplyServerSideEncryptionByDefault']);
    const algorithm = text(byDefault?.['SSEAlgorithm']);
    if (algorithm === undefined) throw malformed();
    if (!(SSE_ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new S3Error(
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
        400,
      );
    }
    const keyId = text(byDefault?.['KMSMasterKeyID']);
    if (keyId !== undefined && algorithm === 'AES256') {
      throw new S3Error(
        'InvalidArgument',
        'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse',
        400,
        { ArgumentName: 'ApplyServerSideEncryptionByDefault' },
      );
    }
    const bucketKey = bool(rule['BucketKeyEnabled'], 'BucketKeyEnabled');
    return {
      SSEAlgorithm: algorithm as EncryptionRule['SSEAlgorithm'],
      ...(keyId === undefined ? {} : { KMSMasterKeyID: keyId }),
      ...(bucketKey === undefined ? {} : { BucketKeyEnabled: bucketKey }),
    };
  });
}

/**
 * A GetBucketEncryption body. Every bucket is encrypted: without a configuration of its own,
 * S3 answers its default, SSE-S3 (AES256) without a bucket key.
 */
export function renderEncryption(rules: EncryptionRule[] | undefined): string {
  const effective = rules ?? [{ SSEAlgorithm: 'AES256', BucketKeyEnabled: false }];
  const inner = effective
    .map(
      (r) =>
        `<Rule><ApplyServerSideEncryptionByDefault>${el('SSEAlgorithm', r.SSEAlgorithm)}${
          r.KMSMasterKeyID === undefined ? '' : el('KMSMasterKeyID', r.KMSMasterKeyID)
        }</ApplyServerSideEncryptionByDefault>${el('BucketKeyEnabled', r.BucketKeyEnabled ?? false)}</Rule>`,
    )
    .join('');
  return xmlDocument('ServerSideEncryptionConfiguration', inner);
}

// Public access block ----------------------------------------------------------------------

const PAB_FIELDS = [
  'BlockPublicAcls',
  'IgnorePublicAcls',
  'BlockPublicPolicy',
  'RestrictPublicBuckets',
] as const;

/** Parses a PutPublicAccessBlock body; an absent field is false, as in S3. */
export function parsePublicAccessBlock(body: Buffer): PublicAccessBlock {
  const root = rootOf(body, 'PublicAccessBlockConfiguration');
  const out = {} as PublicAccessBlock;
  for (const field of PAB_FIELDS) out[field] = bool(root[field], field) ?? false;
  return out;
}

export function renderPublicAccessBlock(pab: PublicAccessBlock): string {
  return xmlDocument(
    'PublicAccessBlockConfiguration',
    PAB_FIELDS.map((f) => el(f, pab[f])).join(''),
  );
}

export function noPublicAccessBlock(bucket: string): S3Error {
  return new S3Error(
    'NoSuchPublicAccessBlockConfiguration',
    'The public access block configuration was not found',
    404,
    { BucketName: bucket },
  );
}

// Ownership controls -----------------------------------------------------------------------

const OWNERSHIPS = ['BucketOwnerPreferred', 'ObjectWriter', 'BucketOwnerEnforced'] as const;

/** Parses a PutBucketOwnershipControls body: exactly one rule. */
export function parseOwnershipControls(body: Buffer): ObjectOwnership {
  const rules = nodes(rootOf(body, 'OwnershipControls')['Rule']);
  if (rules.length !== 1) throw malformed();
  const ownership = text(rules[0]?.['ObjectOwnership']);
  if (ownership === undefined || !(OWNERSHIPS as readonly string[]).includes(ownership)) {
    throw malformed();
  }
  return ownership as ObjectOwnership;
}

export function renderOwnershipControls(ownership: ObjectOwnership): string {
  return xmlDocument('OwnershipControls', `<Rule>${el('ObjectOwnership', ownership)}</Rule>`);
}

export function noOwnershipControls(bucket: string): S3Error {
  return new S3Error(
    'OwnershipControlsNotFoundError',
    'The bucket ownership controls were not found',
    404,
    { BucketName: bucket },
  );
}

// Lifecycle --------------------------------------------------------------------------------

function invalidLifecycle(message: string): S3Error {
  return new S3Error('InvalidArgument', message, 400);
}

function parseRule(rule: Node): LifecycleRule {
  const status = text(rule['Status']);
  if (status !== 'Enabled' && status !== 'Disabled') throw malformed();
  const id = text(rule['ID']);
  if (id !== undefined && id.length > 255) {
    throw invalidLifecycle('ID length should not exceed allowed limit of 255');
  }
  const filter = rule['Filter'] === '' ? {} : node(rule['Filter']);
  const rulePrefix = text(rule['Prefix']);
  if (filter !== undefined && rulePrefix !== undefined) throw malformed();
  const and = node(filter?.['And']);
  const where = and ?? filter ?? {};
  const tags = nodes(where['Tag']).map((t) => ({
    Key: text(t['Key']) ?? '',
    Value: text(t['Value']) ?? '',
  }));
  const expiration = node(rule['Expiration']);
  const days = nonNegativeInt(expiration?.['Days'], 'Days');
  const date = text(expiration?.['Date']);
  if (days !== undefined && days <= 0) {
    throw invalidLifecycle("'Days' for Expiration action must be a positive integer");
  }
  if (date !== undefined && !/T00:00:00(\.000)?Z$/.test(date)) {
    throw invalidLifecycle("'Date' must be at midnight GMT");
  }
  const abort = node(rule['AbortIncompleteMultipartUpload']);
  const abortDays = nonNegativeInt(abort?.['DaysAfterInitiation'], 'DaysAfterInitiation');
  if (abortDays !== undefined && abortDays <= 0) {
    throw invalidLifecycle(
      "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
    );
  }
  const hasAction =
    expiration !== undefined ||
    abort !== undefined ||
    rule['Transition'] !== undefined ||
    rule['NoncurrentVersionExpiration'] !== undefined ||
    rule['NoncurrentVersionTransition'] !== undefined;
  if (!hasAction) {
    throw invalidLifecycle('At least one action needs to be specified in a rule');
  }
  if (rule['Transition'] !== undefined || rule['NoncurrentVersionTransition'] !== undefined) {
    throw new S3Error(
      'NotImplemented',
      'localcloud has one storage class: lifecycle transitions are not supported',
      501,
    );
  }
  const greater = nonNegativeInt(where['ObjectSizeGreaterThan'], 'ObjectSizeGreaterThan');
  const less = nonNegativeInt(where['ObjectSizeLessThan'], 'ObjectSizeLessThan');
  return {
    ...(id === undefined ? {} : { ID: id }),
    Status: status,
    Prefix: text(where['Prefix']) ?? rulePrefix ?? '',
    filtered: filter !== undefined,
    ...(greater === undefined ? {} : { ObjectSizeGreaterThan: greater }),
    ...(less === undefined ? {} : { ObjectSizeLessThan: less }),
    ...(tags.length === 0 ? {} : { Tags: tags }),
    ...(days === undefined ? {} : { ExpirationDays: days }),
    ...(date === undefined ? {} : { ExpirationDate: new Date(date).toISOString() }),
    ...(abortDays === undefined ? {} : { AbortIncompleteMultipartUploadDays: abortDays }),
  };
}

/** Parses a PutBucketLifecycleConfiguration body (at most 1000 rules, unique IDs). */
export function parseLifecycle(body: Buffer): LifecycleRule[] {
  const rules = nodes(rootOf(body, 'LifecycleConfiguration')['Rule']).map(parseRule);
  if (rules.length === 0 || rules.length > 1000) throw malformed();
  const ids = rules.flatMap((r) => (r.ID === undefined ? [] : [r.ID]));
  if (new Set(ids).size !== ids.length) {
    throw invalidLifecycle('Rule ID must be unique. Found same ID for more than one rule');
  }
  return rules;
}

function renderFilter(rule: LifecycleRule): string {
  if (!rule.filtered) return el('Prefix', rule.Prefix);
  const parts = [
    ...(rule.Prefix === '' ? [] : [el('Prefix', rule.Prefix)]),
    ...(rule.Tags ?? []).map((t) => `<Tag>${el('Key', t.Key)}${el('Value', t.Value)}</Tag>`),
    ...(rule.ObjectSizeGreaterThan === undefined
      ? []
      : [el('ObjectSizeGreaterThan', rule.ObjectSizeGreaterThan)]),
    ...(rule.ObjectSizeLessThan === undefined
      ? []
      : [el('ObjectSizeLessThan', rule.ObjectSizeLessThan)]),
  ];
  if (parts.length === 0) return '<Filter></Filter>';
  if (parts.length === 1) return `<Filter>${parts[0]}</Filter>`;
  return `<Filter><And>${parts.join('')}</And></Filter>`;
}

export function renderLifecycle(rules: LifecycleRule[]): string {
  const inner = rules
    .map((r) => {
      const expiration =
        r.ExpirationDays !== undefined
          ? `<Expiration>${el('Days', r.ExpirationDays)}</Expiration>`
          : r.ExpirationDate !== undefined
            ? `<Expiration>${el('Date', r.ExpirationDate)}</Expiration>`
            : '';
      const abort =
        r.AbortIncompleteMultipartUploadDays === undefined
          ? ''
          : `<AbortIncompleteMultipartUpload>${el('DaysAfterInitiation', r.AbortIncompleteMultipartUploadDays)}</AbortIncompleteMultipartUpload>`;
      return `<Rule>${expiration}${r.ID === undefined ? '' : el('ID', r.ID)}${renderFilter(r)}${el('Status', r.Status)}${abort}</Rule>`;
    })
    .join('');
  return xmlDocument('LifecycleConfiguration', inner);
}

export function noLifecycle(bucket: string): S3Error {
  return new S3Error(
    'NoSuchLifecycleConfiguration',
    'The lifecycle configuration does not exist',
    404,
    {
      BucketName: bucket,
    },
  );
}
