/**
 * S3 operations other services invoke in-process (the CloudFormation engine provisions
 * buckets this way). Each takes the operation's input shape as botocore's s3 model names it,
 * becomes the REST request an SDK would send, and goes through the gateway like any request:
 * the same authorization, validation and errors.
 */
import { randomUUID } from 'node:crypto';
import { AwsError, type Call, type Handler, type RawRequest } from '../../core/contract.ts';
import { el } from './s3-xml.ts';
import type { S3Gateway } from './s3-gateway.ts';

type Input = Record<string, unknown>;
type Shape = Record<string, unknown>;

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const doc = (root: string, inner: string) => `<${root} xmlns="${XMLNS}">${inner}</${root}>`;
const shape = (v: unknown): Shape => (typeof v === 'object' && v !== null ? (v as Shape) : {});
const items = (v: unknown): Shape[] => (Array.isArray(v) ? v.map(shape) : []);
const opt = (name: string, v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? el(name, v) : '';

/** An operation as a REST request: method, bucket subresource, XML body. */
interface RestCall {
  method: 'PUT' | 'DELETE';
  subresource?: string;
  body?: (input: Input) => string;
  headers?: (input: Input) => Record<string, string>;
}

const OPERATIONS: Record<string, RestCall> = {
  CreateBucket: {
    method: 'PUT',
    body: (i) => {
      const location = shape(i.CreateBucketConfiguration).LocationConstraint;
      return location === undefined
        ? ''
        : doc('CreateBucketConfiguration', opt('LocationConstraint', location));
    },
    headers: (i): Record<string, string> =>
      typeof i.ObjectOwnership === 'string' ? { 'x-amz-object-ownership': i.ObjectOwnership } : {},
  },
  DeleteBucket: { method: 'DELETE' },
  PutBucketEncryption: {
    method: 'PUT',
    subresource: 'encryption',
    body: (i) =>
      doc(
        'ServerSideEncryptionConfiguration',
        items(shape(i.ServerSideEncryptionConfiguration).Rules)
          .map((r) => {
            const d = shape(r.ApplyServerSideEncryptionByDefault);
            return `<Rule><ApplyServerSideEncryptionByDefault>${opt('SSEAlgorithm', d.SSEAlgorithm)}${opt('KMSMasterKeyID', d.KMSMasterKeyID)}</ApplyServerSideEncryptionByDefault>${opt('BucketKeyEnabled', r.BucketKeyEnabled)}</Rule>`;
          })
          .join(''),
      ),
  },
  DeleteBucketEncryption: { method: 'DELETE', subresource: 'encryption' },
  PutPublicAccessBlock: {
    method: 'PUT',
    subresource: 'publicAccessBlock',
    body: (i) => {
      const c = shape(i.PublicAccessBlockConfiguration);
      return doc(
        'PublicAccessBlockConfiguration',
        ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets']
          .map((f) => opt(f, c[f]))
          .join(''),
      );
    },
  },
  DeletePublicAccessBlock: { method: 'DELETE', subresource: 'publicAccessBlock' },
  PutBucketOwnershipControls: {
    method: 'PUT',
    subresource: 'ownershipControls',
    body: (i) =>
      doc(
        'OwnershipControls',
        items(shape(i.OwnershipControls).Rules)
          .map((r) => `<Rule>${opt('ObjectOwnership', r.ObjectOwnership)}</Rule>`)
          .join(''),
      ),
  },
  DeleteBucketOwnershipControls: { method: 'DELETE', subresource: 'ownershipControls' },
  PutBucketLifecycleConfiguration: {
    method: 'PUT',
    subresource: 'lifecycle',
    body: (i) =>
      doc(
        'LifecycleConfiguration',
        items(shape(i.LifecycleConfiguration).Rules)
          .map((r) => {
            const exp = r.Expiration === undefined ? undefined : shape(r.Expiration);
            const abort =
              r.AbortIncompleteMultipartUpload === undefined
                ? undefined
                : shape(r.AbortIncompleteMultipartUpload);
            const filter = r.Filter === undefined ? undefined : shape(r.Filter);
            const and = filter?.And === undefined ? undefined : shape(filter.And);
            const filterXml =
              filter === undefined
                ? opt('Prefix', r.Prefix)
                : `<Filter>${
                    and === undefined
                      ? opt('Prefix', filter.Prefix) +
                        opt('ObjectSizeGreaterThan', filter.ObjectSizeGreaterThan) +
                        opt('ObjectSizeLessThan', filter.ObjectSizeLessThan)
                      : `<And>${opt('Prefix', and.Prefix)}${items(and.Tags)
                          .map((t) => `<Tag>${opt('Key', t.Key)}${opt('Value', t.Value)}</Tag>`)
                          .join(
                            '',
                          )}${opt('ObjectSizeGreaterThan', and.ObjectSizeGreaterThan)}${opt('ObjectSizeLessThan', and.ObjectSizeLessThan)}</And>`
                  }</Filter>`;
            return `<Rule>${
              exp === undefined
                ? ''
                : `<Expiration>${opt('Days', exp.Days)}${opt('Date', exp.Date instanceof Date ? exp.Date.toISOString() : exp.Date)}</Expiration>`
            }${opt('ID', r.ID)}${filterXml}${opt('Status', r.Status)}${
              abort === undefined
                ? ''
                : `<AbortIncompleteMultipartUpload>${opt('DaysAfterInitiation', abort.DaysAfterInitiation)}</AbortIncompleteMultipartUpload>`
            }</Rule>`;
          })
          .join(''),
      ),
  },
  DeleteBucketLifecycle: { method: 'DELETE', subresource: 'lifecycle' },
  PutBucketTagging: {
    method: 'PUT',
    subresource: 'tagging',
    body: (i) =>
      doc(
        'Tagging',
        `<TagSet>${items(shape(i.Tagging).TagSet)
          .map((t) => `<Tag>${opt('Key', t.Key)}${opt('Value', t.Value)}</Tag>`)
          .join('')}</TagSet>`,
      ),
  },
  DeleteBucketTagging: { method: 'DELETE', subresource: 'tagging' },
};

function errorOf(status: number, body: string): AwsError {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? 'InternalError';
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? `S3 answered ${status}`;
  return new AwsError(code, message, status);
}

/** The in-process handlers, given the gateway once the service has started. */
export function createS3Handlers(gateway: () => S3Gateway): Record<string, Handler> {
  const handlers: Record<string, Handler> = {};
  for (const [action, rest] of Object.entries(OPERATIONS)) {
    handlers[action] = async (call: Call) => {
      const bucket = typeof call.input.Bucket === 'string' ? call.input.Bucket : '';
      if (bucket === '') throw new AwsError('InvalidBucketName', 'Bucket is required', 400);
      const body = Buffer.from(rest.body?.(call.input) ?? '', 'utf8');
      const request: RawRequest = {
        method: rest.method,
        path: `/${encodeURIComponent(bucket)}`,
        query: new URLSearchParams(rest.subresource === undefined ? [] : [[rest.subresource, '']]),
        headers: { ...(rest.headers?.(call.input) ?? {}) },
        body,
        sourceIp: call.sourceIp,
      };
      const { action: _action, input: _input, ...forward } = call;
      const response = await gateway().handle(request, { ...forward, requestId: randomUUID() });
      if (response.status >= 300) throw errorOf(response.status, response.body.toString());
      return {};
    };
  }
  return handlers;
}
